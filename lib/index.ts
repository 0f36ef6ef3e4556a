import type { TSESLint } from '@typescript-eslint/utils';
import packageJson from '../package.json' with { type: 'json' };
import { createConfigs, type MapraceConfigs } from './configs/index.js';
import { rules, type MapraceRule } from './rules/index.js';

/** The ESLint plugin object: `meta`, `rules` and `configs`, nothing else. */
export interface MapracePlugin {
  meta: { name: string; version: string };
  rules: Record<string, MapraceRule>;
  configs: MapraceConfigs;
}

const plugin = {
  meta: { name: packageJson.name, version: packageJson.version },
  rules,
} as MapracePlugin;
plugin.configs = createConfigs(plugin as unknown as TSESLint.FlatConfig.Plugin, rules);

export default plugin;
