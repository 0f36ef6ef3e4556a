// The held-out set: what the rules find on code written by someone who had not read the analysis.
//
//   npm run bench:held-out
//
// tests/fixtures/held-out/racy holds 12 programs with one race each, its first line marked
// `// race: <kind>`; fixed/ holds the same programs made correct plus 6 correct programs that only
// look suspicious. They were written without reading lib/analysis or the other fixtures, and are
// not tuned on (tests/rules/held-out.test.ts has its own cases). For the plugin's rules, syntactic
// and type-aware: races found (a report within one line of the mark), missed, other reports in
// racy files, and correct files flagged, with every report listed. Writes
// bench/results/held-out.json.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import tsParser from '@typescript-eslint/parser';
import { ESLint } from 'eslint';
import { machine, writeResults } from './harness.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const root = path.join(repo, 'tests/fixtures/held-out');
const { default: maprace } = await import(new URL('../dist/index.js', import.meta.url));
const rules = Object.fromEntries(Object.keys(maprace?.rules ?? {}).map((name) => [`maprace/${name}`, 'error']));
if (Object.keys(rules).length === 0) {
  console.error('dist/index.js exports no rules: run `npm run build` first.');
  process.exit(1);
}
const racyCount = readdirSync(path.join(root, 'racy')).filter((name) => name.endsWith('.ts')).length;
const fixedCount = readdirSync(path.join(root, 'fixed')).filter((name) => name.endsWith('.ts')).length;

const modes = [
  { id: 'syntactic', languageOptions: { parser: tsParser } },
  { id: 'type-aware', languageOptions: { parser: tsParser, parserOptions: { projectService: true, tsconfigRootDir: root } } },
];

const summary = [];
for (const mode of modes) {
  const eslint = new ESLint({
    cwd: root,
    overrideConfigFile: true,
    overrideConfig: [{ files: ['**/*.ts'], languageOptions: mode.languageOptions, plugins: { maprace }, rules }],
  });
  const results = (await eslint.lintFiles(['racy/*.ts', 'fixed/*.ts'])).sort((a, b) => a.filePath.localeCompare(b.filePath));
  const counts = { found: 0, missed: 0, otherInRacy: 0, fixedFlagged: 0, parseErrors: 0 };
  const lines = [];
  for (const result of results) {
    const file = path.relative(root, result.filePath);
    counts.parseErrors += result.messages.filter((message) => !message.ruleId).length;
    const reports = result.messages.filter((message) => message.ruleId);
    const shown = (message) => `${message.line}:${message.column} ${message.ruleId}/${message.messageId}`;
    if (file.startsWith('racy')) {
      const mark = readFileSync(result.filePath, 'utf8').split('\n').findIndex((text) => /\/\/ race:/u.test(text)) + 1;
      const near = (message) => Math.abs(message.line - mark) <= 1;
      if (reports.some(near)) counts.found++;
      else counts.missed++;
      counts.otherInRacy += reports.filter((message) => !near(message)).length;
      lines.push(`${reports.some(near) ? 'found ' : 'MISSED'} ${file} (race on line ${mark})${reports.map((message) => `\n         ${near(message) ? '' : '[elsewhere] '}${shown(message)}`).join('')}`);
    } else {
      if (reports.length > 0) counts.fixedFlagged++;
      lines.push(`${reports.length > 0 ? 'FLAGGED' : 'silent '} ${file}${reports.map((message) => `\n         ${shown(message)}`).join('')}`);
    }
  }
  console.log(`\n== ${mode.id}\n${lines.join('\n')}`);
  summary.push({ mode: mode.id, racy: racyCount, fixed: fixedCount, ...counts });
}

console.log('\n| Mode | Races found | Missed | Other reports in racy files | Correct files flagged |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const row of summary) console.log(`| ${row.mode} | ${row.found} of ${row.racy} | ${row.missed} | ${row.otherInRacy} | ${row.fixedFlagged} of ${row.fixed} |`);
if (summary.some((row) => row.parseErrors > 0)) console.log('\nSome files did not parse: see the listing above.');
const written = writeResults('held-out', false, { machine: machine(), summary });
console.log(`\nResults written to ${path.relative(repo, written)}`);
