/**
 * The rule tests run every case twice: with type information (typescript-eslint's project
 * service over tests/fixtures/rule-tester) and without it (the syntactic fallback). Cases that
 * only type information can decide go in `typedOnly`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RuleTester, type InvalidTestCase, type RunTests, type ValidTestCase } from '@typescript-eslint/rule-tester';
import type { TSESLint } from '@typescript-eslint/utils';
import { afterAll, describe, it } from 'vitest';

RuleTester.afterAll = afterAll;
RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;
RuleTester.itSkip = it.skip;

const fixtureRoot = fileURLToPath(new URL('../fixtures/rule-tester', import.meta.url));

export const syntacticTester = new RuleTester();

export const typedTester = new RuleTester({
  languageOptions: {
    parserOptions: {
      projectService: true,
      tsconfigRootDir: fixtureRoot,
    },
  },
});

type Rule<M extends string, O extends readonly unknown[]> = TSESLint.RuleModule<M, O>;
// The registry's newest @typescript-eslint/rule-tester (8.72) carries its own utils, one patch
// behind ours: the rule types differ only by that copy, so the rules are handed over as its type.
type TesterRule<M extends string, O extends readonly unknown[]> = Parameters<RuleTester['run']>[1] & TSESLint.RuleModule<M, O>;

/** Runs the cases with and without type information; typedOnly cases only with it. */
export function runBoth<M extends string, O extends readonly unknown[]>(
  name: string,
  rule: Rule<M, O>,
  tests: RunTests<M, O> & { typedOnly?: { valid?: (string | ValidTestCase<O>)[]; invalid?: InvalidTestCase<M, O>[] } },
): void {
  const { typedOnly, ...both } = tests;
  const filename = path.join(fixtureRoot, 'file.ts');
  const typed = (cases: (string | ValidTestCase<O> | InvalidTestCase<M, O>)[]) =>
    cases.map((c) => (typeof c === 'string' ? { code: c, filename } : { ...c, filename }));
  describe('without type information', () => {
    syntacticTester.run(name, rule as unknown as TesterRule<M, O>, both);
  });
  describe('with type information', () => {
    typedTester.run(name, rule as unknown as TesterRule<M, O>, {
      valid: typed([...both.valid, ...(typedOnly?.valid ?? [])]) as ValidTestCase<O>[],
      invalid: typed([...both.invalid, ...(typedOnly?.invalid ?? [])]) as InvalidTestCase<M, O>[],
    });
  });
}
