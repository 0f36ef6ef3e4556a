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
    for (const name of ['recommended', 'recommended-type-checked', 'strict'] as const) {
      expect(plugin.configs[name].plugins?.maprace).toBe(plugin);
    }
    expect(plugin.configs['legacy-recommended'].plugins).toEqual(['maprace']);
    expect(plugin.configs['legacy-strict'].plugins).toEqual(['maprace']);
  });

  it('recommended-type-checked asks typescript-eslint for the project service', () => {
    const config = plugin.configs['recommended-type-checked'];
    expect(config.languageOptions?.parserOptions).toEqual({ projectService: true });
    expect(config.rules).toEqual(plugin.configs.recommended.rules);
  });
});
