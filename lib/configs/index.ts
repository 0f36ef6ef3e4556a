import parser from '@typescript-eslint/parser';
import type { MapraceRule } from '../rules/index.js';
import { ruleLevels } from './rule-levels.js';
import type { MapraceConfigs, MapraceFlatConfig, MapraceLegacyConfig, MapracePlugin } from './types.js';

export type * from './types.js';

/**
 * The TypeScript files: what `recommended-type-checked` and `strict-type-checked` apply to, and what
 * needs typescript-eslint's parser.
 */
export const typeScriptFiles = ['**/*.{ts,mts,cts,tsx}'];
/** The extensions of the JavaScript and TypeScript files maprace lints. */
export const sourceExtensions = ['js', 'mjs', 'cjs', 'jsx', 'ts', 'mts', 'cts', 'tsx'] as const;
/** Every JavaScript and TypeScript file: what `recommended` and `strict` apply to. */
export const sourceFiles = [`**/*.{${sourceExtensions.join(',')}}`];
/** The same TypeScript extensions as .eslintrc `overrides` patterns (matched against the base name). */
const legacyTypeScriptFiles = ['*.ts', '*.mts', '*.cts', '*.tsx'];

/** Builds the configs around the plugin object they name, so that flat configs carry it. */
export function createConfigs(
  plugin: MapracePlugin,
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
  // A type-checked legacy config asks for the project service in that same `overrides` entry, so
  // that only the TypeScript files are given to the TypeScript program.
  const legacy = (levels: typeof recommended, typeChecked = false): MapraceLegacyConfig => ({
    plugins: ['maprace'],
    parserOptions: { ecmaVersion: 'latest' },
    overrides: [{
      files: legacyTypeScriptFiles,
      parser: '@typescript-eslint/parser',
      ...(typeChecked ? { parserOptions: { projectService: true } } : {}),
    }],
    rules: levels,
  });
  const typeChecked = (name: string, levels: typeof recommended): MapraceFlatConfig => ({
    name,
    files: typeScriptFiles,
    plugins,
    languageOptions: { parser, parserOptions: { projectService: true } },
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
    'recommended-type-checked': typeChecked('maprace/recommended-type-checked', recommended),
    strict: {
      name: 'maprace/strict',
      files: sourceFiles,
      plugins,
      languageOptions: { ...syntactic },
      rules: strict,
    },
    'strict-type-checked': typeChecked('maprace/strict-type-checked', strict),
    'legacy-recommended': legacy(recommended),
    'legacy-strict': legacy(strict),
    'legacy-strict-type-checked': legacy(strict, true),
  };
}
