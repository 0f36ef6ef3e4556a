// The `maprace` command on a large real-world-style project: how long it takes, how much it reports
// per thousand lines, and which of the races seeded in it it finds.
//
//   npm run bench:cli                    a 2,000-module application (about 2,300 files)
//   node bench/cli-project.bench.js --files 500 --copies 2 --keep   (writes cli-project.quick.tmp.json)
//
// The project, generated into a temporary directory, is a monorepo of two TypeScript projects
// that a solution-style tsconfig.json at its root references:
// - app/: the application bench/rules.project.js generates (`--files` modules of ordinary code;
//   one module in six holds a seeded race of the Promise.all, timer, worker-message or
//   async-entry rules, the others correct variants), type-checked against its own shims;
// - services/: the real-shapes corpus (tests/fixtures/real-shapes) as application modules: the
//   fixed (correct) twins of every category `--copies` times, the racy twins once, so that the
//   code is mostly correct and each `// expect:` / `// miss:` marker of a racy twin is one seeded
//   race of its category. Type-checked with @types/node and the installed libraries (the
//   project's node_modules links to this repository's; maprace never lints node_modules).
//
// The CLI (`node dist/cli/bin.js --format json`) runs on the project root twice: syntactic
// (--no-type-check) and type-aware (the default, which finds the tsconfig.json and its references).
// Each run is timed as a whole process (start-up, file discovery, the TypeScript programs, linting,
// the JSON output). Reported: the time, files linted, KLOC (lines of the linted files, blank lines
// included), maprace reports and reports per KLOC, other messages (there should be none), the
// seeded races found (a report on the seeded line; "exact" also with the marked rule and message)
// and missed, per category, and the reports on no seeded line (false positives, or races nobody
// seeded: read them). Writes bench/results/cli-project.json.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { columns, machine, positiveInt, progressReporter, writeResults } from './harness.js';
import { generateProject, RULES } from './rules.project.js';

const { values: args } = parseArgs({
  options: {
    files: { type: 'string', default: '2000' },
    copies: { type: 'string', default: '4' },
    keep: { type: 'boolean', default: false },
  },
});

const FILES = positiveInt('--files', args.files);
const COPIES = positiveInt('--copies', args.copies);
const SEED = 1;
const progress = progressReporter('cli-project');

const repo = fileURLToPath(new URL('..', import.meta.url));
const cli = path.join(repo, 'dist/cli/bin.js');
if (!existsSync(cli)) {
  console.error('dist/cli/bin.js is missing: run `npm run build` first.');
  process.exit(1);
}
const realShapes = path.join(repo, 'tests/fixtures/real-shapes');
const CATEGORIES = ['callers', 'foreign-maps', 'then-gaps', 'accessors-fields', 'publish-timers', 'precision'];
/** The categories of the app's seeded sites: the task source each rule watches. */
const APP_CATEGORY = { [RULES.P]: 'promise-all', [RULES.T]: 'timer', [RULES.W]: 'worker-message', [RULES.E]: 'async-entry' };
for (const rule of Object.values(RULES)) {
  if (!APP_CATEGORY[rule]) throw new Error(`cli-project.bench.js: no category for the seeded rule ${rule}`);
}

// ---------------------------------------------------------------------------------------------
// The project

const project = mkdtempSync(path.join(os.tmpdir(), 'maprace-cli-project-'));
process.on('exit', (code) => {
  if (args.keep || code !== 0) console.error(`Generated project kept at ${project}`);
  else rmSync(project, { recursive: true, force: true });
});

progress(`generating app/ (${FILES} files) into ${project}`);
const app = generateProject(path.join(project, 'app'), { files: FILES, seed: SEED });

/** A seeded race: its file (relative to the project), line, category, and the rule/messageId expected. */
const seeded = app.sites.map((site) => ({
  file: path.join('app', site.file),
  line: site.line,
  category: APP_CATEGORY[site.rule],
  id: `${site.rule}/${site.messageId}`,
}));

progress(`copying the real-shapes corpus into services/ (fixed twins ${COPIES}×, racy twins once)`);
const services = path.join(project, 'services');
mkdirSync(path.join(services, 'src'), { recursive: true });
cpSync(path.join(realShapes, 'shims.d.ts'), path.join(services, 'src/shims.d.ts'));
const realShapesConfig = JSON.parse(readFileSync(path.join(realShapes, 'tsconfig.json'), 'utf8'));
realShapesConfig.compilerOptions.paths = { 'eslint-plugin-maprace/runtime': [path.join(repo, 'lib/runtime/index.ts')] };
realShapesConfig.include = ['src'];
writeFileSync(path.join(services, 'tsconfig.json'), `${JSON.stringify(realShapesConfig, null, 2)}\n`);
writeFileSync(path.join(services, 'package.json'), `${JSON.stringify({ name: 'services', private: true, type: 'module' }, null, 2)}\n`);
for (let copy = 0; copy < COPIES; copy++) {
  // Each copy is a package of its own: src/<package>/services.ts and src/<package>/<category>/{racy,fixed}.
  const pkg = path.join(services, 'src', `package-${copy + 1}`);
  cpSync(path.join(realShapes, 'services.ts'), path.join(pkg, 'services.ts'));
  for (const category of CATEGORIES) {
    for (const kind of copy === 0 ? ['racy', 'fixed'] : ['fixed']) {
      const from = path.join(realShapes, category, kind);
      for (const name of readdirSync(from).filter((n) => n.endsWith('.ts'))) {
        const to = path.join(pkg, category, kind, name);
        cpSync(path.join(from, name), to);
        readFileSync(to, 'utf8')
          .split('\n')
          .forEach((text, index) => {
            for (const match of text.matchAll(/\/\/ (expect|miss): ([\w-]+\/\w+)/gu)) {
              seeded.push({ file: path.relative(project, to), line: index + 1, category, id: match[2], marker: match[1] });
            }
          });
      }
    }
  }
}
symlinkSync(path.join(repo, 'node_modules'), path.join(project, 'node_modules'), 'dir');
writeFileSync(
  path.join(project, 'tsconfig.json'),
  `${JSON.stringify({ files: [], references: [{ path: './app' }, { path: './services' }] }, null, 2)}\n`,
);
writeFileSync(path.join(project, 'package.json'), `${JSON.stringify({ name: 'maprace-cli-bench', private: true, type: 'module' }, null, 2)}\n`);

// ---------------------------------------------------------------------------------------------
// The runs

/** One CLI run on the project root: its time, exit code, stderr and parsed JSON results. */
function runCli(label, flags) {
  progress(`${label}: maprace ${flags.join(' ')}`);
  const started = performance.now();
  const child = spawnSync(process.execPath, [cli, '--format', 'json', ...flags, '.'], {
    cwd: project,
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
  });
  const seconds = (performance.now() - started) / 1000;
  if (child.error) throw child.error;
  if (child.status !== 0 && child.status !== 1) {
    throw new Error(`${label}: maprace exited with ${child.status}:\n${child.stderr}`);
  }
  return { label, flags, seconds, status: child.status, stderr: child.stderr.trim(), results: JSON.parse(child.stdout) };
}

function summarize(run) {
  const files = run.results.length;
  const lines = run.results.reduce((sum, result) => sum + readFileSync(result.filePath, 'utf8').split('\n').length, 0);
  const messages = run.results.flatMap((result) =>
    result.messages.map((message) => ({ ...message, file: path.relative(project, result.filePath) })),
  );
  const ours = messages.filter((message) => message.ruleId?.startsWith('maprace/'));
  const reportedAt = new Map();
  for (const message of ours) {
    const where = `${message.file}:${message.line}`;
    reportedAt.set(where, [...(reportedAt.get(where) ?? []), `${message.ruleId.slice('maprace/'.length)}/${message.messageId}`]);
  }
  const seededAt = new Set(seeded.map((site) => `${site.file}:${site.line}`));
  const categories = {};
  for (const site of seeded) {
    const row = (categories[site.category] ??= { seeded: 0, found: 0, exact: 0, missed: [] });
    const ids = reportedAt.get(`${site.file}:${site.line}`) ?? [];
    row.seeded++;
    if (ids.length > 0) row.found++;
    else row.missed.push(`${site.file}:${site.line} ${site.id}`);
    if (ids.includes(site.id)) row.exact++;
  }
  const elsewhere = ours.filter((message) => !seededAt.has(`${message.file}:${message.line}`));
  const kloc = lines / 1000;
  return {
    label: run.label,
    flags: run.flags,
    seconds: Math.round(run.seconds * 100) / 100,
    exitCode: run.status,
    files,
    kloc: Math.round(kloc * 10) / 10,
    reports: ours.length,
    reportsPerKloc: Math.round((ours.length / kloc) * 1000) / 1000,
    otherMessages: messages.length - ours.length,
    seeded: seeded.length,
    found: Object.values(categories).reduce((sum, row) => sum + row.found, 0),
    exact: Object.values(categories).reduce((sum, row) => sum + row.exact, 0),
    categories,
    reportsOnNoSeededLinePerKloc: Math.round((elsewhere.length / kloc) * 1000) / 1000,
    reportsOnNoSeededLine: elsewhere.map((message) => `${message.file}:${message.line} ${message.ruleId}/${message.messageId}`),
    stderr: run.stderr,
  };
}

const runs = [runCli('syntactic', ['--no-type-check']), runCli('type-aware', [])].map(summarize);

// ---------------------------------------------------------------------------------------------
// The report

const header = ['run', 'time', 'files', 'KLOC', 'reports', 'per KLOC', 'other msgs', 'seeded found', 'exact', 'no seeded line', 'per KLOC', 'exit'];
const lines = runs.map((run) => [
  run.label,
  `${run.seconds.toFixed(1)} s`,
  String(run.files),
  run.kloc.toFixed(1),
  String(run.reports),
  run.reportsPerKloc.toFixed(3),
  String(run.otherMessages),
  `${run.found} / ${run.seeded}`,
  String(run.exact),
  String(run.reportsOnNoSeededLine.length),
  run.reportsOnNoSeededLinePerKloc.toFixed(3),
  String(run.exitCode),
]);
const table = columns(header, lines, new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]));
console.log(`maprace CLI on a generated project: app/ ${app.files.length} files, services/ ${COPIES} copies of the real-shapes corpus; ${seeded.length} seeded races.\n`);
console.log(table.format(header));
console.log(table.rule);
for (const line of lines) console.log(table.format(line));

const categoryNames = [...new Set(seeded.map((site) => site.category))];
const byCategoryHeader = ['category', 'seeded', ...runs.map((run) => `${run.label} found (exact)`)];
const byCategory = categoryNames.map((category) => [
  category,
  String(runs[0].categories[category].seeded),
  ...runs.map((run) => `${run.categories[category].found} (${run.categories[category].exact})`),
]);
const perCategory = columns(byCategoryHeader, byCategory, new Set([1, 2, 3]));
console.log(`\n${perCategory.format(byCategoryHeader)}`);
console.log(perCategory.rule);
for (const line of byCategory) console.log(perCategory.format(line));

for (const run of runs) {
  if (run.reportsOnNoSeededLine.length > 0) {
    console.log(`\n${run.label}: reports on no seeded line (false positives, or races nobody seeded):`);
    for (const where of run.reportsOnNoSeededLine.slice(0, 20)) console.log(`  ${where}`);
    if (run.reportsOnNoSeededLine.length > 20) console.log(`  … and ${run.reportsOnNoSeededLine.length - 20} more`);
  }
  if (run.stderr) console.log(`\n${run.label}: stderr: ${run.stderr.split('\n').slice(0, 5).join('\n  ')}`);
}

// Only a run of the default size replaces the committed results; a smaller one writes
// cli-project.quick.tmp.json, which git ignores.
const defaultSize = args.files === '2000' && args.copies === '4';
const file = writeResults('cli-project', !defaultSize, {
  benchmark: 'cli-project',
  ...machine(),
  project: { appFiles: app.files.length, copies: COPIES, seed: SEED, seeded: seeded.length },
  runs,
});
console.log(`\nWrote ${path.relative(repo, file)}`);
