import type { TSESLint } from '@typescript-eslint/utils';
import type { MapraceRuleDocs } from '../create-rule.js';

/** A maprace rule as the plugin exports it. */
export type MapraceRule = TSESLint.RuleModule<string, readonly unknown[], MapraceRuleDocs>;

/**
 * Every rule of the plugin by its name without the `maprace/` prefix. The configs are derived
 * from this record and the rules' `meta.docs.recommended`, so a rule added here joins them.
 */
export const rules: Record<string, MapraceRule> = {};
