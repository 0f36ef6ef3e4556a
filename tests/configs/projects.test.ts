// The configs as a user meets them: the README's snippets, verbatim, as the config of a new project
// with TypeScript and JavaScript files, linted by the ESLint command line of each supported major;
// and this repository's own .eslintrc.cjs on examples/ under the legacy loaders.
import { mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importedMapState, importedMapVisits } from '../helpers/imported-map.js';
import { makeProject, repoRoot, run } from '../helpers/run.js';

const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');

/** The `n`th fenced js block of the README section under `heading`. */
function readmeSnippet(heading: string, n = 0): string {
  const start = readme.indexOf(`\n${heading}\n`);
  expect(start, heading).toBeGreaterThan(0);
  const section = readme.slice(start + heading.length + 2).split(/\n#{2,3} /u)[0]!;
  const blocks = [...section.matchAll(/```js\n([\s\S]*?)```/gu)].map((match) => match[1]!);
  expect(blocks.length, `js blocks under ${heading}`).toBeGreaterThan(n);
  return blocks[n]!;
}

const eslintBins = {
  10: path.join(repoRoot, 'node_modules/eslint/bin/eslint.js'),
  9: path.join(repoRoot, 'node_modules/eslint9/bin/eslint.js'),
  8: path.join(repoRoot, 'node_modules/eslint8/bin/eslint.js'),
} as const;

interface Message { ruleId: string | null; line: number; message: string; fatal?: boolean }
interface Result { filePath: string; messages: Message[] }

/** Runs an ESLint command line in `cwd` with the JSON formatter; returns each linted file's rule ids. */
function eslint(major: keyof typeof eslintBins, cwd: string, flat: boolean, targets = ['.']) {
  const result = run(process.execPath, [eslintBins[major], '--format', 'json', ...targets], {
    cwd,
    env: { ESLINT_USE_FLAT_CONFIG: flat ? 'true' : 'false' },
  });
  expect(result.stdout, result.stderr).toMatch(/^\[/u);
  const results = JSON.parse(result.stdout) as Result[];
  const byFile = Object.fromEntries(results.map((r) => [
    path.relative(cwd, r.filePath),
    r.messages.map((m) => (m.ruleId === null ? `${m.fatal === true ? 'fatal' : 'note'}: ${m.message}` : `${m.ruleId}:${m.line}`)),
  ]));
  return { status: result.status, byFile };
}

const racyTs = `const hits = new Map<string, number>();
declare function audit(route: string): Promise<void>;

export async function recordAll(routes: readonly string[]): Promise<void> {
  await Promise.all(routes.map(async (route: string) => {
    const count: number = hits.get(route) ?? 0;
    await audit(route);
    hits.set(route, count + 1);
  }));
}
`;
const racyJs = `const seen = new Map();
async function audit() {}

export async function recordAll(routes) {
  await Promise.all(routes.map(async (route) => {
    const count = seen.get(route) ?? 0;
    await audit(route);
    seen.set(route, count + 1);
  }));
}
`;
const rule = 'maprace/no-unguarded-map-in-promise-all';

/** A new project holding the plugin (linked to this repository's build), a racy .ts and .js file and `files`. */
function userProject(files: Record<string, string>): string {
  const dir = makeProject({
    'package.json': JSON.stringify({ name: 'user-app', private: true, type: 'module' }),
    'tsconfig.json': JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext', noEmit: true }, include: ['src'] }),
    'src/stats.ts': racyTs,
    'src/stats.js': racyJs,
    ...files,
  });
  mkdirSync(path.join(dir, 'node_modules'));
  symlinkSync(repoRoot, path.join(dir, 'node_modules/eslint-plugin-maprace'), 'dir');
  return dir;
}

const flatMajors = [10, 9] as const;

describe('the README flat config snippet (recommended)', () => {
  const snippet = readmeSnippet('### Flat config (ESLint 9 and 10)');

  it('is the plain one-config snippet', () => {
    expect(snippet).toContain('maprace.configs.recommended,');
  });

  it.each(flatMajors)('ESLint %i reports the race in the .ts file (TypeScript syntax) and in the .js file', (major) => {
    const cwd = userProject({ 'eslint.config.mjs': snippet });
    const { status, byFile } = eslint(major, cwd, true);
    expect(byFile).toEqual({
      'eslint.config.mjs': [],
      [path.join('src', 'stats.js')]: [`${rule}:6`],
      [path.join('src', 'stats.ts')]: [`${rule}:6`],
    });
    expect(status).toBe(1);
  });
});

describe('recommended-type-checked', () => {
  it.each(flatMajors)('ESLint %i: on its own, it lints the .ts files with types and leaves the config file alone', (major) => {
    const cwd = userProject({
      'eslint.config.mjs': readmeSnippet('### Flat config (ESLint 9 and 10)')
        .replace('maprace.configs.recommended,', "maprace.configs['recommended-type-checked'],"),
      // A map known as a Map through its type only: imported from another module.
      'src/state.ts': 'export const visits = new Map<string, number>();\n',
      'src/visits.ts': `import { visits } from './state.js';

declare function audit(route: string): Promise<void>;

export async function recordVisits(routes: readonly string[]): Promise<void> {
  await Promise.all(routes.map(async (route) => {
    const count = visits.get(route) ?? 0;
    await audit(route);
    visits.set(route, count + 1);
  }));
}
`,
    });
    const { status, byFile } = eslint(major, cwd, true);
    // ESLint lints .js/.mjs files by default even when no config names them; with no rules (and
    // ESLint's own parser, not the project service) they are clean.
    expect(byFile).toEqual({
      'eslint.config.mjs': [],
      [path.join('src', 'stats.js')]: [],
      [path.join('src', 'stats.ts')]: [`${rule}:6`],
      [path.join('src', 'state.ts')]: [],
      [path.join('src', 'visits.ts')]: [`${rule}:7`],
    });
    expect(status).toBe(1);
  });

  it.each(flatMajors)('ESLint %i: after recommended (the README\'s second snippet), it covers the .js files too', (major) => {
    const snippet = readmeSnippet('### Flat config (ESLint 9 and 10)', 1);
    expect(snippet).toContain("maprace.configs['recommended-type-checked'],");
    const cwd = userProject({ 'eslint.config.mjs': snippet });
    const { byFile } = eslint(major, cwd, true);
    expect(byFile).toEqual({
      'eslint.config.mjs': [],
      [path.join('src', 'stats.js')]: [`${rule}:6`],
      [path.join('src', 'stats.ts')]: [`${rule}:6`],
    });
  });
});

// A map known as a Map through its type only (imported from another module): found with types.
const typedOnly = {
  'src/state.ts': importedMapState,
  'src/visits.ts': importedMapVisits,
};

/** What `eslint --fix` made of the racy .ts file: the map a SafeMap, the section one update. */
function expectFixedToSafeMap(cwd: string, file: string) {
  const fixed = readFileSync(path.join(cwd, file), 'utf8');
  expect(fixed).toMatch(/^import \{ SafeMap \} from '[^']+';\n/u);
  expect(fixed).toContain('const hits = new SafeMap<string, number>();');
  expect(fixed).toContain('await hits.update(route, async (old) => {');
  expect(fixed).not.toContain('hits.set(');
}

describe('the README "Configs" snippets: type-aware and fix in one line', () => {
  it.each(flatMajors)('ESLint %i, strict-type-checked: --fix rewrites the racy .ts file and reports the race it finds by type', (major) => {
    const snippet = readmeSnippet('## Configs');
    expect(snippet).toContain("maprace.configs['strict-type-checked'],");
    const cwd = userProject({ 'eslint.config.mjs': snippet, ...typedOnly });
    const { status, byFile } = eslint(major, cwd, true, ['--fix', '.']);
    // The exported map cannot change its type here: a report, no rewrite. The .js file is not
    // this config's (ESLint lints it with no rules), so it is left as it was.
    expect(byFile).toEqual({
      'eslint.config.mjs': [],
      [path.join('src', 'stats.js')]: [],
      [path.join('src', 'stats.ts')]: [],
      [path.join('src', 'state.ts')]: [],
      [path.join('src', 'visits.ts')]: [`${rule}:7`],
    });
    expect(status).toBe(1);
    expectFixedToSafeMap(cwd, 'src/stats.ts');
    expect(readFileSync(path.join(cwd, 'src/stats.js'), 'utf8')).toBe(racyJs);
    expect(readFileSync(path.join(cwd, 'src/visits.ts'), 'utf8')).toBe(typedOnly['src/visits.ts']);
  });

  it.each([9, 8] as const)('ESLint %i, legacy-strict-type-checked: --fix rewrites the .ts and .js files, and types find the imported map', (major) => {
    const snippet = readmeSnippet('## Configs', 1);
    expect(snippet).toContain("extends: ['plugin:maprace/legacy-strict-type-checked'],");
    const cwd = userProject({ '.eslintrc.cjs': snippet, ...typedOnly });
    const { status, byFile } = eslint(major, cwd, false, ['--fix', '.']);
    expect(byFile).toEqual({
      [path.join('src', 'stats.js')]: [],
      [path.join('src', 'stats.ts')]: [],
      [path.join('src', 'state.ts')]: [],
      [path.join('src', 'visits.ts')]: [`${rule}:7`],
    });
    expect(status).toBe(1);
    expectFixedToSafeMap(cwd, 'src/stats.ts');
    expect(readFileSync(path.join(cwd, 'src/stats.js'), 'utf8')).toContain('const seen = new SafeMap();');
  });

  it.each([9, 8] as const)('ESLint %i, legacy-strict without types: the imported map goes unseen (what the type-checked twin adds)', (major) => {
    const snippet = readmeSnippet('## Configs', 1).replace('legacy-strict-type-checked', 'legacy-strict');
    const cwd = userProject({ '.eslintrc.cjs': snippet, ...typedOnly });
    const { byFile } = eslint(major, cwd, false);
    expect(byFile[path.join('src', 'visits.ts')]).toEqual([]);
    expect(byFile[path.join('src', 'stats.ts')]).toEqual([`${rule}:6`]);
  });
});

describe('the README legacy config snippet (legacy-recommended)', () => {
  const snippet = readmeSnippet('### Legacy config (ESLint 8.57, or 9 with `ESLINT_USE_FLAT_CONFIG=false`)');

  // The project has no @typescript-eslint/parser of its own: the plugin's config finds its own.
  it.each([9, 8] as const)('ESLint %i lints the .ts files without --ext and reports both races', (major) => {
    const cwd = userProject({ '.eslintrc.cjs': snippet });
    const { status, byFile } = eslint(major, cwd, false);
    expect(byFile).toEqual({
      [path.join('src', 'stats.js')]: [`${rule}:6`],
      [path.join('src', 'stats.ts')]: [`${rule}:6`],
    });
    expect(status).toBe(1);
  });
});

describe("the repository's .eslintrc.cjs on examples/", () => {
  const examples = (folder: string) =>
    readdirSync(path.join(repoRoot, 'examples', folder)).map((file) => path.join('examples', folder, file)).sort();

  it('names the command that runs it: ESLint 10 reads no .eslintrc', () => {
    const comment = readFileSync(path.join(repoRoot, '.eslintrc.cjs'), 'utf8');
    expect(comment).toContain('ESLINT_USE_FLAT_CONFIG=false node node_modules/eslint9/bin/eslint.js examples/');
    expect(comment).toContain('ESLINT_USE_FLAT_CONFIG=false node node_modules/eslint8/bin/eslint.js examples/');
  });

  it.each([9, 8] as const)('ESLint %i (legacy) reports every racy example, no fixed one, and parses every file', (major) => {
    const { status, byFile } = eslint(major, repoRoot, false, ['examples/']);
    const reported = Object.entries(byFile).filter(([, messages]) => messages.length > 0);
    expect(reported.map(([file]) => file).sort()).toEqual(examples('racy'));
    for (const [, messages] of reported) {
      for (const message of messages) expect(message).toMatch(/^maprace\/no-unguarded-map-in-[a-z-]+:\d+$/u);
    }
    // Every example was linted: the fixed ones, the shared services and the JavaScript runtime demo.
    expect(Object.keys(byFile)).toEqual(expect.arrayContaining([
      ...examples('fixed'),
      path.join('examples', 'services.ts'),
      path.join('examples', 'runtime', 'lost-update.js'),
    ]));
    expect(status).toBe(1);
  });
});

