// The cost of the maprace rules (every rule the plugin exports) in a lint run, against rules people already run, side by
// side in one process with ESLint 10 and @typescript-eslint/parser.
//
//   npm run bench:rules                       500 files, 5 paired runs per side (about 6 minutes on 2 cores)
//   npm run bench:rules -- --quick            100 files, 2 paired runs per side (a smoke run)
//   npm run bench:rules -- --samples 9        more paired runs per side
//   npm run bench:rules -- --concurrency 4    workers for the concurrency check (default 2)
//   npm run bench:rules -- --rules no-unguarded-map-in-timer   only some of the rules
//   npm run bench:rules -- --files 200 --keep fewer files; keep the generated project (path printed)
//
// Prints tables, writes JSON (bench/results/rules.json; a --quick run, another --files or a subset
// of --rules writes rules.quick.tmp.json, which git ignores, so a smoke run never replaces the
// real results), and ends with a Markdown
// block for the README between the rules-bench markers.
//
// What it lints: a TypeScript application generated into a temporary directory by
// rules.project.js (seeded, the same every run): 500 files of 50–250 lines, mostly ordinary code
// (parsing, validation, formatting, classes, retries, sequential and parallel async calls); about
// one module in six holds one racy pattern of the rules contract at a known line (a seeded site:
// rule and messageId), the others safe variants (promise caches, mutex / p-limit / async-lock guards, synchronous
// updates, snapshots, synchronous handlers). It type-checks (tsc --noEmit, strict, NodeNext).
//
// The comparisons (each side a list of rules, all at 'error', every file `src/**/*.ts`):
// - syntactic: (a) the maprace rules against (b) ESLint's require-atomic-updates alone, both
//   with @typescript-eslint/parser and no type information. Target: (a) ≤ 2× (b).
// - typed (parserOptions.projectService: true, tsconfigRootDir = the project): (c)
//   @typescript-eslint/no-floating-promises alone against (d) no-floating-promises plus the
//   maprace rules. Target: (d) ≤ 1.10× (c), the rules add at most 10%.
//
// How it measures:
// - A sample is one full run: a fresh `new ESLint({ cwd, overrideConfigFile: true, overrideConfig,
//   cache: false })` and `lintFiles(['src/**/*.ts'])` over the whole project; its time covers
//   creating the instance, finding and reading the files, parsing, every rule, and the results.
//   Time per file is that over the number of files. Not included: starting node and loading ESLint,
//   the parser and the plugins (done once before anything is timed), and formatting the results.
// - Paired samples (go-map.bench.js explains why): the two sides of a comparison take turns, run by
//   run, each going first in turn; the ratio is the median over pairs of back-to-back runs, each
//   side's time the median of its runs. A full GC runs before every run, untimed.
// - Warm-up: untimed runs of each side before a comparison's samples: two for the syntactic and the
//   warm typed ones (the first typed runs count), one for the cold ones; with --quick one, and none
//   for the cold ones. The JIT warms up; the first runs give the report counts. Run-to-run times
//   still drift by 10–20% on a shared 2-core VM: the pairs, a few seconds apart, are what is compared.
// - Typed runs and the program. The parser's project service is per process: the first typed run
//   builds the TypeScript program (parses all files and the lib .d.ts files, binds, then checks
//   lazily what the rules ask), later runs reuse it. Measured both ways:
//   - warm: after the warm-up runs, the program exists; every sample hands each file to the project
//     service, which finds it unchanged and keeps its TypeScript AST (so warm typed runs come out
//     faster than syntactic ones, which parse every file), converts it to ESTree and runs the
//     rules; the type checker answers from the program it already has. This is what repeated lint
//     runs in an editor or a watch process see, and the stricter comparison (the same extra work
//     over a smaller baseline): it is judged.
//   - cold: the parser's caches are cleared before every sample (clearCaches() of
//     @typescript-eslint/parser), so each run builds the program again, as one `eslint .` run in
//     CI does. Judged against the same target and shown beside it. The JIT stays warm; a new
//     process would add node's and ESLint's start-up to both sides.
//   The very first typed run of the process (cold caches and a cold JIT) is reported on its own.
//   The project declares the Node.js APIs it uses in a small shims.d.ts instead of @types/node, so
//   its program is smaller than a real application's: building it weighs less in the cold runs.
// - Checked, not assumed: every run must lint every file with no parsing error and no message
//   without a rule, and produce exactly the warm-up's reports per rule; else the script stops.
//   The report counts are printed per configuration and rule, and the maprace reports are matched
//   against the seeded sites (same file, rule and line).
// - Concurrency: ESLint 9.34+ lints in worker threads with `concurrency`. Options then have to be
//   structured-cloneable (each worker gets a copy), so an overrideConfig holding the parser and
//   plugin objects is refused (ESLINT_UNCLONEABLE_OPTIONS; the script checks this and says so; the
//   other way out is an options module, ESLint.fromOptionsModule). The check writes eslint.config
//   files into the project that import the parser and the plugins by absolute file URL, lints with
//   each (a and d) once with `concurrency: N` and once without, and requires the same messages
//   (file, line, column, rule, message) from both and from the timed runs. Single runs: their times
//   are only indicative (the workers start cold, and in typed mode each builds its own program).
//
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ESLint } from 'eslint';
import parser, { clearCaches } from '@typescript-eslint/parser';
import tseslint from 'typescript-eslint';
import {
  collectGarbage,
  columns,
  comparePaired,
  judge,
  machine,
  median,
  positiveInt,
  progressReporter,
  requireExposedGc,
  rotations,
  round4,
  times,
  writeResults,
} from './harness.js';
import { generateProject, RULES } from './rules.project.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    samples: { type: 'string' },
    files: { type: 'string' },
    concurrency: { type: 'string', default: '2' },
    rules: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});

const quick = args.quick;
const SAMPLES = positiveInt('--samples', args.samples ?? (quick ? '2' : '5'));
const FILES = positiveInt('--files', args.files ?? (quick ? '100' : '500'));
const CONCURRENCY = positiveInt('--concurrency', args.concurrency);
if (CONCURRENCY < 2) {
  console.error('--concurrency takes 2 or more (ESLint lints without worker threads below 2)');
  process.exit(1);
}
// Untimed runs per side before a comparison's samples (the first typed runs count as one round).
const WARMUP_ROUNDS = quick ? 1 : 2;
const SEED = 1;
const PATTERN = 'src/**/*.ts';

// The README's targets: the subject's full-run time as a multiple of the baseline's.
const TARGETS = { syntactic: 2.0, typed: 1.1 };

const progress = progressReporter('rules');

// ---------------------------------------------------------------------------------------------
// Setup

requireExposedGc('rules.bench.js');

const PLUGIN_URL = new URL('../dist/index.js', import.meta.url);
const { default: plugin } = await import(PLUGIN_URL.href);

// The rules measured (names without the maprace/ prefix): every rule of the plugin, and the
// generator seeds races for each of them.
const OUR_RULES = Object.keys(plugin?.rules ?? {}).sort();
for (const rule of Object.values(RULES)) {
  if (!OUR_RULES.includes(rule)) {
    console.error(`dist/index.js has no rule ${rule}, which rules.project.js seeds: run npm run build`);
    process.exit(1);
  }
}
for (const rule of OUR_RULES) {
  if (!Object.values(RULES).includes(rule)) {
    console.error(`rules.project.js seeds no race for ${rule}: add a racy pattern for it before measuring it`);
    process.exit(1);
  }
}

const selected = args.rules ? args.rules.split(',').map((r) => r.trim().replace(/^maprace\//, '')) : OUR_RULES;
for (const rule of selected) {
  if (!OUR_RULES.includes(rule)) {
    console.error(`--rules: ${rule} is not one of ${OUR_RULES.join(', ')}`);
    process.exit(1);
  }
}

/** The rule ids the subject sides add. */
const ourRuleIds = selected.map((rule) => `maprace/${rule}`);
const ourRuleOf = Object.fromEntries(selected.map((rule, i) => [ourRuleIds[i], rule]));
const OURS_LABEL = selected.length === OUR_RULES.length ? 'maprace' : ourRuleIds.join(' + ');

const require = createRequire(import.meta.url);
const versions = {
  eslint: ESLint.version,
  parser: require('@typescript-eslint/parser/package.json').version,
  typescriptEslint: require('typescript-eslint/package.json').version,
  typescript: require('typescript/package.json').version,
  plugin: plugin?.meta?.version ?? null,
};

const project = mkdtempSync(path.join(os.tmpdir(), 'maprace-rules-bench-'));
progress(`generating ${FILES} files into ${project}`);
// Removed at exit, unless --keep or the run failed (then it is left for a look).
process.on('exit', (code) => {
  if (args.keep || code !== 0) console.error(`Generated project kept at ${project}`);
  else rmSync(project, { recursive: true, force: true });
});
const generated = generateProject(project, { files: FILES, seed: SEED });
const seededSites = generated.sites.filter((s) => selected.includes(s.rule));

// ---------------------------------------------------------------------------------------------
// Configurations

/**
 * A configuration by id: (a) ours, (b) require-atomic-updates, (c) no-floating-promises, (d) both.
 * `plugins` names the plugins it needs ('maprace', '@typescript-eslint'), so that the same
 * configuration can be built as objects (overrideConfig) and written as a config file.
 */
const CONFIGS = {
  a: { label: OURS_LABEL, typed: false, rules: ourRuleIds },
  b: { label: 'require-atomic-updates', typed: false, rules: ['require-atomic-updates'] },
  c: { label: 'no-floating-promises', typed: true, rules: ['@typescript-eslint/no-floating-promises'] },
  d: { label: `no-floating-promises + ${OURS_LABEL}`, typed: true, rules: ['@typescript-eslint/no-floating-promises', ...ourRuleIds] },
};
for (const config of Object.values(CONFIGS)) {
  config.plugins = [...new Set(config.rules.filter((r) => r.includes('/')).map((r) => r.slice(0, r.lastIndexOf('/'))))];
}

const PLUGIN_OBJECTS = { maprace: plugin, '@typescript-eslint': tseslint.plugin };

function languageOptions(config) {
  const options = { parser, sourceType: 'module', ecmaVersion: 'latest' };
  if (config.typed) options.parserOptions = { projectService: true, tsconfigRootDir: project };
  return options;
}

function overrideConfig(config) {
  return [
    {
      files: [PATTERN],
      languageOptions: languageOptions(config),
      plugins: Object.fromEntries(config.plugins.map((name) => [name, PLUGIN_OBJECTS[name]])),
      rules: Object.fromEntries(config.rules.map((rule) => [rule, 'error'])),
    },
  ];
}

/** The same configuration as a flat config file that imports everything by absolute file URL. */
function configModule(config) {
  const urls = {
    maprace: PLUGIN_URL.href,
    '@typescript-eslint': import.meta.resolve('typescript-eslint'),
  };
  const importName = { maprace: 'maprace', '@typescript-eslint': 'tseslint' };
  const pluginValue = { maprace: 'maprace', '@typescript-eslint': 'tseslint.plugin' };
  const parserOptions = config.typed ? `,\n      parserOptions: { projectService: true, tsconfigRootDir: ${JSON.stringify(project)} }` : '';
  return [
    '// Written by bench/rules.bench.js for its concurrency check: ESLint worker threads load this file.',
    `import parser from ${JSON.stringify(import.meta.resolve('@typescript-eslint/parser'))};`,
    ...config.plugins.map((name) => `import ${importName[name]} from ${JSON.stringify(urls[name])};`),
    '',
    'export default [',
    '  {',
    `    files: [${JSON.stringify(PATTERN)}],`,
    `    languageOptions: {\n      parser,\n      sourceType: 'module',\n      ecmaVersion: 'latest'${parserOptions},\n    },`,
    `    plugins: { ${config.plugins.map((name) => `${JSON.stringify(name)}: ${pluginValue[name]}`).join(', ')} },`,
    `    rules: ${JSON.stringify(Object.fromEntries(config.rules.map((rule) => [rule, 'error'])))},`,
    '  },',
    '];',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Runs

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

async function lint(eslintOptions) {
  const eslint = new ESLint({ cwd: project, cache: false, ...eslintOptions });
  return eslint.lintFiles([PATTERN]);
}

/** Reports per rule id, after checking that every file was linted without a parsing error. */
function reportCounts(id, results) {
  if (results.length !== generated.files.length) {
    throw new Error(`${id}: linted ${results.length} files, not ${generated.files.length}`);
  }
  const counts = {};
  for (const result of results) {
    for (const message of result.messages) {
      if (message.fatal || !message.ruleId) {
        const where = `${path.relative(project, result.filePath)}:${message.line}:${message.column}`;
        throw new Error(`${id}: ${where}: ${message.message} (a parsing or configuration problem, not a report)`);
      }
      counts[message.ruleId] = (counts[message.ruleId] ?? 0) + 1;
    }
  }
  return Object.fromEntries(Object.entries(counts).sort(([x], [y]) => x.localeCompare(y)));
}

/** Every message as "file:line:column rule message", sorted: what the concurrency check compares. */
function messageKeys(results) {
  return results
    .flatMap((result) => {
      const file = path.relative(project, result.filePath);
      return result.messages.map((m) => `${file}:${m.line}:${m.column} ${m.ruleId} ${m.message}`);
    })
    .sort();
}

const sides = {};
for (const [id, config] of Object.entries(CONFIGS)) sides[id] = { id, ...config, counts: null, results: null };

/** One run of a side with its configuration objects; checks it against the side's first run. */
async function run(side) {
  collectGarbage();
  const t0 = nowMs();
  const results = await lint({ overrideConfigFile: true, overrideConfig: overrideConfig(side) });
  const ms = nowMs() - t0;
  const counts = reportCounts(side.id, results);
  if (side.counts === null) {
    side.counts = counts;
    side.results = results;
  } else if (JSON.stringify(counts) !== JSON.stringify(side.counts)) {
    throw new Error(`(${side.id}): this run's reports ${JSON.stringify(counts)} differ from the first run's ${JSON.stringify(side.counts)}`);
  }
  return ms;
}

/** Paired full runs of two sides: { [id]: [ms, ...] }. `beforeEach` runs untimed before each run. */
async function samplePaired(pair, label, beforeEach = () => {}) {
  const samples = Object.fromEntries(pair.map((s) => [s.id, []]));
  for (const [i, order] of [...rotations(pair, (i) => i < SAMPLES)].entries()) {
    for (const side of order) {
      beforeEach();
      const ms = await run(side);
      samples[side.id].push(ms);
      progress(`${label}: pair ${i + 1}/${SAMPLES} (${side.id}) ${(ms / 1000).toFixed(2)} s`);
    }
  }
  return samples;
}

const started = nowMs();
const comparisons = [];

function compare(mode, label, subject, baseline, samples, target) {
  const c = comparePaired([samples], subject.id, baseline.id);
  comparisons.push({
    mode,
    label,
    subject: subject.id,
    subjectLabel: subject.label,
    baseline: baseline.id,
    baselineLabel: baseline.label,
    files: generated.files.length,
    subjectMs: c.subject,
    baselineMs: c.baseline,
    subjectMsPerFile: round4(c.subject / generated.files.length),
    baselineMsPerFile: round4(c.baseline / generated.files.length),
    ratio: c.ratio,
    ratioIqr: c.ratioIqr,
    pairs: c.pairs,
    samplesMs: { [subject.id]: samples[subject.id].map(round4), [baseline.id]: samples[baseline.id].map(round4) },
    target,
    result: judge(c.exactRatio, target),
  });
}

/** `rounds` untimed runs of each side, in turn (the first runs also set each side's report counts). */
async function warmUp(pair, label, rounds, beforeEach = () => {}) {
  for (let i = 0; i < rounds; i++) {
    for (const side of pair) {
      beforeEach();
      progress(`${label}: warm-up (${side.id}) ${((await run(side)) / 1000).toFixed(2)} s`);
    }
  }
}

// Syntactic mode.
await warmUp([sides.a, sides.b], 'syntactic', WARMUP_ROUNDS);
compare('syntactic', 'syntactic', sides.a, sides.b, await samplePaired([sides.a, sides.b], 'syntactic'), TARGETS.syntactic);

// Typed mode: the first run builds the program; the warm samples reuse it; the cold ones rebuild it.
clearCaches();
progress('typed: first run (builds the program)');
const firstTypedRun = { side: 'c', ms: round4(await run(sides.c)) };
progress(`typed: first run (c) ${(firstTypedRun.ms / 1000).toFixed(2)} s`);
const typedWarmup = { side: 'd', ms: round4(await run(sides.d)) };
progress(`typed: warm-up (d) ${(typedWarmup.ms / 1000).toFixed(2)} s`);
await warmUp([sides.c, sides.d], 'typed warm', WARMUP_ROUNDS - 1);
compare('typed', 'typed, program reused (warm)', sides.d, sides.c, await samplePaired([sides.c, sides.d], 'typed warm'), TARGETS.typed);
await warmUp([sides.c, sides.d], 'typed cold', WARMUP_ROUNDS - 1, clearCaches);
compare('typed-cold', 'typed, program built per run (cold)', sides.d, sides.c, await samplePaired([sides.c, sides.d], 'typed cold', clearCaches), TARGETS.typed);

// ---------------------------------------------------------------------------------------------
// Report counts and seeded sites

/**
 * Our reports against the seeded sites: found (same file, rule, line), exact (also the seeded
 * messageId), the reports on no seeded line of the rule, and where the reports land.
 */
function siteMatching(side) {
  const rows = [];
  const racyFiles = new Set(generated.modules.filter((m) => m.racy).map((m) => m.path));
  for (const ruleId of ourRuleIds) {
    const rule = ourRuleOf[ruleId];
    const reported = new Map();
    let inRacyModules = 0;
    let elsewhere = 0;
    for (const result of side.results) {
      const file = path.relative(project, result.filePath);
      for (const m of result.messages) {
        if (m.ruleId !== ruleId) continue;
        const where = `${file}:${m.line}`;
        reported.set(where, [...(reported.get(where) ?? []), m.messageId]);
        if (racyFiles.has(file)) inRacyModules++;
        else elsewhere++;
      }
    }
    const sites = seededSites.filter((s) => s.rule === rule);
    const at = (s) => reported.get(`${s.file}:${s.line}`) ?? [];
    const seededLines = new Set(sites.map((s) => `${s.file}:${s.line}`));
    const offSite = [...reported].filter(([where]) => !seededLines.has(where)).flatMap(([where, ids]) => ids.map((id) => `${where} ${id}`));
    rows.push({
      config: side.id,
      rule: ruleId,
      seeded: sites.length,
      found: sites.filter((s) => at(s).length > 0).length,
      exact: sites.filter((s) => at(s).includes(s.messageId)).length,
      offSeededLines: offSite.length,
      inRacyModules,
      inSafeModules: elsewhere,
      missed: sites.filter((s) => at(s).length === 0).map((s) => `${s.file}:${s.line} (${s.pattern})`),
      otherMessage: sites.filter((s) => at(s).length > 0 && !at(s).includes(s.messageId)).map((s) => `${s.file}:${s.line} (${s.pattern}: ${at(s).join(', ')}, seeded ${s.messageId})`),
      reportsOffSeededLines: offSite.slice(0, 20),
    });
  }
  return rows;
}

const reportRows = [];
for (const side of Object.values(sides)) {
  for (const rule of side.rules) {
    const files = side.results.filter((r) => r.messages.some((m) => m.ruleId === rule)).length;
    reportRows.push({ config: side.id, rule, reports: side.counts[rule] ?? 0, files });
  }
}
const sites = [...siteMatching(sides.a), ...siteMatching(sides.d)];

// ---------------------------------------------------------------------------------------------
// Concurrency

progress(`concurrency: probing overrideConfig objects with concurrency: ${CONCURRENCY}`);
let overrideRefusal = null;
try {
  new ESLint({ cwd: project, overrideConfigFile: true, overrideConfig: overrideConfig(sides.a), concurrency: CONCURRENCY });
} catch (error) {
  overrideRefusal = `${error.code ?? error.name}: ${error.message}`;
}

const concurrencyChecks = [];
for (const side of [sides.a, sides.d]) {
  const file = path.join(project, `eslint.${side.typed ? 'typed' : 'syntactic'}.config.mjs`);
  writeFileSync(file, configModule(side));
  const reference = messageKeys(side.results);
  const runs = {};
  for (const [key, concurrency] of [['off', 'off'], ['workers', CONCURRENCY]]) {
    progress(`concurrency: (${side.id}) from ${path.basename(file)}, concurrency ${concurrency}`);
    collectGarbage();
    const t0 = nowMs();
    const results = await lint({ overrideConfigFile: file, concurrency });
    runs[key] = { ms: round4(nowMs() - t0), keys: messageKeys(results), files: results.length };
  }
  const same = (x, y) => x.length === y.length && x.every((k, i) => k === y[i]);
  const firstDifference = (x, y) => {
    const onlyX = x.filter((k) => !y.includes(k));
    const onlyY = y.filter((k) => !x.includes(k));
    return { onlyWithout: onlyX.slice(0, 5), onlyWith: onlyY.slice(0, 5) };
  };
  concurrencyChecks.push({
    config: side.id,
    mode: side.typed ? 'typed' : 'syntactic',
    configFile: path.basename(file),
    concurrency: CONCURRENCY,
    reports: runs.workers.keys.length,
    files: { off: runs.off.files, workers: runs.workers.files },
    same: same(runs.off.keys, runs.workers.keys) && runs.off.files === runs.workers.files,
    sameAsTimedRuns: same(runs.off.keys, reference),
    wallMs: { off: runs.off.ms, workers: runs.workers.ms },
    difference: same(runs.off.keys, runs.workers.keys) ? null : firstDifference(runs.off.keys, runs.workers.keys),
  });
}

const elapsedSeconds = (nowMs() - started) / 1000;
progress(`done in ${elapsedSeconds.toFixed(0)} s`);

// ---------------------------------------------------------------------------------------------
// Report

const sizes = generated.modules.map((m) => m.lines);
const metadata = {
  benchmark: 'rules',
  quick,
  ...machine(),
  versions,
  project: {
    files: generated.files.length,
    lines: generated.lines,
    moduleLines: { min: Math.min(...sizes), median: median(sizes), max: Math.max(...sizes) },
    racyModules: generated.racyModules,
    seededSites: Object.fromEntries(selected.map((rule) => [rule, seededSites.filter((s) => s.rule === rule).length])),
    seed: SEED,
  },
  method: {
    samples: SAMPLES,
    warmupRounds: WARMUP_ROUNDS,
    sample: `one full run: new ESLint({ cwd, overrideConfigFile: true, overrideConfig, cache: false }).lintFiles(['${PATTERN}'])`,
    time: 'median full-run time per side; per file = that / files; a full GC before every run, untimed',
    ratio: 'median over pairs of back-to-back runs of subject / baseline; ratioIqr: IQR of those ratios',
    warm: 'typed runs after the program was built by earlier runs in the process (project service reused)',
    cold: 'typed runs after clearCaches() of @typescript-eslint/parser: each builds the program again; JIT warm',
  },
  configs: Object.fromEntries(Object.values(sides).map((s) => [s.id, { label: s.label, typed: s.typed, rules: s.rules }])),
  targets: TARGETS,
};

const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;
const perFile = (ms) => `${ms.toFixed(2)} ms`;
const goal = (target) => `≤ ${target.toFixed(2)}×`;
const added = (ratio) => `${ratio >= 1 ? '+' : '−'}${Math.abs((ratio - 1) * 100).toFixed(1)}%`;

function printTables() {
  const where = `${generated.files.length} files, ${generated.lines.toLocaleString('en-US')} lines, ${generated.racyModules} with a seeded race`;
  console.log(`maprace rules in a lint run: ESLint ${versions.eslint}, @typescript-eslint/parser ${versions.parser}, TypeScript ${versions.typescript}`);
  console.log(`Node ${metadata.node}, ${metadata.cpu}, ${metadata.cores} cores${quick ? ' (--quick)' : ''}; generated project: ${where}.`);
  console.log(`maprace = ${ourRuleIds.join(', ')}.`);
  console.log(`Each sample is one full lint of the project with a fresh ESLint; ${SAMPLES} paired runs per side, alternating.\n`);

  const header = ['mode', 'subject', 'baseline', 'subject/file', 'baseline/file', 'subject run', 'baseline run', 'ratio', 'target', 'result', 'IQR'];
  const lines = comparisons.map((r) => [
    r.label,
    `(${r.subject}) ${sides[r.subject].label}`,
    `(${r.baseline}) ${sides[r.baseline].label}`,
    perFile(r.subjectMsPerFile),
    perFile(r.baselineMsPerFile),
    seconds(r.subjectMs),
    seconds(r.baselineMs),
    r.mode === 'syntactic' ? times(r.ratio) : `${times(r.ratio)} (${added(r.ratio)})`,
    goal(r.target),
    r.result,
    r.ratioIqr.map((x) => x.toFixed(2)).join('–'),
  ]);
  const table = columns(header, lines, new Set([3, 4, 5, 6, 7]));
  console.log(table.format(header));
  console.log(table.rule);
  for (const line of lines) console.log(table.format(line));
  console.log(
    `\nFirst typed run of the process (${firstTypedRun.side}, builds the program, cold JIT): ${seconds(firstTypedRun.ms)}; ` +
      `then (${typedWarmup.side}) warm-up: ${seconds(typedWarmup.ms)}.`,
  );
  const met = comparisons.filter((r) => r.result === 'PASS').length;
  console.log(`${met}/${comparisons.length} targets met.\n`);

  console.log('Reports per configuration and rule (every run of a configuration gives the same):\n');
  const rHeader = ['config', 'rule', 'reports', 'files'];
  const rLines = reportRows.map((r) => [`(${r.config}) ${sides[r.config].label}`, r.rule, String(r.reports), String(r.files)]);
  const rTable = columns(rHeader, rLines, new Set([2, 3]));
  console.log(rTable.format(rHeader));
  console.log(rTable.rule);
  rLines.forEach((line, i) => {
    if (i > 0 && reportRows[i].config !== reportRows[i - 1].config) console.log('');
    console.log(rTable.format(line));
  });

  console.log(`\nSeeded sites (the racy pattern's report line, per the rules contract) against the maprace reports:\n`);
  const sHeader = ['config', 'rule', 'seeded sites', 'reported there', 'same messageId', 'on no seeded line', 'reports in racy modules', 'reports in safe modules'];
  const sLines = sites.map((s) => [`(${s.config})`, s.rule, String(s.seeded), String(s.found), String(s.exact), String(s.offSeededLines), String(s.inRacyModules), String(s.inSafeModules)]);
  const sTable = columns(sHeader, sLines, new Set([2, 3, 4, 5, 6, 7]));
  console.log(sTable.format(sHeader));
  console.log(sTable.rule);
  for (const line of sLines) console.log(sTable.format(line));
  for (const s of sites.filter((x) => x.missed.length > 0)) {
    console.log(`(${s.config}) ${s.rule} missed: ${s.missed.slice(0, 5).join(', ')}${s.missed.length > 5 ? ', …' : ''}`);
  }
  for (const s of sites.filter((x) => x.otherMessage.length > 0)) {
    console.log(`(${s.config}) ${s.rule} another message: ${s.otherMessage.slice(0, 5).join(', ')}${s.otherMessage.length > 5 ? ', …' : ''}`);
  }
  for (const s of sites.filter((x) => x.reportsOffSeededLines.length > 0)) {
    console.log(`(${s.config}) ${s.rule} on no seeded line: ${s.reportsOffSeededLines.slice(0, 5).join(', ')}${s.offSeededLines > 5 ? ', …' : ''}`);
  }

  console.log(`\nConcurrency (ESLint \`concurrency\` option, worker threads):`);
  console.log(
    overrideRefusal
      ? `- overrideConfig with parser/plugin objects and concurrency: ${CONCURRENCY} is refused: ${overrideRefusal.split('. ')[0]}.\n  So the check loads config files written into the project, importing the parser and plugins by file URL.`
      : `- overrideConfig with parser/plugin objects was accepted with concurrency: ${CONCURRENCY}; the check still uses config files.`,
  );
  for (const c of concurrencyChecks) {
    console.log(
      `- (${c.config}) ${c.mode}, ${c.configFile}: same reports with --concurrency=${c.concurrency}: ${c.same ? 'yes' : 'no'} (${c.reports} reports); ` +
        `same as the timed runs: ${c.sameAsTimedRuns ? 'yes' : 'no'}.\n  Single runs: ${seconds(c.wallMs.off)} without (in this process${c.mode === 'typed' ? ', program already built' : ''}), ` +
        `${seconds(c.wallMs.workers)} with ${c.concurrency} workers (new threads${c.mode === 'typed' ? ', each building its own program' : ''}).`,
    );
    if (c.difference) console.log(`  differences: ${JSON.stringify(c.difference)}`);
  }
}

function markdown() {
  const flags = [quick ? '--quick' : null, args.files ? `--files ${FILES}` : null, args.samples ? `--samples ${SAMPLES}` : null, args.rules ? `--rules ${selected.join(',')}` : null].filter(Boolean);
  const command = `npm run bench:rules${flags.length > 0 ? ` -- ${flags.join(' ')}` : ''}`;
  const out = [
    '<!-- rules-bench:start -->',
      `Full lint runs of a generated TypeScript project (${generated.files.length} files, ${generated.lines.toLocaleString('en-US')} lines, ` +
      `${generated.racyModules} modules with a seeded race), median of ${SAMPLES} paired runs per side, the two sides alternating; ` +
      `in brackets the time per file. ESLint ${versions.eslint}, @typescript-eslint/parser ${versions.parser}, TypeScript ${versions.typescript}, ` +
      `Node ${metadata.node}, ${metadata.cpu}, \`${command}\`.`,
    '',
    '| Mode | With the rules | Without | Ratio | Target | Result |',
    '| --- | --- | --- | ---: | --- | --- |',
  ];
  for (const r of comparisons) {
    const subject = `${sides[r.subject].label}: ${seconds(r.subjectMs)} (${perFile(r.subjectMsPerFile)})`;
    const baseline = `${sides[r.baseline].label}: ${seconds(r.baselineMs)} (${perFile(r.baselineMsPerFile)})`;
    const ratio = r.mode === 'syntactic' ? times(r.ratio) : `${times(r.ratio)} (${added(r.ratio)})`;
    out.push(`| ${r.label} | ${subject} | ${baseline} | ${ratio} | ${goal(r.target)} | ${r.result} |`);
  }
  out.push('');
  const describe = (s) =>
    `${s.found}/${s.seeded} seeded sites (${s.exact} with the seeded message), ${s.inRacyModules + s.inSafeModules} reports, ${s.offSeededLines} on no seeded line, ${s.inSafeModules} in safe modules`;
  const perRule = ourRuleIds.map((rule) => {
    const [syntactic, typed] = ['a', 'd'].map((config) => sites.find((s) => s.config === config && s.rule === rule));
    const same = describe(syntactic) === describe(typed);
    return `\`${rule}\` ${describe(syntactic)}${same ? '' : ` (with type information: ${describe(typed)})`}`;
  });
  out.push(
    `Reports: ${perRule.join('; ')}. ` +
      `\`require-atomic-updates\`: ${sides.b.counts['require-atomic-updates'] ?? 0}; ` +
      `\`no-floating-promises\`: ${sides.c.counts['@typescript-eslint/no-floating-promises'] ?? 0}. ` +
      `The first typed run of a process, which builds the program: ${seconds(firstTypedRun.ms)}.`,
  );
  out.push(
    `Same reports with \`concurrency: ${CONCURRENCY}\`: ${concurrencyChecks.map((c) => `${c.same && c.sameAsTimedRuns ? 'yes' : 'no'} (${c.mode}, ${c.reports} reports)`).join(', ')}.`,
  );
  out.push('<!-- rules-bench:end -->');
  return out.join('\n');
}

printTables();

const report = { ...metadata, elapsedSeconds: round4(elapsedSeconds), firstTypedRun, typedWarmup, comparisons, reports: reportRows, sites, concurrency: { overrideRefusal, checks: concurrencyChecks } };
// Only a full run (default size, all rules, no --quick) replaces the committed results.
const fullRun = !quick && FILES === 500 && selected.length === OUR_RULES.length;
const resultsFile = writeResults('rules', !fullRun, report);
console.log(`\nResults written to ${resultsFile}`);

console.log(`\n${markdown()}`);

const concurrencyFailed = concurrencyChecks.some((c) => !c.same || !c.sameAsTimedRuns);
if (concurrencyFailed) process.exitCode = 1;
