// What each rule finds on the corpus (tests/fixtures/rules): the races marked in racy/ (every line
// where a report must start carries `// expect: <rule>/<messageId>`) and the correct code in safe/.
//
//   npm run bench:rules-precision
//
// Side by side: maprace's four rules (syntactic and type-aware), ESLint's require-atomic-updates
// (the rule people use against these races today), and typescript-eslint's no-floating-promises
// and no-misused-promises (type-aware promise rules with no model of shared state). For each: races
// found (a report on a marked line), races missed, and reports elsewhere — on correct code in
// safe/, or on lines of racy files that hold no race. Prints a table and a Markdown block for the
// README between the rules-precision markers, and writes bench/results/rules-precision.json.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import tsParser from '@typescript-eslint/parser';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { columns, machine, writeResults } from './harness.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const corpus = path.join(repo, 'tests/fixtures/rules');
const { default: maprace } = await import(new URL('../dist/index.js', import.meta.url));
if (Object.keys(maprace.rules).length !== 4) {
  console.error('dist/index.js does not export the four rules: run `npm run build` first.');
  process.exit(1);
}

const files = ['racy', 'safe'].flatMap((folder) =>
  readdirSync(path.join(corpus, folder))
    .filter((name) => name.endsWith('.ts'))
    .map((name) => path.join(corpus, folder, name)),
);

/** The marked races: `file:line` of every `// expect:` comment. */
const marked = new Set(
  files.flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .flatMap((line, index) => (/\/\/ expect: /u.test(line) ? [`${file}:${index + 1}`] : [])),
  ),
);

const ours = Object.fromEntries(Object.keys(maprace.rules).map((name) => [`maprace/${name}`, 'error']));
const typed = { parser: tsParser, parserOptions: { projectService: true, tsconfigRootDir: corpus } };
const contenders = [
  { id: 'maprace', label: 'maprace (4 rules, syntactic)', languageOptions: { parser: tsParser }, rules: ours },
  { id: 'maprace-typed', label: 'maprace (4 rules, type-aware)', languageOptions: typed, rules: ours },
  { id: 'require-atomic-updates', label: 'ESLint require-atomic-updates', languageOptions: { parser: tsParser }, rules: { 'require-atomic-updates': 'error' } },
  {
    id: 'typescript-eslint',
    label: 'typescript-eslint no-floating-promises + no-misused-promises',
    languageOptions: typed,
    rules: { '@typescript-eslint/no-floating-promises': 'error', '@typescript-eslint/no-misused-promises': 'error' },
  },
];

const rows = [];
for (const contender of contenders) {
  const eslint = new ESLint({
    cwd: corpus,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ['**/*.ts'],
        languageOptions: contender.languageOptions,
        plugins: { maprace, '@typescript-eslint': tseslint.plugin },
        rules: contender.rules,
      },
    ],
  });
  const results = await eslint.lintFiles(files);
  const fatal = results.flatMap((result) => result.messages.filter((message) => message.fatal));
  if (fatal.length > 0) throw new Error(`${contender.label}: parse errors: ${fatal.map((m) => m.message).join('; ')}`);
  const reportedLines = new Set();
  let elsewhere = 0;
  for (const result of results) {
    for (const message of result.messages) {
      const where = `${result.filePath}:${message.line}`;
      if (marked.has(where)) reportedLines.add(where);
      else elsewhere++;
    }
  }
  rows.push({
    id: contender.id,
    label: contender.label,
    found: reportedLines.size,
    missed: marked.size - reportedLines.size,
    elsewhere,
    safeFilesFlagged: results.filter((result) => result.filePath.includes(`${path.sep}safe${path.sep}`) && result.messages.length > 0).length,
  });
}

const header = ['rules', 'races found', 'missed', 'reports on no race', 'safe files flagged'];
const lines = rows.map((row) => [row.label, `${row.found} / ${marked.size}`, String(row.missed), String(row.elsewhere), `${row.safeFilesFlagged} / ${files.filter((f) => f.includes('/safe/')).length}`]);
const { format, rule } = columns(header, lines, new Set([1, 2, 3, 4]));
console.log(`Corpus: ${files.length} files, ${marked.size} marked races.\n`);
console.log(format(header));
console.log(rule);
for (const line of lines) console.log(format(line));

console.log('\n<!-- rules-precision:start -->');
console.log(`| Rules | Races found (of ${marked.size}) | Missed | Reports where there is no race | Correct files flagged (of ${files.filter((f) => f.includes('/safe/')).length}) |`);
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const row of rows) console.log(`| ${row.label} | ${row.found} | ${row.missed} | ${row.elsewhere} | ${row.safeFilesFlagged} |`);
console.log('<!-- rules-precision:end -->');

writeResults('rules-precision', false, { benchmark: 'rules-precision', ...machine(), corpus: { files: files.length, races: marked.size }, rows });
