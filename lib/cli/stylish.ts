import { stripVTControlCharacters } from 'node:util';
import type { ESLint } from 'eslint';

/**
 * The default output: ESLint's stylish table, where each report is one row, with a report's
 * advice under its row. A maprace message states the race on its first line and what to do
 * about it on the lines after; stylish would print it all on one row (and size the column by
 * it), so the table gets the first line and the advice is put back below, aligned with it.
 */
export async function formatStylish(
  formatter: ESLint.Formatter,
  results: ESLint.LintResult[],
  data: ESLint.LintResultData,
): Promise<string> {
  const rows: { race: string; advice: string[] }[] = [];
  const firstLines = results.map((result) => ({
    ...result,
    messages: result.messages.map((message) => {
      const [race = '', ...advice] = message.message.split('\n');
      rows.push({ race, advice: advice.filter((line) => line.trim() !== '') });
      return { ...message, message: race };
    }),
  }));
  const text = await formatter.format(firstLines, data as never);
  // Stylish prints the results in order, one row per message ("  5:19  error  …"), each
  // file's rows under its name (which starts the line, so never reads as a row).
  let next = 0;
  return text
    .split('\n')
    .flatMap((line) => {
      const plain = stripVTControlCharacters(line);
      const row = /^\s+\d+:\d+\s/u.test(plain) ? rows[next++] : undefined;
      if (row === undefined || row.advice.length === 0) return [line];
      const column = Math.max(plain.indexOf(row.race.slice(0, 40)), 2);
      return [line, ...row.advice.map((advice) => `${' '.repeat(column)}${advice.trim()}`)];
    })
    .join('\n');
}
