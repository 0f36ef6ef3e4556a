import type { ESLint, Linter } from 'eslint';

/**
 * What of ESLint's answer maprace reports. It runs ESLint with its own config on projects
 * written for another one, so ESLint also answers things that are not races: "Definition for
 * rule 'react-hooks/exhaustive-deps' was not found" for a project's `eslint-disable` comment
 * naming a plugin maprace does not load, rules an inline `/* eslint … *\/` comment turns on,
 * "/* eslint-env *\/ comments are no longer supported"… None of those is maprace's to report:
 * only the messages of its own rules are shown and counted. A file that does not parse is said
 * apart (see parseErrorOf): it is not a race, but it is a file maprace could not analyse.
 */
export const isMapraceReport = (message: Linter.LintMessage): boolean =>
  message.ruleId?.startsWith('maprace/') === true;

/** ESLint's message for a file its parser rejects ("Parsing error: …"), or undefined. */
export function parseErrorOf(result: ESLint.LintResult): Linter.LintMessage | undefined {
  return result.messages.find(
    (message) => message.fatal === true && message.ruleId === null && message.message.startsWith('Parsing error'),
  );
}

/**
 * The result with only maprace's reports (and its parse error, when `keepParseError`: JSON and
 * SARIF keep it for the tools that read them, the SARIF formatter as a notification of the run),
 * its counts recomputed from what is left.
 */
export function mapraceReportsOf(result: ESLint.LintResult, keepParseError: boolean): ESLint.LintResult {
  const parseError = keepParseError ? parseErrorOf(result) : undefined;
  const messages = result.messages.filter((message) => isMapraceReport(message) || message === parseError);
  const count = (severity: number, fixable = false) =>
    messages.filter((message) => message.severity === severity && (!fixable || message.fix !== undefined)).length;
  return {
    ...result,
    messages,
    suppressedMessages: result.suppressedMessages.filter(isMapraceReport),
    errorCount: count(2),
    fatalErrorCount: parseError === undefined ? 0 : 1,
    warningCount: count(1),
    fixableErrorCount: count(2, true),
    fixableWarningCount: count(1, true),
  };
}
