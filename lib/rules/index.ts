import type { TSESLint } from '@typescript-eslint/utils';
import type { MapraceRuleDocs } from '../create-rule.js';
import noUnguardedMapInAsyncEntry from './no-unguarded-map-in-async-entry.js';
import noUnguardedMapInPromiseAll from './no-unguarded-map-in-promise-all.js';
import noUnguardedMapInTimer from './no-unguarded-map-in-timer.js';
import noUnguardedMapInWorkerMessage from './no-unguarded-map-in-worker-message.js';

/** A maprace rule as the plugin exports it. */
export type MapraceRule = TSESLint.RuleModule<string, readonly unknown[], MapraceRuleDocs>;

/**
 * Every rule of the plugin by its name without the `maprace/` prefix. The configs are derived
 * from this record and the rules' `meta.docs.recommended`, so a rule added here joins them.
 */
export const rules: Record<string, MapraceRule> = {
  'no-unguarded-map-in-async-entry': noUnguardedMapInAsyncEntry as unknown as MapraceRule,
  'no-unguarded-map-in-promise-all': noUnguardedMapInPromiseAll as unknown as MapraceRule,
  'no-unguarded-map-in-timer': noUnguardedMapInTimer as unknown as MapraceRule,
  'no-unguarded-map-in-worker-message': noUnguardedMapInWorkerMessage as unknown as MapraceRule,
};
