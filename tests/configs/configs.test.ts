import tsParser from '@typescript-eslint/parser';
import { ESLintUtils } from '@typescript-eslint/utils';
import { describe, expect, it } from 'vitest';
import { ruleLevels } from '../../lib/configs/rule-levels.js';
import plugin from '../../lib/index.js';
import type { MapraceRule } from '../../lib/rules/index.js';

const makeRule = (recommended: 'recommended' | 'strict', withAutofix: boolean): MapraceRule =>
  ESLintUtils.RuleCreator.withoutDocs({
    meta: {
      type: 'problem',
      docs: { description: 'test rule', recommended } as never,
      messages: { race: 'race' },
      schema: withAutofix
        ? [{ type: 'object', properties: { autofix: { type: 'boolean' } }, additionalProperties: false }]
        : [],
    },
    defaultOptions: [] as unknown[],
    create: () => ({}),
  }) as unknown as MapraceRule;

describe('config levels derived from the rules', () => {
  const rules = {
    'always-on': makeRule('recommended', true),
    'strict-only': makeRule('strict', false),
  };

  it('recommended enables the rules marked recommended, as errors', () => {
    expect(ruleLevels(rules, 'recommended')).toEqual({ 'maprace/always-on': 'error' });
  });

  it('strict enables every rule and turns autofix on where the rule takes it', () => {
    expect(ruleLevels(rules, 'strict')).toEqual({
      'maprace/always-on': ['error', { autofix: true }],
      'maprace/strict-only': 'error',
    });
  });
});

describe('the plugin object', () => {
  it('has meta, rules and configs, and nothing else', () => {
    expect(Object.keys(plugin).sort()).toEqual(['configs', 'meta', 'rules']);
    expect(plugin.meta.name).toBe('eslint-plugin-maprace');
  });

  it('carries itself in every flat config and names itself in every legacy config', () => {
    for (const name of ['recommended', 'recommended-type-checked', 'strict', 'strict-type-checked'] as const) {
      expect(plugin.configs[name].plugins?.maprace).toBe(plugin);
      expect(plugin.configs[name].name).toBe(`maprace/${name}`);
    }
    for (const name of ['legacy-recommended', 'legacy-strict', 'legacy-strict-type-checked'] as const) {
      expect(plugin.configs[name].plugins).toEqual(['maprace']);
    }
  });

  it('recommended and strict apply to every JavaScript and TypeScript file, parsed by typescript-eslint without a project', () => {
    for (const name of ['recommended', 'strict'] as const) {
      const config = plugin.configs[name];
      expect(config.files).toEqual(['**/*.{js,mjs,cjs,jsx,ts,mts,cts,tsx}']);
      expect(config.languageOptions?.parser).toBe(tsParser);
      expect(config.languageOptions?.parserOptions).toBeUndefined();
    }
  });

  it('recommended-type-checked asks typescript-eslint for the project service, on the TypeScript files only', () => {
    const config = plugin.configs['recommended-type-checked'];
    expect(config.files).toEqual(['**/*.{ts,mts,cts,tsx}']);
    expect(config.languageOptions?.parser).toBe(tsParser);
    expect(config.languageOptions?.parserOptions).toEqual({ projectService: true });
    expect(config.rules).toEqual(plugin.configs.recommended.rules);
  });

  it('strict-type-checked is strict\'s rules (autofix on) with the project service, on the TypeScript files only', () => {
    const config = plugin.configs['strict-type-checked'];
    expect(config.files).toEqual(['**/*.{ts,mts,cts,tsx}']);
    expect(config.languageOptions?.parser).toBe(tsParser);
    expect(config.languageOptions?.parserOptions).toEqual({ projectService: true });
    expect(config.rules).toEqual(plugin.configs.strict.rules);
    expect(Object.values(config.rules)).toContainEqual(['error', { autofix: true }]);
  });

  it('legacy-strict-type-checked asks for the project service in the TypeScript files\' overrides entry only', () => {
    const config = plugin.configs['legacy-strict-type-checked'];
    expect(config.overrides).toEqual([{
      files: ['*.ts', '*.mts', '*.cts', '*.tsx'],
      parser: '@typescript-eslint/parser',
      parserOptions: { projectService: true },
    }]);
    expect(config.parserOptions).toEqual({ ecmaVersion: 'latest' });
    expect(config.rules).toEqual(plugin.configs.strict.rules);
  });

  it('the legacy configs parse the TypeScript files with typescript-eslint through overrides, so ESLint lints them without --ext', () => {
    for (const name of ['legacy-recommended', 'legacy-strict'] as const) {
      expect(plugin.configs[name].overrides).toEqual([
        { files: ['*.ts', '*.mts', '*.cts', '*.tsx'], parser: '@typescript-eslint/parser' },
      ]);
      expect(plugin.configs[name].parserOptions).toEqual({ ecmaVersion: 'latest' });
    }
    expect(plugin.configs['legacy-recommended'].rules).toEqual(plugin.configs.recommended.rules);
    expect(plugin.configs['legacy-strict'].rules).toEqual(plugin.configs.strict.rules);
  });
});
