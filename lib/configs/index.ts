import parser from '@typescript-eslint/parser';
import type { TSESLint } from '@typescript-eslint/utils';
import type { MapraceRule } from '../rules/index.js';
import { ruleLevels } from './rule-levels.js';

/** A flat config object, as ESLint 9 and 10 (and 8.57's FlatESLint) take it. */
export type FlatConfig = TSESLint.FlatConfig.Config;
/** An .eslintrc config object, as ESLint 8.57 and 9 (ESLINT_USE_FLAT_CONFIG=false) take it. */
export type LegacyConfig = TSESLint.ClassicConfig.Config;

export interface MapraceConfigs {
  /** Flat: the plugin and its recommended rules; syntactic analysis, any parser. */
  recommended: FlatConfig;
  /** Flat: `recommended` plus typescript-eslint's parser with `projectService`, for type-aware analysis. */
  'recommended-type-checked': FlatConfig;
  /** Flat: every rule as an error, with autofix on for `eslint --fix`. */
  strict: FlatConfig;
  /** .eslintrc: the recommended rules (`extends: ['plugin:maprace/legacy-recommended']`). */
  'legacy-recommended': LegacyConfig;
  /** .eslintrc: every rule as an error, with autofix on. */
  'legacy-strict': LegacyConfig;
}

/** Builds the configs around the plugin object they name, so that flat configs carry it. */
export function createConfigs(
  plugin: TSESLint.FlatConfig.Plugin,
  rules: Record<string, MapraceRule>,
): MapraceConfigs {
  const plugins = { maprace: plugin };
  const recommended = ruleLevels(rules, 'recommended');
  const strict = ruleLevels(rules, 'strict');
  return {
    recommended: { name: 'maprace/recommended', plugins, rules: recommended },
    'recommended-type-checked': {
      name: 'maprace/recommended-type-checked',
      plugins,
      languageOptions: { parser, parserOptions: { projectService: true } },
      rules: recommended,
    },
    strict: { name: 'maprace/strict', plugins, rules: strict },
    'legacy-recommended': { plugins: ['maprace'], rules: recommended },
    'legacy-strict': { plugins: ['maprace'], rules: strict },
  };
}
