// `maprace` on a repository written for another ESLint config: only maprace's own reports are
// shown and counted; what the checkout holds or lacks (other plugins named in comments, a
// tsconfig extending a package that is not installed, JSON modules, binary files) is said on
// stderr and does not fail the run. The built bin in a child process, as in maprace.test.ts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { formatStylish } from '../../lib/cli/stylish.js';
import { makeProject, repoRoot, run } from '../helpers/run.js';

const bin = path.join(repoRoot, 'dist/cli/bin.js');
const maprace = (cwd: string, ...args: string[]) => run(process.execPath, [bin, ...args], { cwd });
/** The report rows of stylish output ("  5:19  error  …"). */
const reportRows = (stdout: string) => stdout.split('\n').filter((line) => /^\s+\d+:\d+\s+(error|warning)\s/u.test(line));

const racyStats = `const hits = new Map<string, number>();

declare function audit(route: string): Promise<void>;

export async function recordAll(routes: readonly string[]): Promise<void> {
  await Promise.all(routes.map(async (route) => {
    const count = hits.get(route) ?? 0;
    await audit(route);
    hits.set(route, count + 1);
  }));
}
`;
const raceReport = "7:19  error  Lost update on Map 'hits': read on line 7, an await on line 8, written on line 9 in Promise.all tasks";

// Comments a project writes for its own ESLint config: rules of plugins maprace does not load,
// a core rule turned on inline, a directive for a core rule that maprace does not run (unused,
// to ESLint), an eslint-env comment (no longer supported by flat config).
const otherToolsComments = `/* eslint-disable react-hooks/exhaustive-deps */
/* eslint-env node */
import { EventEmitter } from 'node:events';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Payload = any;

// eslint-disable-next-line no-console -- no console here any more
export const debug = process.env.DEBUG === '1';

/* eslint no-console: "error" */
export function log(message: string): void {
  console.log(message);
}

export class Bus extends EventEmitter {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars, unused-imports/no-unused-vars
  publish(topic: string, payload: Payload): void {
    this.emit(topic, payload); // eslint-disable-line some-plugin/some-rule
  }
}
`;

describe("the project's own ESLint comments", () => {
  it('rules of plugins maprace does not load, core rules turned on inline, eslint-env: none is reported, exit 0', () => {
    const cwd = makeProject({ 'src/bus.ts': otherToolsComments });
    const result = maprace(cwd);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('maprace: no problems in 1 file (syntactic)\n');
    expect(result.status).toBe(0);

    const json = maprace(cwd, '--format', 'json');
    expect((JSON.parse(json.stdout) as { messages: unknown[]; suppressedMessages: unknown[] }[])[0]).toMatchObject({
      messages: [],
      suppressedMessages: [],
      errorCount: 0,
    });
  });

  it('next to a race: exactly the race is reported, exit 1', () => {
    const cwd = makeProject({ 'src/bus.ts': otherToolsComments, 'src/stats.ts': racyStats });
    const result = maprace(cwd);
    expect(reportRows(result.stdout)).toEqual([expect.stringContaining(raceReport)]);
    expect(result.stdout).toMatch(/maprace: 1 problem \(1 error, 0 warnings\) in 1 of 2 files \(syntactic\)\n$/u);
    expect(result.status).toBe(1);
  });

  it('an eslint-disable comment naming a maprace rule still silences it', () => {
    const silenced = racyStats.replace(
      '    const count = hits.get(route) ?? 0;',
      '    // eslint-disable-next-line maprace/no-unguarded-map-in-promise-all -- audited: one route per task\n    const count = hits.get(route) ?? 0;',
    );
    const result = maprace(makeProject({ 'src/stats.ts': silenced }));
    expect(result.stdout).toBe('maprace: no problems in 1 file (syntactic)\n');
    expect(result.status).toBe(0);
  });

  it('--fix leaves the comments for other rules in place (they are not "unused" directives to remove)', () => {
    const cwd = makeProject({ 'src/bus.ts': otherToolsComments });
    expect(maprace(cwd, '--fix').status).toBe(0);
    expect(readFileSync(path.join(cwd, 'src/bus.ts'), 'utf8')).toBe(otherToolsComments);
  });
});

describe('what a typed run lints', () => {
  it('only source files, whatever else the program holds (resolveJsonModule, allowJs)', () => {
    const cwd = makeProject({
      'tsconfig.json': JSON.stringify({
        compilerOptions: { strict: true, module: 'nodenext', resolveJsonModule: true, allowJs: true, noEmit: true },
        include: ['src/**/*.ts', 'src/**/*.js', 'src/**/*.json'],
      }),
      'src/defaults.json': '{ "retries": 3 }\n',
      'src/config.ts': "import defaults from './defaults.json' with { type: 'json' };\n\nexport const retries: number = defaults.retries;\n",
      'src/legacy.js': 'export const legacy = 1;\n',
    });
    const result = maprace(cwd);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('maprace: no problems in 2 files (type-aware with tsconfig.json)\n');
    expect(result.status).toBe(0);
  });
});

describe('binary files', () => {
  const blob = `\u007fELF\u0002\u0001\u0001${'\u0000'.repeat(9)}export const not = 'code';\n`;

  it('a binary file with a source extension is skipped with a notice and not counted, typed or not', () => {
    const cwd = makeProject({
      'tsconfig.json': JSON.stringify({ compilerOptions: { strict: true, allowJs: true, noEmit: true }, include: ['src'] }),
      'src/app.ts': 'export const app = 1;\n',
      'src/prebuilt/addon.js': blob,
    });
    for (const args of [[], ['--no-type-check']]) {
      const result = maprace(cwd, ...args);
      expect(result.stderr).toBe('maprace: skipped src/prebuilt/addon.js: a binary file (NUL bytes in its first 8 KB)\n');
      expect(result.stdout).toMatch(/^maprace: no problems in 1 file \(/u);
      expect(result.status).toBe(0);
    }
  });

  it('named alone: skipped, then nothing is left to lint (exit 2)', () => {
    const cwd = makeProject({ 'addon.js': blob });
    const result = maprace(cwd, 'addon.js');
    expect(result.stderr).toBe([
      'maprace: skipped addon.js: a binary file (NUL bytes in its first 8 KB)',
      'maprace: no files to lint in addon.js',
      '',
    ].join('\n'));
    expect(result.status).toBe(2);
  });

  // A minified bundle is JavaScript: linted like any other file (its races are real races).
  it('a minified file is linted, not skipped', () => {
    const minified = 'const m=new Map;export async function f(k){await Promise.all(k.map(async x=>{const c=m.get(x)??0;await g(x);m.set(x,c+1)}))}async function g(){}\n';
    const result = maprace(makeProject({ 'vendor.min.js': minified }));
    expect(result.stderr).toBe('');
    expect(reportRows(result.stdout)).toHaveLength(1);
    expect(result.status).toBe(1);
  });
});

describe('the default output', () => {
  const result = (message: string): ESLint.LintResult => ({
    filePath: '/app/src/stats.ts',
    messages: [{ ruleId: 'maprace/no-unguarded-map-in-promise-all', severity: 2, message, line: 7, column: 19 }],
    suppressedMessages: [],
    errorCount: 1,
    fatalErrorCount: 0,
    warningCount: 0,
    fixableErrorCount: 0,
    fixableWarningCount: 0,
    usedDeprecatedRules: [],
  });
  const format = async (results: ESLint.LintResult[]) =>
    formatStylish(await new ESLint().loadFormatter('stylish'), results, { cwd: '/app', rulesMeta: {} });

  it('a report: the race on its row, the advice under it, aligned with the message', async () => {
    const text = await format([result(
      "Map 'hits' is read on line 7 and written on line 9 across an await on line 8: a lost update.\nMake it a SafeMap and use update.\nOr guard the section with a lock.",
    )]);
    const lines = text.split('\n');
    const row = lines.findIndex((line) => line.includes("Map 'hits' is read"));
    expect(lines[row]).toMatch(/^ {2}7:19 {2}error {2}Map 'hits' is read on line 7 and written on line 9 across an await on line 8: a lost update {2}maprace\/no-unguarded-map-in-promise-all$/u);
    const column = lines[row]!.indexOf("Map 'hits'");
    expect(lines.slice(row + 1, row + 3)).toEqual([
      `${' '.repeat(column)}Make it a SafeMap and use update.`,
      `${' '.repeat(column)}Or guard the section with a lock.`,
    ]);
    expect(text).toContain('✖ 1 problem (1 error, 0 warnings)');
  });

  it('in colour, the advice goes under the same column', async () => {
    const advised = result("Map 'hits' is read on line 7: a lost update.\nMake it a SafeMap and use update.");
    const stylish = await new ESLint().loadFormatter('stylish');
    const data = (color: boolean) => ({ cwd: '/app', rulesMeta: {}, color }) as ESLint.LintResultData;
    const coloured = await formatStylish(stylish, [advised], data(true));
    expect(coloured).not.toBe(stripVTControlCharacters(coloured));
    expect(stripVTControlCharacters(coloured)).toBe(await formatStylish(stylish, [advised], data(false)));
  });

  it('a message of one line is printed as ESLint prints it', async () => {
    const message = "Map 'hits' is read on line 7 and written on line 9 across an await on line 8. Make it a SafeMap.";
    const stylish = await new ESLint().loadFormatter('stylish');
    expect(await format([result(message)])).toBe(await stylish.format([result(message)], { cwd: '/app', rulesMeta: {} } as never));
  });
});

// A repository as a new user meets it: its own ESLint config and plugins (never read by maprace),
// a tsconfig extending a package this checkout has not installed, JSON modules, a binary file.
describe('a realistic repository', () => {
  const repo = {
    '.git/HEAD': 'ref: refs/heads/main\n',
    '.gitignore': 'dist/\ncoverage/\n',
    'package.json': JSON.stringify({ name: 'orders-api', type: 'module', devDependencies: { '@tsconfig/node20': '^20.1.4' } }),
    'eslint.config.mjs': "import react from 'eslint-plugin-react-hooks';\nexport default [react.configs.recommended];\n",
    '.eslintrc.json': JSON.stringify({ plugins: ['react-hooks', '@typescript-eslint'], extends: ['plugin:react-hooks/recommended'] }),
    '.eslintignore': 'coverage/\n',
    'tsconfig.json': JSON.stringify({
      extends: '@tsconfig/node20/tsconfig.json',
      compilerOptions: { resolveJsonModule: true, outDir: 'dist' },
      include: ['src'],
    }),
    'src/defaults.json': '{ "ttlMs": 60000 }\n',
    'src/bus.ts': otherToolsComments,
    // Each task touches only its own key, drawn from a snapshot of distinct keys: not a race.
    'src/prices.ts': `import defaults from './defaults.json' with { type: 'json' };

const prices = new Map<string, number>();

declare function fetchPrice(sku: string): Promise<number>;

export async function refreshPrices(): Promise<number> {
  await Promise.all([...prices.keys()].map(async (sku) => {
    prices.set(sku, await fetchPrice(sku));
  }));
  return defaults.ttlMs;
}
`,
    'src/native/binding.js': `\u0000asm\u0001\u0000\u0000\u0000${'\u0000'.repeat(32)}`,
    'dist/prices.js': 'export const = ;\n',
  };
  const notices = [
    'maprace: tsconfig.json extends @tsconfig/node20/tsconfig.json, which is not installed: linting the files it includes without type information',
    'maprace: skipped src/native/binding.js: a binary file (NUL bytes in its first 8 KB)',
    '',
  ].join('\n');

  it('with no race: notices on stderr, no problems, exit 0', () => {
    const result = maprace(makeProject(repo), '.');
    expect(result.stderr).toBe(notices);
    expect(result.stdout).toBe('maprace: no problems in 3 files (syntactic)\n');
    expect(result.status).toBe(0);
  });

  it('with one racy file: exactly that report, exit 1', () => {
    const result = maprace(makeProject({ ...repo, 'src/stats.ts': racyStats }), '.');
    expect(result.stderr).toBe(notices);
    expect(reportRows(result.stdout)).toEqual([expect.stringContaining(raceReport)]);
    expect(result.stdout).toContain(`src${path.sep}stats.ts\n`);
    expect(result.stdout).toMatch(/maprace: 1 problem \(1 error, 0 warnings\) in 1 of 4 files \(syntactic\)\n$/u);
    expect(result.status).toBe(1);
  });
});
