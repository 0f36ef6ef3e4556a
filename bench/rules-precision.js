// What each rule finds on the two corpora of application code, racy and correct:
// - tests/fixtures/rules: racy/ and safe/ files (the races of the three task sources);
// - tests/fixtures/real-shapes: per category of race real programs have (concurrency from callers,
//   maps not built in the file, `.then` gaps, accessors and fields, late publication and timers,
//   and the precision list of correct code that looks racy), racy/ and fixed/ twins.
// In racy files, every line where a report must start carries `// expect: <rule>/<messageId>`, or
// `// miss: <rule>/<messageId> — <why>` for a real race the rules do not catch yet (counted as a
// race to find: a miss lowers the recall).
//
//   npm run bench:rules-precision
//
// Side by side: maprace's rules (every rule of the plugin, syntactic and type-aware), ESLint's
// require-atomic-updates (the rule people use against these races today), and typescript-eslint's
// no-floating-promises and no-misused-promises (type-aware promise rules with no model of shared
// state). For each: races found (any report of that side on a marked line; for maprace also with
// the marked rule and message), races missed, and reports elsewhere — on correct files, or on lines
// of racy files that hold no race — and correct files flagged. Prints tables and Markdown blocks for
// the README (between the rules-precision and rules-precision-real-shapes markers), and writes
// bench/results/rules-precision.json.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import tsParser from '@typescript-eslint/parser';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { columns, machine, writeResults } from './harness.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const rulesCorpus = path.join(repo, 'tests/fixtures/rules');
const realShapes = path.join(repo, 'tests/fixtures/real-shapes');
/** The categories of the real-shapes corpus, in the order of issue 9. */
const CATEGORIES = ['callers', 'foreign-maps', 'then-gaps', 'accessors-fields', 'publish-timers', 'precision'];

const { default: maprace } = await import(new URL('../dist/index.js', import.meta.url));
const ruleCount = Object.keys(maprace?.rules ?? {}).length;
if (ruleCount === 0) {
  console.error('dist/index.js exports no rules: run `npm run build` first.');
  process.exit(1);
}

/** The `.ts` files of a folder (absolute paths, sorted). */
function tsFiles(folder) {
  return readdirSync(folder)
    .filter((name) => name.endsWith('.ts'))
    .sort()
    .map((name) => path.join(folder, name));
}

/** The marked races of files: `file:line` → the markers there ({ kind: 'expect' | 'miss', id: 'rule/messageId' }). */
function markedRaces(files) {
  const marked = new Map();
  for (const file of files) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, index) => {
        const found = [...line.matchAll(/\/\/ (expect|miss): ([\w-]+\/\w+)/gu)].map((match) => ({ kind: match[1], id: match[2] }));
        if (found.length > 0) marked.set(`${file}:${index + 1}`, found);
      });
  }
  return marked;
}

const ours = Object.fromEntries(Object.keys(maprace.rules).map((name) => [`maprace/${name}`, 'error']));
const typedOptions = (root) => ({ parser: tsParser, parserOptions: { projectService: true, tsconfigRootDir: root } });
const syntacticOptions = () => ({ parser: tsParser });
const contenders = [
  { id: 'maprace', label: `maprace (${ruleCount} rules, syntactic)`, languageOptions: syntacticOptions, rules: ours },
  { id: 'maprace-typed', label: `maprace (${ruleCount} rules, type-aware)`, languageOptions: typedOptions, rules: ours },
  { id: 'require-atomic-updates', label: 'ESLint require-atomic-updates', languageOptions: syntacticOptions, rules: { 'require-atomic-updates': 'error' } },
  {
    id: 'typescript-eslint',
    label: 'typescript-eslint no-floating-promises + no-misused-promises',
    languageOptions: typedOptions,
    rules: { '@typescript-eslint/no-floating-promises': 'error', '@typescript-eslint/no-misused-promises': 'error' },
  },
];

/** Lints the files of a corpus (rooted at `root`) with one contender; parse errors stop the script. */
async function lint(contender, root, files) {
  const eslint = new ESLint({
    cwd: root,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ['**/*.ts'],
        languageOptions: contender.languageOptions(root),
        plugins: { maprace, '@typescript-eslint': tseslint.plugin },
        rules: contender.rules,
      },
    ],
  });
  const results = await eslint.lintFiles(files);
  const fatal = results.flatMap((result) => result.messages.filter((message) => message.fatal));
  if (fatal.length > 0) throw new Error(`${contender.label}: parse errors: ${fatal.map((m) => m.message).join('; ')}`);
  return results;
}

/**
 * What one contender's results say about a set of files: races found (any report on a marked line),
 * found exactly (a report with the marked rule/messageId), missed, reports elsewhere, and the
 * correct files (`isCorrect(file)`) with at least one report.
 */
function score(results, marked, isCorrect) {
  const foundLines = new Set();
  const exactLines = new Set();
  let elsewhere = 0;
  for (const result of results) {
    for (const message of result.messages) {
      const where = `${result.filePath}:${message.line}`;
      const markers = marked.get(where);
      if (!markers) {
        elsewhere++;
        continue;
      }
      foundLines.add(where);
      const id = `${(message.ruleId ?? '').replace(/^maprace\//u, '')}/${message.messageId}`;
      if (markers.some((marker) => marker.id === id)) exactLines.add(where);
    }
  }
  const correct = results.filter((result) => isCorrect(result.filePath));
  return {
    races: marked.size,
    found: foundLines.size,
    exact: exactLines.size,
    missed: marked.size - foundLines.size,
    elsewhere,
    correctFiles: correct.length,
    correctFilesFlagged: correct.filter((result) => result.messages.length > 0).length,
  };
}

const inFolder = (name) => (file) => file.includes(`${path.sep}${name}${path.sep}`);
const percent = (part, whole) => (whole === 0 ? '–' : `${Math.round((100 * part) / whole)}%`);

// ---- tests/fixtures/rules ------------------------------------------------------------------------

const rulesFiles = ['racy', 'safe'].flatMap((folder) => tsFiles(path.join(rulesCorpus, folder)));
const rulesMarked = markedRaces(rulesFiles);
const rows = [];
for (const contender of contenders) {
  const s = score(await lint(contender, rulesCorpus, rulesFiles), rulesMarked, inFolder('safe'));
  rows.push({ id: contender.id, label: contender.label, found: s.found, missed: s.missed, elsewhere: s.elsewhere, safeFilesFlagged: s.correctFilesFlagged });
}
const safeCount = rulesFiles.filter(inFolder('safe')).length;

{
  const header = ['rules', 'races found', 'missed', 'reports on no race', 'safe files flagged'];
  const lines = rows.map((row) => [row.label, `${row.found} / ${rulesMarked.size}`, String(row.missed), String(row.elsewhere), `${row.safeFilesFlagged} / ${safeCount}`]);
  const { format, rule } = columns(header, lines, new Set([1, 2, 3, 4]));
  console.log(`Corpus tests/fixtures/rules: ${rulesFiles.length} files, ${rulesMarked.size} marked races.\n`);
  console.log(format(header));
  console.log(rule);
  for (const line of lines) console.log(format(line));

  console.log('\n<!-- rules-precision:start -->');
  console.log(`| Rules | Races found (of ${rulesMarked.size}) | Missed | Reports where there is no race | Correct files flagged (of ${safeCount}) |`);
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const row of rows) console.log(`| ${row.label} | ${row.found} | ${row.missed} | ${row.elsewhere} | ${row.safeFilesFlagged} |`);
  console.log('<!-- rules-precision:end -->');
}

// ---- tests/fixtures/real-shapes, per category ----------------------------------------------------

const shapeFiles = Object.fromEntries(
  CATEGORIES.map((category) => [category, ['racy', 'fixed'].flatMap((kind) => tsFiles(path.join(realShapes, category, kind)))]),
);
const allShapeFiles = Object.values(shapeFiles).flat();
const shapeMarked = markedRaces(allShapeFiles);
const markedIn = (files) => new Map([...shapeMarked].filter(([where]) => files.some((file) => where.startsWith(`${file}:`))));
const categoryInfo = Object.fromEntries(
  CATEGORIES.map((category) => {
    const files = shapeFiles[category];
    const markers = [...markedIn(files).values()].flat();
    return [
      category,
      {
        racyFiles: files.filter(inFolder('racy')).length,
        fixedFiles: files.filter(inFolder('fixed')).length,
        races: markedIn(files).size,
        markedMiss: markers.filter((marker) => marker.kind === 'miss').length,
      },
    ];
  }),
);

const shapeRows = [];
for (const contender of contenders) {
  const results = await lint(contender, realShapes, allShapeFiles);
  const categories = Object.fromEntries(
    CATEGORIES.map((category) => {
      const files = new Set(shapeFiles[category]);
      return [category, score(results.filter((result) => files.has(result.filePath)), markedIn(shapeFiles[category]), inFolder('fixed'))];
    }),
  );
  shapeRows.push({ id: contender.id, label: contender.label, categories, total: score(results, shapeMarked, inFolder('fixed')) });
}

{
  const isOurs = (row) => row.id.startsWith('maprace');
  const header = ['rules', 'category', 'races found', 'recall', 'with its rule/message', 'reports on no race', 'fixed files flagged'];
  const lines = shapeRows.flatMap((row) =>
    [...CATEGORIES, 'all'].map((category) => {
      const s = category === 'all' ? row.total : row.categories[category];
      return [
        row.label,
        category,
        `${s.found} / ${s.races}`,
        percent(s.found, s.races),
        isOurs(row) ? `${s.exact} / ${s.races}` : '–',
        String(s.elsewhere),
        `${s.correctFilesFlagged} / ${s.correctFiles}`,
      ];
    }),
  );
  const { format, rule } = columns(header, lines, new Set([2, 3, 4, 5, 6]));
  const fixedCount = allShapeFiles.filter(inFolder('fixed')).length;
  console.log(
    `\nCorpus tests/fixtures/real-shapes: ${allShapeFiles.length} files (${fixedCount} fixed), ${shapeMarked.size} marked races ` +
      `(${[...shapeMarked.values()].flat().filter((marker) => marker.kind === 'miss').length} marked miss:).\n`,
  );
  console.log(format(header));
  console.log(rule);
  for (const line of lines) console.log(format(line));

  // The README block: per category, each side's races found and its false positives.
  console.log('\n<!-- rules-precision-real-shapes:start -->');
  console.log(`| Category (races, fixed files) | ${shapeRows.map((row) => row.label).join(' | ')} |`);
  console.log(`| --- |${shapeRows.map(() => ' :---: |').join('')}`);
  for (const category of [...CATEGORIES, 'all']) {
    const info = category === 'all' ? { races: shapeMarked.size, fixedFiles: fixedCount } : categoryInfo[category];
    const cells = shapeRows.map((row) => {
      const s = category === 'all' ? row.total : row.categories[category];
      return `${s.found} found, ${s.elsewhere} false, ${s.correctFilesFlagged} fixed flagged`;
    });
    console.log(`| ${category === 'all' ? '**all**' : category} (${info.races}, ${info.fixedFiles}) | ${cells.join(' | ')} |`);
  }
  console.log('<!-- rules-precision-real-shapes:end -->');
}

writeResults('rules-precision', false, {
  benchmark: 'rules-precision',
  ...machine(),
  corpus: { files: rulesFiles.length, races: rulesMarked.size },
  rows,
  realShapes: {
    files: allShapeFiles.length,
    races: shapeMarked.size,
    categories: categoryInfo,
    rows: shapeRows,
  },
});
