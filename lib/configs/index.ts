import parser from '@typescript-eslint/parser';
import type { TSESLint } from '@typescript-eslint/utils';
import type { MapraceRule } from '../rules/index.js';
import { ruleLevels } from './rule-levels.js';

/** A flat config object, as ESLint 9 and 10 (and 8.57's FlatESLint) take it. */
export type FlatConfig = TSESLint.FlatConfig.Config;
/** An .eslintrc config object, as ESLint 8.57 and 9 (ESLINT_USE_FLAT_CONFIG=false) take it. */
export type LegacyConfig = TSESLint.ClassicConfig.Config;

/** The TypeScript files: what `recommended-type-checked` applies to, and what needs typescript-eslint's parser. */
export const typeScriptFiles = ['**/*.{ts,mts,cts,tsx}'];
/** Every JavaScript and TypeScript file: what `recommended` and `strict` apply to. */
export const sourceFiles = ['**/*.{js,mjs,cjs,jsx,ts,mts,cts,tsx}'];
/** The same TypeScript extensions as .eslintrc `overrides` patterns (matched against the base name). */
const legacyTypeScriptFiles = ['*.ts', '*.mts', '*.cts', '*.tsx'];

export interface MapraceConfigs {
  /**
   * Flat: the plugin and its recommended rules on every `.js .mjs .cjs .jsx .ts .mts .cts .tsx`
   * file, parsed by typescript-eslint's parser (without a project: syntactic analysis).
   */
  recommended: FlatConfig;
  /**
   * Flat: the recommended rules on the TypeScript files only, with typescript-eslint's parser and
   * `projectService`, for type-aware analysis.
   */
  'recommended-type-checked': FlatConfig;
  /** Flat: `recommended` with every rule as an error and autofix on for `eslint --fix`. */
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
  // One flat config object cannot give a parser to some of its files only, and a config without
  // `files` is skipped for .ts files by ESLint 9 and 10; so `recommended` and `strict` match every
  // source file and parse all of them with typescript-eslint's parser, which reads JavaScript as
  // well (as typescript-eslint's own base config does). A project that parses its JavaScript with
  // another parser puts its own config for those files after this one.
  const syntactic = { parser };
  // .eslintrc: typescript-eslint's parser on the TypeScript files only. An `overrides` entry with
  // `files` also makes ESLint 8.57 and 9 lint those files without `--ext`. The parser's name is
  // resolved from this package (ESLint resolves a plugin config's parser from the plugin).
  const legacy = (levels: typeof recommended): LegacyConfig => ({
    plugins: ['maprace'],
    parserOptions: { ecmaVersion: 'latest' },
    overrides: [{ files: legacyTypeScriptFiles, parser: '@typescript-eslint/parser' }],
    rules: levels,
  });
  return {
    recommended: {
      name: 'maprace/recommended',
      files: sourceFiles,
      plugins,
      languageOptions: { ...syntactic },
      rules: recommended,
    },
    'recommended-type-checked': {
      name: 'maprace/recommended-type-checked',
      files: typeScriptFiles,
      plugins,
      languageOptions: { parser, parserOptions: { projectService: true } },
      rules: recommended,
    },
    strict: {
      name: 'maprace/strict',
      files: sourceFiles,
      plugins,
      languageOptions: { ...syntactic },
      rules: strict,
    },
    'legacy-recommended': legacy(recommended),
    'legacy-strict': legacy(strict),
  };
}
