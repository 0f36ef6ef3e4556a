import type { MapraceRule } from '../rules/index.js';
import type { RulesConfig } from './types.js';

/** True when the rule's options schema accepts `{ autofix: boolean }`. */
function acceptsAutofixOption(rule: MapraceRule): boolean {
  const schema = rule.meta.schema;
  const first = Array.isArray(schema) ? schema[0] : undefined;
  return first !== undefined && typeof first === 'object' && 'properties' in first
    && first.properties !== undefined && 'autofix' in first.properties;
}

/**
 * The rule entries of a config: `recommended` turns on the rules marked recommended; `strict`
 * turns on every rule and asks the rules that can rewrite code to apply their fixes on `--fix`.
 */
export function ruleLevels(
  rules: Record<string, MapraceRule>,
  level: 'recommended' | 'strict',
): RulesConfig {
  const entries: RulesConfig = {};
  for (const [name, rule] of Object.entries(rules)) {
    if (level === 'recommended' && rule.meta.docs?.recommended !== 'recommended') continue;
    entries[`maprace/${name}`] =
      level === 'strict' && acceptsAutofixOption(rule) ? ['error', { autofix: true }] : 'error';
  }
  return entries;
}
