import packageJson from '../package.json' with { type: 'json' };
import { createConfigs } from './configs/index.js';
import type { MapracePlugin, PluginRule } from './configs/types.js';
import { rules } from './rules/index.js';

export type {
  MapraceConfigs,
  MapraceFlatConfig,
  MapraceLegacyConfig,
  MapracePlugin,
  PluginRule,
  RuleEntry,
  RulesConfig,
} from './configs/types.js';

/**
 * The ESLint plugin object: `meta`, `rules` and `configs`, nothing else. Its type (lib/configs/types.ts)
 * is assignable to ESLint 9's and 10's `ESLint.Plugin`, and its flat configs to `Linter.Config`.
 */
const plugin = {
  meta: { name: packageJson.name, version: packageJson.version },
  // The rules are typed against typescript-eslint's RuleContext; ESLint sees them as any rule module.
  rules: rules as unknown as Record<string, PluginRule>,
} as MapracePlugin;
plugin.configs = createConfigs(plugin, rules);

export default plugin;
