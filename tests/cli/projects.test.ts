// `maprace` on real project layouts: nested .gitignore files, paths outside the current
// directory, and tsconfig.json files that do not hold every linted file (or hold none, or are
// invalid). The built bin in a child process, as in maprace.test.ts.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importedMapState, importedMapVisits } from '../helpers/imported-map.js';
import { makeProject, repoRoot, run } from '../helpers/run.js';

const bin = path.join(repoRoot, 'dist/cli/bin.js');
const maprace = (cwd: string, ...args: string[]) => run(process.execPath, [bin, ...args], { cwd });

const clean = 'export const answer: number = 42;\n';
const broken = 'export const answer = ;\n';
const parseError = 'Parsing error: Expression expected.';
/**
 * The files a run warned it could not parse (on stderr, named from the run's directory `cwd`),
 * relative to `root`: the broken files say which files were linted.
 */
const brokenFiles = (stderr: string, cwd: string, root: string) =>
  [...stderr.matchAll(/^maprace: warning: (.+):1:22: Parsing error: Expression expected\. \(not analysed\)$/gmu)]
    .map((match) => path.relative(root, path.resolve(cwd, match[1]!)))
    .sort();

// A race that only type information shows: `visits` is a Map imported from another module.
const stateModule = importedMapState;
const visitsModule = importedMapVisits;
const compilerOptions = { strict: true, module: 'nodenext', noEmit: true };

describe('.gitignore files, as git reads them', () => {
  const repo = makeProject({
    '.git/HEAD': 'ref: refs/heads/main\n',
    '.git/info/exclude': 'scratch/\n',
    '.gitignore': '*.gen.ts\n',
    'a.ts': clean,
    'scratch/broken.ts': broken,
    'top.gen.ts': broken,
    // pkg/sub/.gitignore: its patterns are relative to pkg/sub
    'pkg/sub/.gitignore': 'out/\n/local.ts\n',
    'pkg/sub/out/broken.ts': broken,
    'pkg/sub/local.ts': broken,
    'pkg/sub/deeper/local.ts': broken,
    'pkg/other/out/broken.ts': broken,
    // a deeper .gitignore brings back what a higher one ignores, but never node_modules
    'pkg/.gitignore': '!keep.gen.ts\n!node_modules/\n',
    'pkg/keep.gen.ts': broken,
    'pkg/drop.gen.ts': broken,
    'pkg/node_modules/dep/broken.js': broken,
  });
  const linted = ['pkg/keep.gen.ts', 'pkg/other/out/broken.ts', 'pkg/sub/deeper/local.ts'];

  it('applies every .gitignore below the paths relative to its own directory, and .git/info/exclude; never lints node_modules', () => {
    const result = maprace(repo);
    expect(brokenFiles(result.stderr, repo, repo)).toEqual(linted);
    expect(result.stdout).toBe('maprace: no problems in 4 files (syntactic); 3 files not parsed\n');
    expect(result.status).toBe(0);
  });

  it('from a subdirectory: also the .gitignore files between the repository root and the current directory', () => {
    const cwd = path.join(repo, 'pkg');
    const result = maprace(cwd);
    expect(brokenFiles(result.stderr, cwd, repo)).toEqual(linted);
    expect(result.stdout).toBe('maprace: no problems in 3 files (syntactic); 3 files not parsed\n');

    const named = maprace(cwd, 'drop.gen.ts', 'sub/out/broken.ts', 'sub/local.ts', 'sub/deeper/local.ts');
    expect(named.stderr).toBe([
      'maprace: skipped drop.gen.ts: ignored by .gitignore',
      'maprace: skipped sub/out/broken.ts: ignored by .gitignore',
      'maprace: skipped sub/local.ts: ignored by .gitignore',
      `maprace: warning: sub/deeper/local.ts:1:22: ${parseError} (not analysed)`,
      '',
    ].join('\n'));
    expect(brokenFiles(named.stderr, cwd, repo)).toEqual(['pkg/sub/deeper/local.ts']);
  });

  it('outside a git repository: the .gitignore files from the current directory down, none above it', () => {
    const cwd = makeProject({
      '.gitignore': 'app/generated/\n',
      'app/.gitignore': '*.tmp.ts\n',
      'app/a.ts': clean,
      'app/generated/broken.ts': broken,
      'app/x.tmp.ts': broken,
      'app/sub/y.tmp.ts': broken,
    });
    expect(maprace(cwd).stdout).toBe('maprace: no problems in 1 file (syntactic)\n');
    // From app/, the .gitignore above it is not read (git reads none outside a repository).
    const result = maprace(path.join(cwd, 'app'));
    expect(brokenFiles(result.stderr, path.join(cwd, 'app'), cwd)).toEqual(['app/generated/broken.ts']);
  });
});

describe('paths outside the current directory', () => {
  const root = makeProject({
    'app/a.ts': clean,
    'other/.gitignore': 'generated/\n',
    'other/m.js': broken,
    'other/generated/broken.js': broken,
    'typed/tsconfig.json': JSON.stringify({ compilerOptions, include: ['.'] }),
    'typed/state.ts': stateModule,
    'typed/visits.ts': visitsModule,
  });
  const app = path.join(root, 'app');

  it.each([
    ['a directory', '../other'],
    ['a file', path.join(root, 'other/m.js')],
    ['a glob', '../other/*.js'],
  ])('are linted: %s, with its own .gitignore', (_, target) => {
    const result = maprace(app, target);
    expect(result.stderr).toBe(`maprace: warning: ../other/m.js:1:22: ${parseError} (not analysed)\n`);
    expect(result.stdout).toBe('maprace: no problems in 1 file (syntactic); 1 file not parsed\n');
    expect(result.status).toBe(0);
  });

  it('next to paths inside it, with the tsconfig.json above each one', () => {
    const result = maprace(app, '.', '../typed', '../other/generated/broken.js');
    expect(result.stderr).toBe('maprace: skipped ../other/generated/broken.js: ignored by .gitignore\n');
    expect(result.stdout).toContain(`${path.join(root, 'typed/visits.ts')}\n  7:19  error  Lost update on Map 'visits': read on line 7`);
    expect(result.stdout).toMatch(
      /maprace: 1 problem \(1 error, 0 warnings\) in 1 of 3 files \(type-aware for 2 of 3 files \(\.\.\/typed\/tsconfig\.json\); syntactic for the rest\)\n$/u,
    );
    expect(result.status).toBe(1);
  });

  it('a glob that matches nothing is named as it was given', () => {
    const result = maprace(app, '../other/*.ts');
    expect(result.stderr).toBe("maprace: No files matching '../other/*.ts' were found.\n");
    expect(result.status).toBe(2);
  });
});

describe('what the summary says about type information', () => {
  const project = makeProject({
    'tsconfig.json': JSON.stringify({ compilerOptions, include: ['lib'] }),
    'lib/state.ts': stateModule,
    'lib/visits.ts': visitsModule,
    'scripts/tool.ts': clean,
  });

  it('type-aware for the files the tsconfig.json includes, syntactic for the rest, and says so', () => {
    const result = maprace(project);
    expect(result.stdout).toContain("7:19  error  Lost update on Map 'visits': read on line 7");
    expect(result.stdout).toMatch(
      /in 1 of 3 files \(type-aware for 2 of 3 files \(tsconfig\.json\); syntactic for the rest\)\n$/u,
    );
    expect(maprace(project, 'lib').stdout).toMatch(/in 1 of 2 files \(type-aware with tsconfig\.json\)\n$/u);
  });

  it('syntactic, with the reason, when the tsconfig.json includes none of the files', () => {
    const result = maprace(project, 'scripts');
    expect(result.stdout).toBe('maprace: no problems in 1 file (syntactic: tsconfig.json includes none of these files)\n');
    expect(result.status).toBe(0);
  });

  it('a solution-style tsconfig.json: the projects it references type the files', () => {
    const cwd = makeProject({
      'tsconfig.json': JSON.stringify({ files: [], references: [{ path: './tsconfig.lib.json' }, { path: './tools' }] }),
      'tsconfig.lib.json': JSON.stringify({ compilerOptions: { ...compilerOptions, composite: true, noEmit: undefined }, include: ['lib'] }),
      'tools/tsconfig.json': JSON.stringify({ compilerOptions: { ...compilerOptions, composite: true, noEmit: undefined }, include: ['.'] }),
      'lib/state.ts': stateModule,
      'lib/visits.ts': visitsModule,
      'tools/tool.ts': clean,
      'scripts/other.ts': clean,
    });
    const result = maprace(cwd);
    // Type information finds the race (the Map comes from another module).
    expect(result.stdout).toContain("7:19  error  Lost update on Map 'visits': read on line 7");
    expect(result.stdout).toMatch(
      /in 1 of 4 files \(type-aware for 3 of 4 files \(tsconfig\.lib\.json, tools\/tsconfig\.json\); syntactic for the rest\)\n$/u,
    );
    expect(result.status).toBe(1);
  });

  it.each([
    ['a JSON syntax error', '{ "compilerOptions": { "strict": true }, "include": ["src"\n', 'invalid tsconfig.json:2:1: \']\' expected.'],
    ['an unknown option', '{ "compilerOptions": { "strictest": true } }\n', "invalid tsconfig.json:1:24: Unknown compiler option 'strictest'. Did you mean 'strict'?"],
  ])('an invalid tsconfig.json (%s): one line naming it, exit code 2', (_, tsconfig, message) => {
    const cwd = makeProject({ 'tsconfig.json': tsconfig, 'src/a.ts': clean, 'src/b.ts': clean });
    const result = maprace(cwd);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`maprace: ${message}`);
    expect(result.stderr).toMatch(/ \(fix it, or lint without types: --no-type-check\)\n$/u);
    expect(result.stderr.split('\n')).toHaveLength(2);
    expect(result.status).toBe(2);
  });

  // A checkout often lacks what its tsconfig.json needs: the package it extends is not installed,
  // a referenced project is generated or lives elsewhere. That project is linted syntactically,
  // with one notice naming the tsconfig and what it lacks; the run goes on as usual.
  it.each([
    ['a package', '@tsconfig/node20/tsconfig.json', 'tsconfig.json extends @tsconfig/node20/tsconfig.json, which is not installed'],
    ['a package among several', ['./tsconfig.base.json', '@tsconfig/strictest'], 'tsconfig.json extends @tsconfig/strictest, which is not installed'],
    ['a file', './base.json', 'tsconfig.json extends base.json, which does not exist'],
  ])('a tsconfig.json extending %s that is not there: one notice, syntactic, exit 0', (_, base, notice) => {
    const cwd = makeProject({
      'tsconfig.json': JSON.stringify({ extends: base, compilerOptions, include: ['lib'] }),
      'tsconfig.base.json': JSON.stringify({ compilerOptions }),
      'lib/state.ts': stateModule,
      'lib/visits.ts': visitsModule,
    });
    const result = maprace(cwd);
    expect(result.stderr).toBe(`maprace: ${notice}: linting the files it includes without type information\n`);
    // Without types the Map imported from state.ts is not known: no report, and the summary says why.
    expect(result.stdout).toBe('maprace: no problems in 2 files (syntactic)\n');
    expect(result.status).toBe(0);
  });

  it('a reference to a project that does not exist: one notice; the projects that exist still type their files', () => {
    const cwd = makeProject({
      'tsconfig.json': JSON.stringify({ files: [], references: [{ path: './tsconfig.lib.json' }, { path: './generated' }] }),
      'tsconfig.lib.json': JSON.stringify({ compilerOptions: { ...compilerOptions, composite: true, noEmit: undefined }, include: ['lib'] }),
      'lib/state.ts': stateModule,
      'lib/visits.ts': visitsModule,
    });
    const result = maprace(cwd);
    expect(result.stderr).toBe(
      "maprace: tsconfig.json references generated/tsconfig.json, which does not exist: linting without that project's type information\n",
    );
    expect(result.stdout).toContain("7:19  error  Lost update on Map 'visits': read on line 7");
    expect(result.stdout).toMatch(/in 1 of 2 files \(type-aware with tsconfig\.lib\.json\)\n$/u);
    expect(result.status).toBe(1);
  });

  it('--no-type-check lints a project whose tsconfig.json is invalid', () => {
    const cwd = makeProject({ 'tsconfig.json': '{ "include": [\n', 'src/a.ts': clean });
    const result = maprace(cwd, '--no-type-check');
    expect(result.stdout).toBe('maprace: no problems in 1 file (syntactic)\n');
    expect(result.status).toBe(0);
  });
});
