import { createRequire } from 'node:module';
import path from 'node:path';
import type { ESLint } from 'eslint';

/** The formatter behind `--format sarif`: an optional peer dependency, loaded only when asked for. */
export const sarifPackage = '@microsoft/eslint-formatter-sarif';

export type SarifFormatter = (
  results: ESLint.LintResult[],
  data: { cwd: string; rulesMeta: ReturnType<ESLint['getRulesMetaForResults']> },
) => string;

/** What maprace prints when `--format sarif` is asked for and the formatter is not installed. */
export const missingSarifMessage =
  `--format sarif needs ${sarifPackage}, which is not installed: npm install --save-dev ${sarifPackage}`;

/**
 * Loads the SARIF formatter from the first place that has it: the linted project (`cwd`), then
 * maprace's own installation. Undefined when neither has it; an error inside an installed
 * formatter is thrown as it is, not taken for its absence.
 */
export function loadSarifFormatter(
  cwd: string,
  fallbacks: readonly string[] = [import.meta.url],
): SarifFormatter | undefined {
  for (const base of [path.join(cwd, 'noop.js'), ...fallbacks]) {
    const require = createRequire(base);
    let resolved: string;
    try {
      resolved = require.resolve(sarifPackage);
    } catch {
      continue; // not installed there
    }
    return require(resolved) as SarifFormatter;
  }
  return undefined;
}
