import type { ESLint } from 'eslint';

/**
 * ESLint answers a file it was given by name but does not lint (not matched by any config,
 * ignored, under node_modules; outside its working directory, which maprace chooses to hold every
 * path) with a result holding one warning,
 * "File ignored …", that suggests ESLint's own flags. maprace does not count such a file: it names
 * it on stderr with the reason in its own words. Returns that reason, or undefined for a file
 * that was linted.
 */
export function ignoredReason(result: ESLint.LintResult): string | undefined {
  const [message, ...rest] = result.messages;
  if (message === undefined || rest.length > 0 || message.ruleId !== null || message.severity !== 1) return undefined;
  const text = message.message;
  if (!text.startsWith('File ignored')) return undefined;
  if (text.includes('no matching configuration')) return 'not a JavaScript or TypeScript file';
  if (text.includes('node_modules')) return 'inside node_modules';
  if (text.includes('outside of base path')) return 'outside the directory ESLint runs in';
  if (text.includes('ignore pattern')) return 'ignored by .gitignore';
  return 'ignored';
}
