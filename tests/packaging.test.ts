// The packages as a user receives them: built from the sources and packed (`npm pack`, whose
// prepack script runs the build), installed into a new project the way an application uses them —
// the runtime `maprace` as a dependency, the plugin as a devDependency — loaded from CommonJS and
// from ES modules, and checked by publint and @arethetypeswrong/cli.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { docsUrl } from '../lib/create-rule.js';
import { makeProject, repoRoot, run } from './helpers/run.js';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let project: string;
let tarball: string;
let runtimeTarball: string;
/** A copy of what the packages are built from, without dist/: the builds run there, not in the repository. */
let source: string;
/** The `maprace` package inside that copy. */
let runtimeSource: string;

// What `npm pack` needs to build the packages and pack them: package.json's `files` and the build inputs.
const sourceEntries = ['package.json', 'tsconfig.json', 'tsup.config.ts', 'README.md', 'CHANGELOG.md', 'LICENSE', 'lib', 'bin', 'docs', 'packages'];

const expectedPluginShape = {
  name: 'eslint-plugin-maprace',
  configs: [
    'legacy-recommended', 'legacy-strict', 'legacy-strict-type-checked',
    'recommended', 'recommended-type-checked', 'strict', 'strict-type-checked',
  ],
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

// The same for the runtime package, and an error thrown by its GoMap caught as the plugin runtime's.
const runtimeProbe = (load: (specifier: string) => string) => `
const maprace = ${load('maprace')};
const race = ${load('maprace/race')};
const pkg = ${load('maprace/package.json')};
const pluginRuntime = ${load('eslint-plugin-maprace/runtime')};
const hits = new maprace.GoMap([['home', 1]], { name: 'hits' });
const release = hits.holdWriting('home');
let thrown;
try { hits.get('home'); } catch (error) { thrown = error; }
release();
const counts = new maprace.SafeMap();
await counts.update('home', async (n = 0) => n + 1);
console.log(JSON.stringify({
  name: pkg.name,
  version: pkg.version,
  raceRequested: race.isRaceModeRequested(),
  classNames: [maprace.GoMap.name, maprace.SafeMap.name, maprace.ShardedMap.name],
  thrown: [thrown.name, thrown.message, thrown instanceof maprace.ConcurrentMapError, thrown instanceof pluginRuntime.ConcurrentMapError],
  counted: counts.get('home'),
  separateCopies: maprace.GoMap !== pluginRuntime.GoMap,
}));
`;

/** npm pack in `folder` (its prepack script builds); the tarball's path in the consumer project. */
function pack(folder: string): string {
  const packed = run(npm, ['pack', '--pack-destination', project, '--silent'], { cwd: folder });
  expect(packed.status, packed.stderr).toBe(0);
  return path.join(project, packed.stdout.trim().split('\n').at(-1)!);
}

beforeAll(() => {
  // The build goes to a copy of the sources: tsup empties dist/ first, and the other test files
  // run the repository's dist/ at the same time.
  source = path.join(makeProject({}), 'eslint-plugin-maprace');
  mkdirSync(source);
  for (const entry of sourceEntries) {
    cpSync(path.join(repoRoot, entry), path.join(source, entry), {
      recursive: true,
      filter: (from) => !/[\\/](dist|node_modules)$/u.test(from),
    });
  }
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(source, 'node_modules'), 'dir');
  runtimeSource = path.join(source, 'packages/maprace');
  expect(existsSync(path.join(source, 'dist')), 'the copy starts without a build').toBe(false);
  expect(existsSync(path.join(runtimeSource, 'dist')), 'the copy starts without a runtime build').toBe(false);

  project = makeProject({
    'package.json': JSON.stringify({ name: 'consumer', private: true, type: 'commonjs' }),
    'probe.cjs': probe((s) => `require('${s}')`),
    'probe.mjs': probe((s) => (s.endsWith('.json')
      ? `(await import('${s}', { with: { type: 'json' } })).default`
      : s.endsWith('maprace') ? `(await import('${s}')).default` : `await import('${s}')`)),
    // CommonJS has no top-level await: the probe runs in an async function.
    'runtime-probe.cjs': `(async () => {${runtimeProbe((s) => `require('${s}')`)}})();\n`,
    'runtime-probe.mjs': runtimeProbe((s) => (s.endsWith('.json')
      ? `(await import('${s}', { with: { type: 'json' } })).default`
      : `await import('${s}')`)),
    'src/app.ts': 'export const answer = 42;\n',
  });
  runtimeTarball = pack(runtimeSource);
  expect(existsSync(path.join(runtimeSource, 'dist/index.js')), 'prepack built the runtime package').toBe(true);
  tarball = pack(source);
  expect(existsSync(path.join(source, 'dist/index.js')), 'prepack built dist/').toBe(true);
  // An application: the runtime in production, the plugin (and the ESLint it brings) for development.
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({
    name: 'consumer',
    private: true,
    type: 'commonjs',
    dependencies: { maprace: `file:${runtimeTarball}` },
    devDependencies: { 'eslint-plugin-maprace': `file:${tarball}` },
  }));
  const installed = run(
    npm,
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error'],
    { cwd: project },
  );
  expect(installed.status, installed.stderr).toBe(0);
});

describe('the runtime package maprace', () => {
  it('ships its build and README, with no sources, source maps or tests', () => {
    const files = (readdirSync(path.join(project, 'node_modules/maprace'), { recursive: true }) as string[]).sort();
    expect(files).toContain(path.join('dist', 'index.js'));
    expect(files).toContain(path.join('dist', 'index.cjs'));
    expect(files).toContain(path.join('dist', 'race.d.ts'));
    expect(files).toContain('README.md');
    expect(files.filter((f) => f.endsWith('.map') || f.endsWith('.ts') && !f.endsWith('.d.ts') || /^(lib|tests)\b/u.test(f))).toEqual([]);
  });

  it('is the production install: no ESLint, no typescript-eslint, nothing but maprace', () => {
    const listed = run(npm, ['ls', '--omit=dev', '--all', '--parseable'], { cwd: project });
    expect(listed.status, listed.stderr).toBe(0);
    const packages = listed.stdout.trim().split('\n').slice(1).map((line) => path.relative(path.join(project, 'node_modules'), line));
    expect(packages).toEqual(['maprace']);
    // …while the development install has the plugin and the ESLint it needs.
    const all = run(npm, ['ls', '--all', '--parseable'], { cwd: project });
    expect(all.stdout).toContain(`${path.sep}node_modules${path.sep}eslint-plugin-maprace\n`);
    expect(all.stdout).toMatch(/[\\/]node_modules[\\/]@typescript-eslint[\\/]parser$/mu);
  });

  it.each([
    ['CommonJS (require)', 'runtime-probe.cjs'],
    ['ES modules (import)', 'runtime-probe.mjs'],
  ])('loads from %s, and its errors are the plugin runtime\'s', (_, probeFile) => {
    const result = run(process.execPath, [probeFile], { cwd: project });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({
      name: 'maprace',
      version: expect.stringMatching(/^\d+\.\d+\.\d+$/u),
      raceRequested: true,
      classNames: ['GoMap', 'SafeMap', 'ShardedMap'],
      thrown: ['ConcurrentMapError', 'concurrent map read and map write', true, true],
      counted: 1,
      separateCopies: true,
    });
  });

  it('has the version of the plugin it ships with', () => {
    const runtimeVersion = run(process.execPath, ['-p', "require('maprace/package.json').version"], { cwd: project });
    const pluginVersion = run(process.execPath, ['-p', "require('eslint-plugin-maprace/package.json').version"], { cwd: project });
    expect(runtimeVersion.stdout).toBe(pluginVersion.stdout);
  });

  it.each([
    ['ES module', 'check-race.mjs', "import { SafeMap, isRaceModeRequested } from 'maprace';\nconsole.log(isRaceModeRequested(), new SafeMap().size);\n"],
    ['CommonJS', 'check-race.cjs', "const { SafeMap, isRaceModeRequested } = require('maprace');\nconsole.log(isRaceModeRequested(), new SafeMap().size);\n"],
  ])('an app (%s) runs under node --import maprace/race', (_, file, text) => {
    writeFileSync(path.join(project, file), text);
    const result = run(process.execPath, ['--import', 'maprace/race', file], { cwd: project });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('true 0\n');
    const plain = run(process.execPath, [file], { cwd: project });
    expect(plain.stdout).toBe('false 0\n');
  });

  it('--import maprace/race puts maps of the plugin runtime in race mode too (one flag, one tracker)', () => {
    writeFileSync(path.join(project, 'check-both.cjs'), `const plugin = require('eslint-plugin-maprace/runtime');
const tracker = Symbol.for('eslint-plugin-maprace.raceTracker');
console.log(plugin.isRaceModeRequested(), typeof globalThis[tracker]);
`);
    const result = run(process.execPath, ['--import', 'maprace/race', 'check-both.cjs'], { cwd: project });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('true object\n');
  });
});

describe('the installed package', () => {
  it('ships the build, the docs, the README, the changelog and the licence, and no sources, tests or source maps', () => {
    const files = readdirSync(path.join(project, 'node_modules/eslint-plugin-maprace'), { recursive: true }) as string[];
    expect(files).toContain(path.join('dist', 'index.cjs'));
    expect(files).toContain(path.join('dist', 'cli', 'bin.js'));
    expect(files).toEqual(expect.arrayContaining(['README.md', 'CHANGELOG.md', 'LICENSE']));
    expect(files.filter((f) => f.startsWith('lib') || f.startsWith('tests') || f.startsWith('packages'))).toEqual([]);
    // tsup.config.ts says why: the build is not minified, and the maps carried every source file.
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
  });

  it('points npm at the repository the rules\' docs URLs name: repository, homepage and bugs', () => {
    const installed = JSON.parse(readFileSync(path.join(project, 'node_modules/eslint-plugin-maprace/package.json'), 'utf8')) as {
      repository: { type: string; url: string }; homepage: string; bugs: { url: string }; license: string;
    };
    const base = docsUrl('x').replace(/\/blob\/.*$/u, '');
    expect(base).toBe('https://github.com/maprace/eslint-plugin-maprace');
    expect(installed.repository).toEqual({ type: 'git', url: `git+${base}.git` });
    expect(installed.homepage).toBe(`${base}#readme`);
    expect(installed.bugs).toEqual({ url: `${base}/issues` });
    expect(installed.license).toBe('MIT');
    expect(readFileSync(path.join(project, 'node_modules/eslint-plugin-maprace/LICENSE'), 'utf8'))
      .toContain('Copyright (c) 2026 eslint-plugin-maprace contributors');
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

// A consumer's `eslint.config.mts` / `.cts` in TypeScript, type-checked by this repository's
// TypeScript against the installed package: the plugin and its configs must be assignable to what
// ESLint's `defineConfig`, `Linter.Config` and `ESLint.Plugin` take (ESLint 10, installed as the peer
// dependency, and ESLint 9, this repository's `eslint9` alias) and to typescript-eslint's `config`.
describe('a TypeScript config file of a consumer', () => {
  const tsc = path.join(repoRoot, 'node_modules/typescript/bin/tsc');
  const consumerFiles = {
    'types/eslint.config.mts': `import { defineConfig } from 'eslint/config';
import type { ESLint, Linter } from 'eslint';
import maprace from 'eslint-plugin-maprace';

export const plugin: ESLint.Plugin = maprace;
export const flat: Linter.Config[] = [
  maprace.configs.recommended,
  maprace.configs['recommended-type-checked'],
  maprace.configs.strict,
  maprace.configs['strict-type-checked'],
];
export const legacy: Linter.LegacyConfig[] = [
  maprace.configs['legacy-recommended'],
  maprace.configs['legacy-strict'],
  maprace.configs['legacy-strict-type-checked'],
];
// The types are the plugin's, not \`any\`:
// @ts-expect-error there is no such config
export const missing = maprace.configs.nope;
// @ts-expect-error a flat config's files are globs
export const wrong: number = maprace.configs.recommended.files;

export default defineConfig(
  [maprace.configs.recommended],
  maprace.configs['recommended-type-checked'],
  { files: ['src/**/*.ts'], extends: [maprace.configs.strict] },
  {
    files: ['**/*.ts'],
    plugins: { maprace },
    rules: { 'maprace/no-unguarded-map-in-promise-all': 'error', 'maprace/no-unguarded-map-in-timer': ['error', { autofix: true }] },
  },
);
`,
    'types/eslint.config.cts': `import maprace = require('eslint-plugin-maprace');
import { defineConfig } from 'eslint/config';

export = defineConfig([maprace.configs.recommended, { plugins: { maprace } }]);
`,
    'types/tseslint.config.mts': `import tseslint from 'typescript-eslint';
import maprace from 'eslint-plugin-maprace';

export default tseslint.config(
  maprace.configs.recommended,
  { files: ['**/*.ts'], extends: [maprace.configs['recommended-type-checked']], plugins: { maprace } },
  ...tseslint.configs.recommended,
);
`,
  };
  const compilerOptions = {
    strict: true,
    target: 'es2022',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    noEmit: true,
    types: [],
    skipLibCheck: true,
    // typescript-eslint is not installed in the consumer project: this repository's copy.
    paths: { 'typescript-eslint': [path.join(repoRoot, 'node_modules/typescript-eslint/dist/index.d.ts')] },
  };

  const typeCheck = (tsconfig: string) => run(process.execPath, [tsc, '-p', tsconfig], { cwd: project });

  beforeAll(() => {
    for (const [name, text] of Object.entries(consumerFiles)) {
      mkdirSync(path.dirname(path.join(project, name)), { recursive: true });
      writeFileSync(path.join(project, name), text);
    }
    writeFileSync(path.join(project, 'types/tsconfig.json'), JSON.stringify({ compilerOptions, include: ['*.mts', '*.cts'] }));
    const eslint9 = path.join(repoRoot, 'node_modules/eslint9');
    writeFileSync(path.join(project, 'types/tsconfig.eslint9.json'), JSON.stringify({
      compilerOptions: {
        ...compilerOptions,
        paths: {
          ...compilerOptions.paths,
          eslint: [path.join(eslint9, 'lib/types/index.d.ts')],
          'eslint/config': [path.join(eslint9, 'lib/types/config-api.d.ts')],
        },
      },
      include: ['*.mts', '*.cts'],
    }));
  });

  it('type-checks with ESLint 10 (the installed peer) and typescript-eslint', () => {
    expect(existsSync(path.join(project, 'node_modules/eslint/lib/types/config-api.d.ts'))).toBe(true);
    const result = typeCheck('types/tsconfig.json');
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('type-checks with ESLint 9', () => {
    const result = typeCheck('types/tsconfig.eslint9.json');
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('package linters', () => {
  it.each([
    ['eslint-plugin-maprace', '.'],
    ['maprace', 'packages/maprace'],
  ])('publint finds nothing in %s, suggestions included', (_, folder) => {
    const result = run(npm, ['exec', '--no', '--', 'publint', '--strict', folder], { cwd: source });
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('All good!');
  });

  it.each([
    ['eslint-plugin-maprace', () => tarball, ['.', './runtime', './race', './package.json']],
    ['maprace', () => runtimeTarball, ['.', './race', './package.json']],
  ])('@arethetypeswrong/cli finds no type problems in %s for Node 16+ resolution', (name, packed, entries) => {
    const result = run(npm, ['exec', '--no', '--', 'attw', packed(), '--profile', 'node16', '--format', 'table'], { cwd: repoRoot });
    expect(result.status, result.stdout + result.stderr).toBe(0);
    // Every entry point resolves, with types of the right module kind, for each resolution mode
    // that applies to a Node >= 20 package (node10 predates `exports` and is ignored).
    const header = result.stdout.split('\n').find((line) => line.includes(`"${name}/package.json"`));
    const columns = header?.split('│').slice(2, -1).map((cell) => cell.trim().slice(1, -1).replace(name, '.'));
    expect(columns).toEqual(entries);
    const rows = result.stdout.split('\n').filter((line) => /^│ (node16|bundler)/u.test(line));
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      const cells = row.split('│').slice(2, -1).map((cell) => cell.trim());
      expect(cells).toHaveLength(entries.length);
      for (const cell of cells) expect(cell).toMatch(/^🟢/u);
    }
  });
});
