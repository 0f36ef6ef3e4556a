// The `maprace` command as a user runs it: the built bin in a child process.
import { copyFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeProject, repoRoot, run } from '../helpers/run.js';

const bin = path.join(repoRoot, 'dist/cli/bin.js');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const version = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
const maprace = (cwd: string, ...args: string[]) => run(process.execPath, [bin, ...args], { cwd });

const cleanModule = `export async function total(ids: string[]): Promise<number> {
  const sizes = await Promise.all(ids.map(async (id) => id.length));
  return sizes.reduce((a, b) => a + b, 0);
}
`;
const brokenModule = 'export const answer = ;\n';

describe('usage', () => {
  it('prints help and exits 0', () => {
    const result = maprace(repoRoot, '--help');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: maprace \[options\] \[paths\.\.\.\]/);
    expect(result.stdout).toContain('--no-type-check');
    expect(result.stdout).toMatch(/^Exit codes:\n {2}0 {2}no maprace reports.*\n {2}1 {2}maprace reported races\n {2}2 {2}a usage or config error/mu);
  });

  it('prints its version and the ESLint it runs', () => {
    const result = maprace(repoRoot, '--version');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^maprace ${version.replaceAll('.', '\\.')} \\(ESLint 10\\.\\d+\\.\\d+\\)\\n$`));
  });

  it.each([
    [['--bogus'], "maprace: Unknown option '--bogus' (see maprace --help)\n"],
    [['--format', 'xml'], "maprace: unknown format 'xml': use stylish, json, sarif (see maprace --help)\n"],
    [['no/such/dir'], 'maprace: no such file or directory: no/such/dir\n'],
  ])('rejects %j in one line with exit code 2', (args, message) => {
    const result = maprace(makeProject({ 'a.ts': cleanModule }), ...args);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(message);
    expect(result.stdout).toBe('');
  });

  it('reports a pattern that matches nothing as a usage error, not a stack trace', () => {
    const result = maprace(makeProject({ 'a.ts': cleanModule }), 'src/**/*.ts');
    expect(result.status).toBe(2);
    expect(result.stderr).toBe("maprace: No files matching 'src/**/*.ts' were found.\n");
  });
});

// Files the user names that maprace does not lint are neither problems nor counted.
describe('files it does not lint', () => {
  const cwd = makeProject({
    '.gitignore': 'generated/\n',
    'README.md': '# app\n',
    'docs/guide.md': '# guide\n',
    'a.ts': cleanModule,
    'generated/broken.ts': brokenModule,
    'node_modules/dep/index.js': brokenModule,
  });

  it.each([
    ['README.md', 'not a JavaScript or TypeScript file'],
    ['generated/broken.ts', 'ignored by .gitignore'],
    ['node_modules/dep/index.js', 'inside node_modules'],
  ])('%s alone: says why it is skipped, that nothing is left to lint, and exits 2', (file, reason) => {
    const result = maprace(cwd, file);
    expect(result.stderr).toBe(`maprace: skipped ${file}: ${reason}\nmaprace: no files to lint in ${file}\n`);
    expect(result.stdout).toBe('');
    expect(result.status).toBe(2);
  });

  it('next to a linted file: skipped on stderr, the summary counts the linted file only, exit 0', () => {
    const result = maprace(cwd, 'a.ts', 'README.md', 'generated/broken.ts', 'node_modules/dep/index.js');
    expect(result.stdout).toBe('maprace: no problems in 1 file (syntactic)\n');
    expect(result.stderr).toBe([
      'maprace: skipped README.md: not a JavaScript or TypeScript file',
      'maprace: skipped generated/broken.ts: ignored by .gitignore',
      'maprace: skipped node_modules/dep/index.js: inside node_modules',
      '',
    ].join('\n'));
    expect(result.status).toBe(0);
  });

  it('never suggests ESLint flags that maprace does not have', () => {
    const result = maprace(cwd, 'a.ts', 'README.md', 'generated/broken.ts', 'node_modules/dep/index.js', '--format', 'json');
    expect(result.stdout + result.stderr).not.toMatch(/--no-ignore|--no-warn-ignored|ignore pattern/u);
    expect((JSON.parse(result.stdout) as { filePath: string }[]).map((r) => path.basename(r.filePath))).toEqual(['a.ts']);
  });

  it.each(['docs', 'generated'])('a directory with nothing to lint (%s) is a usage error with a clear message', (dir) => {
    const result = maprace(cwd, dir);
    expect(result.stderr).toBe(
      `maprace: no files to lint in ${dir} (maprace lints .js .mjs .cjs .jsx .ts .mts .cts .tsx files outside node_modules and .gitignore)\n`,
    );
    expect(result.status).toBe(2);
  });
});

describe('linting', () => {
  it('lints the current directory by default and exits 0 when clean', () => {
    const cwd = makeProject({ 'src/a.ts': cleanModule, 'src/b.js': 'export const b = 1;\n' });
    const result = maprace(cwd);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('maprace: no problems in 2 files (syntactic)\n');
  });

  // A file that does not parse is not a race: maprace says it could not analyse it, and goes on.
  it('warns on stderr of a file that does not parse, with the parser message, and exits 0', () => {
    const cwd = makeProject({ 'a.ts': cleanModule, 'broken.ts': brokenModule });
    const result = maprace(cwd, '.');
    expect(result.stderr).toBe('maprace: warning: broken.ts:1:22: Parsing error: Expression expected. (not analysed)\n');
    expect(result.stdout).toBe('maprace: no problems in 2 files (syntactic); 1 file not parsed\n');
    expect(result.status).toBe(0);
  });

  it('skips what .gitignore and node_modules hide', () => {
    const cwd = makeProject({
      '.gitignore': '# build output\ngenerated/\n*.gen.ts\n',
      'a.ts': cleanModule,
      'generated/broken.ts': brokenModule,
      'src/broken.gen.ts': brokenModule,
      'node_modules/dep/index.js': brokenModule,
    });
    const result = maprace(cwd);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('maprace: no problems in 1 file (syntactic)\n');
  });

  it('uses type information when a tsconfig.json is found above the paths', () => {
    const cwd = makeProject({
      'tsconfig.json': JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext' }, include: ['src'] }),
      'src/a.ts': cleanModule,
      'scripts/tool.js': 'export const tool = 1;\n',
    });
    const typed = maprace(path.join(cwd, 'src'), '.');
    expect(typed.status).toBe(0);
    expect(typed.stdout).toBe('maprace: no problems in 1 file (type-aware with ../tsconfig.json)\n');

    // A file outside the project's program is linted syntactically instead of failing the run,
    // and the summary says which part of the run had type information.
    const mixed = maprace(cwd, '.');
    expect(mixed.status).toBe(0);
    expect(mixed.stdout).toBe('maprace: no problems in 2 files (type-aware for 1 of 2 files (tsconfig.json); syntactic for the rest)\n');

    const syntactic = maprace(cwd, '--no-type-check', 'src');
    expect(syntactic.stdout).toBe('maprace: no problems in 1 file (syntactic)\n');
  });
});

// a real race: reported with its rule, then rewritten by --fix into a SafeMap update
describe('races', () => {
  const racyModule = `const hits = new Map<string, number>();
declare function audit(route: string): Promise<void>;
export async function recordAll(routes: string[]) {
  await Promise.all(routes.map(async (route) => {
    const count = hits.get(route) ?? 0;
    await audit(route);
    hits.set(route, count + 1);
  }));
}
`;

  it('reports the race with its rule and exits 1', () => {
    const cwd = makeProject({ 'stats.ts': racyModule });
    const result = maprace(cwd);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(
      "5:19  error  Lost update on Map 'hits': read on line 5, an await on line 6, written on line 7 in Promise.all tasks, while other tasks write it  maprace/no-unguarded-map-in-promise-all\n               Go: concurrent map read and map write.",
    );
    expect(result.stdout).toContain('maprace/no-unguarded-map-in-promise-all');
  });

  it('--fix rewrites the section to SafeMap.update and the file is clean afterwards', () => {
    const cwd = makeProject({ 'stats.ts': racyModule });
    const fixed = maprace(cwd, '--fix');
    expect(fixed.status).toBe(0);
    expect(readFileSync(path.join(cwd, 'stats.ts'), 'utf8')).toBe(`import { SafeMap } from 'maprace';

const hits = new SafeMap<string, number>();
declare function audit(route: string): Promise<void>;
export async function recordAll(routes: string[]) {
  await Promise.all(routes.map(async (route) => {
    await hits.update(route, async (old) => {
      const count = old ?? 0;
      await audit(route);
      return count + 1;
    });
  }));
}
`);
    expect(maprace(cwd).status).toBe(0);
  });
});

describe('formats', () => {
  const cwd = makeProject({ 'a.ts': cleanModule, 'broken.ts': brokenModule });

  // A parse error stays in the JSON and SARIF results (for the tools that read them), as ESLint
  // gives it, and is still no race: exit 0.
  it('json: ESLint results on stdout, the parse error among them; the warning and the summary on stderr', () => {
    const result = maprace(cwd, '--format', 'json');
    expect(result.status).toBe(0);
    const results = JSON.parse(result.stdout) as { filePath: string; errorCount: number; fatalErrorCount: number }[];
    expect(results.map((r) => [path.basename(r.filePath), r.errorCount, r.fatalErrorCount])).toEqual([['a.ts', 0, 0], ['broken.ts', 1, 1]]);
    expect(result.stderr).toBe([
      'maprace: warning: broken.ts:1:22: Parsing error: Expression expected. (not analysed)',
      'maprace: no problems in 2 files (syntactic); 1 file not parsed',
      '',
    ].join('\n'));
  });

  it('sarif: a SARIF 2.1.0 log naming the file that could not be parsed', () => {
    const result = maprace(cwd, '--format', 'sarif');
    expect(result.status).toBe(0);
    interface Notification { level: string; message: { text: string } }
    const log = JSON.parse(result.stdout) as {
      version: string;
      runs: {
        tool: { driver: { name: string } };
        results: unknown[];
        invocations: { toolConfigurationNotifications: Notification[]; executionSuccessful: boolean }[];
      }[];
    };
    expect(log.version).toBe('2.1.0');
    expect(log.runs[0]?.tool.driver.name).toBe('ESLint');
    // The SARIF formatter files a parse error as a notification of the run, not a rule result.
    expect(log.runs[0]?.results).toEqual([]);
    expect(log.runs[0]?.invocations[0]?.toolConfigurationNotifications).toEqual([
      expect.objectContaining({ level: 'error', message: { text: 'Parsing error: Expression expected.' } }),
    ]);
  });

  // Without the optional peer dependency, see tests/packaging.test.ts (an install that lacks it).
});

describe('the command from a clone of this repository', () => {
  it('npm exec --offline -- maprace examples/racy runs this build (the package installs itself as a devDependency)', () => {
    const result = run(npm, ['exec', '--offline', '--', 'maprace', 'examples/racy'], { cwd: repoRoot });
    expect(result.stdout).toMatch(/maprace: \d+ problems \(\d+ errors, 0 warnings\) in 4 of 4 files \(type-aware with examples\/tsconfig\.json\)\n$/u);
    expect(result.stdout).toContain(`examples${path.sep}racy${path.sep}route-stats.ts`);
    expect(result.stdout).toContain('maprace/no-unguarded-map-in-promise-all');
    expect(result.status).toBe(1);
  });

  it('node_modules/.bin/maprace is the committed bin/maprace.js, which exists before any build', () => {
    expect(readFileSync(path.join(repoRoot, 'node_modules/.bin/maprace'), 'utf8'))
      .toBe(readFileSync(path.join(repoRoot, 'bin/maprace.js'), 'utf8'));
  });

  it('bin/maprace.js without a build says how to make one, with exit code 2', () => {
    const clone = makeProject({ 'package.json': JSON.stringify({ type: 'module' }), 'bin/.keep': '' });
    const stub = path.join(clone, 'bin/maprace.js');
    copyFileSync(path.join(repoRoot, 'bin/maprace.js'), stub);
    const result = run(process.execPath, [stub, '--version'], { cwd: clone });
    expect(result.stderr).toBe('maprace: dist/cli/bin.js is missing: run `npm run build` first\n');
    expect(result.status).toBe(2);
  });
});
