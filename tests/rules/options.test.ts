/**
 * Rule options: ESLint validates them against each rule's JSON schema, so a typo or a wrong type
 * fails the run with a message that names the rule and the option instead of being ignored.
 */
import tsParser from '@typescript-eslint/parser';
import { Linter } from 'eslint';
import { describe, expect, it } from 'vitest';
import plugin from '../../lib/index.js';

const linter = new Linter({ configType: 'flat' });
const lint = (options: unknown) =>
  linter.verify('const m = new Map<string, number>();\n', [
    { files: ['**/*.ts'], languageOptions: { parser: tsParser }, plugins: { maprace: plugin as never }, rules: { 'maprace/no-unguarded-map-in-timer': ['error', options] } },
  ], 'a.ts');

describe('rule options', () => {
  it('accepts every documented option', () => {
    expect(lint({ guards: ['db.transaction', '/^queue\\./u'], safeTypes: ['LockedMap'], runtimeModule: '#runtime', autofix: true, duplicateLoads: 'off' })).toEqual([]);
  });

  it.each([
    [{ guard: ['x'] }, /should NOT have additional properties/u],
    [{ guards: 'db.transaction' }, /guards.*should be array|should be array/u],
    [{ autofix: 'yes' }, /autofix.*should be boolean|should be boolean/u],
    [{ runtimeModule: '' }, /runtimeModule.*fewer than 1|must NOT have fewer than 1 characters|should NOT be shorter than 1 characters/u],
    [{ safeTypes: ['A', 'A'] }, /duplicate items/u],
    [{ duplicateLoads: 'ignore' }, /"ignore" (?:should|must) be equal to one of the allowed values/u],
  ])('rejects %j with a schema error naming the rule', (options, message) => {
    expect(() => lint(options)).toThrow(/maprace\/no-unguarded-map-in-timer/u);
    expect(() => lint(options)).toThrow(message);
  });

  // JSON schema cannot tell a regular expression from a string, so the rule checks its patterns
  // when it is created, and names itself, the option and the pattern
  it('rejects a guards pattern that is not a regular expression', () => {
    expect(() => lint({ guards: ['db.transaction', '/[/'] })).toThrow(
      'option "guards" of maprace/no-unguarded-map-in-timer: "/[/" is not a valid regular expression (Invalid regular expression: /[/: Unterminated character class)',
    );
    expect(() => lint({ guards: ['/^queue/zz'] })).toThrow('option "guards" of maprace/no-unguarded-map-in-timer: "/^queue/zz" is not a valid regular expression');
  });
});
