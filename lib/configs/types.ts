// The public types of the plugin object and its configs.
//
// They are written out here, as object types (not interfaces, which have no implicit index
// signature), rather than taken from typescript-eslint's `TSESLint.FlatConfig` namespace or from
// ESLint's own typings: a value of these types must be assignable to ESLint 9's and ESLint 10's
// `Linter.Config` / `ESLint.Plugin` (what `defineConfig` from 'eslint/config' takes) and to
// typescript-eslint's `tseslint.config`, whichever of them the consumer type-checks against.
// typescript-eslint's own `FlatConfig.LanguageOptions` is an interface, which ESLint's
// `Record<string, unknown>` language options refuse (TS2322), and its `RuleModule.create` takes a
// context ESLint's `RuleDefinition` does not give. Nothing here imports 'eslint' (a peer
// dependency of any major), so the types are the same for every ESLint a consumer has.
import type { TSESLint } from '@typescript-eslint/utils';
import type { MapraceRuleDocs } from '../create-rule.js';

type Severity = 'off' | 'warn' | 'error' | 0 | 1 | 2;
/** A rule's entry in a config's `rules`: a severity, or a severity followed by options. */
export type RuleEntry = Severity | [Severity, ...unknown[]];
/** A config's `rules`: `maprace/<rule name>` to its entry. */
export type RulesConfig = { [rule: string]: RuleEntry };

/** A maprace rule as the plugin object exports it (for ESLint, a rule module like any other). */
export type PluginRule = {
  meta: TSESLint.RuleMetaData<string, MapraceRuleDocs, unknown[]>;
  defaultOptions: unknown[];
  // ESLint calls `create` with its own RuleContext (a different type in each major); the rules
  // themselves are typed against typescript-eslint's in lib/rules.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  create(context: any): { [selector: string]: ((...args: any[]) => void) | undefined };
};

/** The parser a flat config sets: typescript-eslint's, typed as typescript-eslint types any parser. */
export type FlatConfigParser = TSESLint.FlatConfig.Parser;

/** A flat config of the plugin (ESLint 9 and 10, and 8.57's FlatESLint). */
export type MapraceFlatConfig = {
  name: string;
  files: string[];
  plugins: { maprace: MapracePlugin };
  languageOptions: {
    parser: FlatConfigParser;
    parserOptions?: { projectService: boolean };
  };
  rules: RulesConfig;
};

/** An .eslintrc config of the plugin (ESLint 8.57, and 9 with `ESLINT_USE_FLAT_CONFIG=false`). */
export type MapraceLegacyConfig = {
  plugins: string[];
  parserOptions: { ecmaVersion: 'latest' };
  overrides: { files: string[]; parser: string; parserOptions?: { projectService: boolean } }[];
  rules: RulesConfig;
};

export type MapraceConfigs = {
  /**
   * Flat: the plugin and its recommended rules on every `.js .mjs .cjs .jsx .ts .mts .cts .tsx`
   * file, parsed by typescript-eslint's parser (without a project: syntactic analysis).
   */
  recommended: MapraceFlatConfig;
  /**
   * Flat: the recommended rules on the TypeScript files only, with typescript-eslint's parser and
   * `projectService`, for type-aware analysis.
   */
  'recommended-type-checked': MapraceFlatConfig;
  /** Flat: `recommended` with every rule as an error and autofix on for `eslint --fix`. */
  strict: MapraceFlatConfig;
  /**
   * Flat: the `strict` rules (autofix on) on the TypeScript files only, with typescript-eslint's
   * parser and `projectService`: type-aware analysis and `eslint --fix` in one config.
   */
  'strict-type-checked': MapraceFlatConfig;
  /** .eslintrc: the recommended rules (`extends: ['plugin:maprace/legacy-recommended']`). */
  'legacy-recommended': MapraceLegacyConfig;
  /** .eslintrc: every rule as an error, with autofix on. */
  'legacy-strict': MapraceLegacyConfig;
  /**
   * .eslintrc: `legacy-strict`, with `parserOptions.projectService: true` for the TypeScript files
   * (`extends: ['plugin:maprace/legacy-strict-type-checked']`).
   */
  'legacy-strict-type-checked': MapraceLegacyConfig;
};

/** The ESLint plugin object: `meta`, `rules` and `configs`, nothing else. */
export type MapracePlugin = {
  meta: { name: string; version: string };
  rules: { [name: string]: PluginRule };
  configs: MapraceConfigs;
};
