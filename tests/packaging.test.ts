// The package as a user receives it: built from the sources and packed (`npm pack`, whose prepack
// script runs the build), installed into a new project, loaded from CommonJS and from ES modules,
// and checked by publint and @arethetypeswrong/cli.
import { cpSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeProject, repoRoot, run } from './helpers/run.js';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let project: string;
let tarball: string;
/** A copy of what the package is built from, without dist/: the build runs there, not in the repository. */
let source: string;

// What `npm pack` needs to build the package and pack it: package.json's `files` and the build inputs.
const sourceEntries = ['package.json', 'tsconfig.json', 'tsup.config.ts', 'README.md', 'lib', 'bin', 'docs'];

const expectedPluginShape = {
  name: 'eslint-plugin-maprace',
  configs: ['legacy-recommended', 'legacy-strict', 'recommended', 'recommended-type-checked', 'strict'],
};

// Prints what a consumer sees of each entry point, as JSON.
const probe = (load: (specifier: string) => string) => `
const plugin = ${load('eslint-plugin-maprace')};
const runtime = ${load('eslint-plugin-maprace/runtime')};
const race = ${load('eslint-plugin-maprace/race')};
const pkg = ${load('eslint-plugin-maprace/package.json')};
const error = new runtime.ConcurrentMapError('ERR_CONCURRENT_MAP_WRITES');
console.log(JSON.stringify({
  name: plugin.meta.name,
  version: plugin.meta.version === pkg.version,
  configs: Object.keys(plugin.configs).sort(),
  flatCarriesPlugin: plugin.configs.recommended.plugins.maprace === plugin,
  error: [error.name, error.code, error.message, error instanceof runtime.ConcurrentMapError],
  raceRequested: race.isRaceModeRequested(),
  classNames: [runtime.GoMap.name, runtime.SafeMap.name, runtime.ShardedMap.name],
}));
`;

beforeAll(() => {
  // The build goes to a copy of the sources: tsup empties dist/ first, and the other test files
  // run the repository's dist/ at the same time.
  source = path.join(makeProject({}), 'eslint-plugin-maprace');
  mkdirSync(source);
  for (const entry of sourceEntries) cpSync(path.join(repoRoot, entry), path.join(source, entry), { recursive: true });
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(source, 'node_modules'), 'dir');
  expect(existsSync(path.join(source, 'dist')), 'the copy starts without a build').toBe(false);

  project = makeProject({
    'package.json': JSON.stringify({ name: 'consumer', private: true, type: 'commonjs' }),
    'probe.cjs': probe((s) => `require('${s}')`),
    'probe.mjs': probe((s) => (s.endsWith('.json')
      ? `(await import('${s}', { with: { type: 'json' } })).default`
      : s.endsWith('maprace') ? `(await import('${s}')).default` : `await import('${s}')`)),
    'src/app.ts': 'export const answer = 42;\n',
  });
  const packed = run(npm, ['pack', '--pack-destination', project, '--silent'], { cwd: source });
  expect(packed.status, packed.stderr).toBe(0);
  expect(existsSync(path.join(source, 'dist/index.js')), 'prepack built dist/').toBe(true);
  tarball = path.join(project, packed.stdout.trim().split('\n').at(-1)!);
  const installed = run(
    npm,
    ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error'],
    { cwd: project },
  );
  expect(installed.status, installed.stderr).toBe(0);
});

describe('the installed package', () => {
  it('ships the build, the docs and the README, and no sources or tests', () => {
    const files = readdirSync(path.join(project, 'node_modules/eslint-plugin-maprace'), { recursive: true }) as string[];
    expect(files).toContain(path.join('dist', 'index.cjs'));
    expect(files).toContain(path.join('dist', 'cli', 'bin.js'));
    expect(files).toContain('README.md');
    expect(files.filter((f) => f.startsWith('lib') || f.startsWith('tests'))).toEqual([]);
  });

  it.each([
    ['CommonJS (require)', 'probe.cjs'],
    ['ES modules (import)', 'probe.mjs'],
  ])('loads every entry point from %s', (_, probeFile) => {
    const result = run(process.execPath, [probeFile], { cwd: project });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({
      name: expectedPluginShape.name,
      version: true,
      configs: expectedPluginShape.configs,
      flatCarriesPlugin: true,
      error: ['ConcurrentMapError', 'ERR_CONCURRENT_MAP_WRITES', 'concurrent map writes', true],
      raceRequested: true,
      classNames: ['GoMap', 'SafeMap', 'ShardedMap'],
    });
  });

  it('installs the maprace command', () => {
    const bin = path.join(project, 'node_modules/.bin/maprace');
    const version = run(bin, ['--version'], { cwd: project });
    expect(version.status).toBe(0);
    expect(version.stdout).toMatch(/^maprace \d+\.\d+\.\d+ \(ESLint 10\.\d+\.\d+\)\n$/);
    const lint = run(bin, ['src'], { cwd: project });
    expect(lint.stdout).toBe('maprace: no problems in 1 file (syntactic)\n');
    expect(lint.status).toBe(0);
  });

  it('installs neither the SARIF formatter (an optional peer) nor a second ESLint', () => {
    const modules = path.join(project, 'node_modules');
    expect(existsSync(path.join(modules, '@microsoft/eslint-formatter-sarif'))).toBe(false);
    expect(existsSync(path.join(modules, 'jschardet'))).toBe(false);
    expect(readdirSync(modules, { recursive: true }).filter((f) => String(f).endsWith(`${path.sep}eslint${path.sep}package.json`)))
      .toEqual([]);
  });

  it('maprace --format sarif without the formatter says what to install, in one line, with exit code 2', () => {
    const result = run(path.join(project, 'node_modules/.bin/maprace'), ['--format', 'sarif', 'src'], { cwd: project });
    expect(result.stderr).toBe(
      'maprace: --format sarif needs @microsoft/eslint-formatter-sarif, which is not installed: npm install --save-dev @microsoft/eslint-formatter-sarif\n',
    );
    expect(result.stdout).toBe('');
    expect(result.status).toBe(2);
  });

  it('race mode loads with node --import', () => {
    writeFileSync(path.join(project, 'check-race.mjs'),
      "import { isRaceModeRequested } from 'eslint-plugin-maprace/runtime';\nconsole.log(isRaceModeRequested());\n");
    const result = run(process.execPath, ['--import', 'eslint-plugin-maprace/race', 'check-race.mjs'], { cwd: project });
    expect(result.stdout).toBe('true\n');
  });
});

describe('package linters', () => {
  it('publint finds nothing, suggestions included', () => {
    const result = run(npm, ['exec', '--no', '--', 'publint', '--strict'], { cwd: source });
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('All good!');
  });

  it('@arethetypeswrong/cli finds no type problems for Node 16+ resolution', () => {
    const result = run(npm, ['exec', '--no', '--', 'attw', tarball, '--profile', 'node16', '--format', 'table'], { cwd: repoRoot });
    expect(result.status, result.stdout + result.stderr).toBe(0);
    // Every entry point resolves, with types of the right module kind, for each resolution mode
    // that applies to a Node >= 20 package (node10 predates `exports` and is ignored).
    const rows = result.stdout.split('\n').filter((line) => /^│ (node16|bundler)/u.test(line));
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      const cells = row.split('│').slice(2, -1).map((cell) => cell.trim());
      expect(cells).toHaveLength(4);
      for (const cell of cells) expect(cell).toMatch(/^🟢/u);
    }
  });
});
