/**
 * Every fix the rules make, on realistic racy files (examples/racy, the compat fixture and the
 * corpus) and on the shapes the rewrites must keep typed (below), parses, type-checks under
 * `strict`, and is not reported again: applied all together (`eslint --fix` with the strict
 * config) and each suggestion on its own.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import tsParser from '@typescript-eslint/parser';
import { Linter } from 'eslint';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { defaultRuntimeModule } from '../../lib/analysis/rule.js';
import plugin from '../../lib/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

function racyFiles(): string[] {
  const folders = ['examples/racy', 'tests/fixtures/compat/src', 'tests/fixtures/rules/racy'];
  return folders.flatMap((folder) => {
    try {
      return readdirSync(path.join(root, folder))
        .filter((name) => name.endsWith('.ts'))
        .map((name) => path.join(root, folder, name));
    } catch {
      return [];
    }
  });
}

const strict = [
  { files: ['**/*.ts'], languageOptions: { parser: tsParser } },
  plugin.configs.strict as Linter.Config,
];

const linter = new Linter({ configType: 'flat', cwd: root });

/** Type-checks files (some replaced by new text) and returns the diagnostics of those files. */
function typeErrors(replaced: ReadonlyMap<string, string>): string[] {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
    types: ['node'],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    paths: { maprace: [path.join(root, 'lib/runtime/index.ts')], 'eslint-plugin-maprace/runtime': [path.join(root, 'lib/runtime/index.ts')] },
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  host.readFile = (file) => replaced.get(path.resolve(file)) ?? readFile(file);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (file, language, onError, create) => {
    const text = replaced.get(path.resolve(file));
    return text === undefined ? getSourceFile(file, language, onError, create) : ts.createSourceFile(file, text, language);
  };
  const program = ts.createProgram([...replaced.keys()], options, host);
  return [...replaced.keys()].flatMap((file) =>
    ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((diagnostic) => {
      const where = diagnostic.file && diagnostic.start !== undefined ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start) : null;
      return `${path.relative(root, file)}:${where ? where.line + 1 : '?'} ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
    }),
  );
}

/**
 * Sections whose rewrite must keep what the types say: a map that may be undefined (a union
 * annotation, `!` at the uses), an optional field read through `?.`, a check-then-act with `has`,
 * a Set that becomes a SafeMap of keys to true, a withLock over nested blocks, a GoMap import,
 * caches filled through a `let` that the code after them keeps using (in a class, with locals,
 * with an annotation that admits undefined), and loops that write entries back after an await.
 */
const shapes: Record<string, string> = {
  'non-null-union.ts': `let cache: Map<string, number> | undefined = new Map();
declare function audit(id: string): Promise<void>;
export async function run(ids: string[]) {
  await Promise.all(ids.map(async (id) => {
    const n = cache!.get(id) ?? 0;
    await audit(id);
    cache!.set(id, n + 1);
  }));
}
`,
  'optional-field.ts': `interface User { id: string }
declare function fetchUser(id: string): Promise<User>;
export class Repo {
  private users?: Map<string, User> = new Map();
  async get(id: string) {
    const hit = this.users?.get(id);
    if (hit) return hit;
    const u = await fetchUser(id);
    this.users!.set(id, u);
    return u;
  }
  async all(ids: string[]) { return Promise.all(ids.map((id) => this.get(id))); }
}
`,
  'has-then-load.ts': `interface User { id: string; name: string }
declare function fetchUser(id: string): Promise<User>;
const users = new Map<string, User>();
async function ensure(id: string): Promise<void> {
  if (!users.has(id)) {
    const user = await fetchUser(id);
    users.set(id, user);
  }
}
export async function preload(ids: string[]) {
  await Promise.all(ids.map(ensure));
}
`,
  'set-of-keys.ts': `declare function warm(id: string): Promise<void>;
const warmed: Set<string> = new Set();
export const isWarm = (id: string) => warmed.has(id);
export const warmedIds = () => Array.from(warmed.values());
export async function warmAll(ids: string[]) {
  await Promise.all(ids.map(async (id) => {
    if (warmed.has(id)) return;
    await warm(id);
    warmed.add(id);
  }));
}
`,
  'nested-blocks.ts': `declare function charge(total: number): Promise<void>;
const balances = new Map<string, number>();
export async function settle(accounts: string[]) {
  await Promise.all(accounts.map(async (account) => {
    const before = balances.get(account) ?? 0;
    if (before > 0) {
      await charge(before);
      balances.set(account, 0);
    }
  }));
}
`,
  // Imports from the plugin's runtime, as code written before the `maprace` package does.
  'go-map.ts': `import { GoMap } from 'eslint-plugin-maprace/runtime';
declare function load(id: string): Promise<number>;
const totals: GoMap<string, number> = new GoMap<string, number>();
export async function run(ids: string[]) {
  await Promise.all(ids.map(async (id) => {
    const before = totals.get(id) ?? 0;
    const more = await load(id);
    totals.set(id, before + more);
  }));
}
`,
  'fill-in-class.ts': `interface User { id: string; name: string }
declare function fetchUser(id: string): Promise<User>;
declare function audit(key: string): Promise<void>;
export class UserDirectory {
  private readonly cache = new Map<string, User>();
  constructor(private readonly region: string) {}
  async user(id: string): Promise<User> {
    const key = \`\${this.region}:\${id}\`;
    let user: User | undefined = this.cache.get(key);
    if (user === undefined) {
      await audit(key);
      user = await fetchUser(id);
      user = { ...user, name: user.name.trim() };
      this.cache.set(key, user);
    }
    return user;
  }
  team(ids: string[]) { return Promise.all(ids.map((id) => this.user(id))); }
}
`,
  'fill-then-use.ts': `interface User { id: string; name: string }
declare function fetchUser(id: string): Promise<User>;
const profiles = new Map<string, User>();
const names = new Map<string, string>();
async function greet(id: string): Promise<string> {
  let profile = profiles.get(id);
  if (!profile) {
    profile = await fetchUser(id);
    profiles.set(id, profile);
  }
  let name = names.get(id);
  if (name == null) {
    const loaded = await fetchUser(id);
    names.set(id, loaded.name);
    name = loaded.name;
  }
  return \`\${name}: \${profile.name.toUpperCase()}\`;
}
export const greetAll = (ids: string[]) => Promise.all(ids.map(greet));
`,
  'write-back-loop.ts': `interface Session { id: string; flushed: boolean }
declare function flush(session: Session): Promise<void>;
declare function retry(id: string): Promise<number>;
const open = new Map<string, Session>();
const retries = new Map<string, number>();
export function logout(id: string) { open.delete(id); retries.delete(id); }
setInterval(async () => {
  for (const [id, session] of open) {
    await flush(session);
    open.set(id, { ...session, flushed: true });
  }
  for (const id of retries.keys()) {
    const left = await retry(id);
    if (left === 0) retries.delete(id);
    else retries.set(id, left);
  }
}, 1000);
`,
};

const shapesFolder = path.join(root, 'tests/fixtures/rules/fix-shapes');
const files = racyFiles();
const sources: [string, string, string][] = [
  ...files.map((file): [string, string, string] => [path.relative(root, file), file, readFileSync(file, 'utf8')]),
  ...Object.entries(shapes).map(([name, text]): [string, string, string] => [`shape ${name}`, path.join(shapesFolder, name), text]),
];

describe('fix output', () => {
  it('has racy files to fix, and a type-check that sees errors', () => {
    expect(files.length).toBeGreaterThanOrEqual(6);
    const broken = "import { SafeMap } from 'maprace';\nexport const m = new SafeMap<string, number>();\nm.update('k', async (old) => `${old}`);\n";
    expect(typeErrors(new Map([[files[0]!, broken]]))).toHaveLength(1);
    // the shapes are checked at a path that no file takes
    expect(typeErrors(new Map([[path.join(shapesFolder, 'broken.ts'), broken]]))).toHaveLength(1);
  });

  it.each(sources)('%s: eslint --fix output type-checks and is not reported again', (name, file, source) => {
    const before = linter.verify(source, strict, file).filter((message) => message.ruleId?.startsWith('maprace/'));
    expect(before.length).toBeGreaterThan(0);
    const fixed = linter.verifyAndFix(source, strict, file);
    expect(fixed.messages.filter((message) => message.fatal)).toEqual([]);
    const left = fixed.messages.filter((m) => m.ruleId?.startsWith('maprace/'));
    // what remains has no safe rewrite, or one that --fix must not apply, and says so
    for (const message of left) {
      if ((message.suggestions ?? []).length > 0) expect(message.message).toContain('Suggestion only, not applied by --fix: ');
    }
    // every shape is fixed completely
    if (name.startsWith('shape ')) expect(left.map((message) => message.message)).toEqual([]);
    expect(typeErrors(new Map([[file, fixed.output]]))).toEqual([]);
  });

  it.each(sources)('%s: each suggestion on its own type-checks and removes its report', (_, file, source) => {
    const messages = linter.verify(source, strict, file).filter((message) => message.ruleId?.startsWith('maprace/'));
    for (const message of messages) {
      for (const suggestion of message.suggestions ?? []) {
        const output = source.slice(0, suggestion.fix.range[0]) + suggestion.fix.text + source.slice(suggestion.fix.range[1]);
        const after = linter.verify(output, strict, file);
        expect(after.filter((m) => m.fatal)).toEqual([]);
        expect(after.filter((m) => m.ruleId === message.ruleId).length).toBe(
          messages.filter((m) => m.ruleId === message.ruleId).length - 1,
        );
        expect(typeErrors(new Map([[file, output]]))).toEqual([]);
      }
    }
  });
});

// A .js file that shows neither import/export nor require/module.exports is what its package.json
// says: CommonJS unless "type": "module"; the fix brings SafeMap in the way the file can load it.
describe('the import a fix adds to a .js file without module syntax', () => {
  const script = `const counts = new Map();
async function bump(ids) {
  await Promise.all(ids.map(async (id) => {
    const n = counts.get(id) || 0;
    await fetch(id);
    counts.set(id, n + 1);
  }));
}
void bump;
`;
  it.each([
    ['commonjs', "const { SafeMap } = require('maprace');\n\nconst counts = new SafeMap();"],
    ['module', "import { SafeMap } from 'maprace';\n\nconst counts = new SafeMap();"],
  ])('package.json type %s', (type, start) => {
    const folder = mkdtempSync(path.join(tmpdir(), 'maprace-fix-'));
    writeFileSync(path.join(folder, 'package.json'), JSON.stringify({ name: 'app', type }));
    const file = path.join(folder, 'bump.js');
    const config = [{ files: ['**/*.js'], plugins: { maprace: plugin as never }, rules: { 'maprace/no-unguarded-map-in-promise-all': ['error', { autofix: true }] } }] as Linter.Config[];
    const output = new Linter({ configType: 'flat', cwd: folder }).verifyAndFix(script, config, file).output;
    expect(output.slice(0, start.length)).toBe(start);
  });
});

// A legacy config that leaves sourceType out parses a TypeScript file as a script, imports and all
// (the editor's .eslintrc workspace did): the file is still a module, and gets an import.
describe('the import a fix adds to a TypeScript module parsed as a script', () => {
  const source = `import { fetchCount } from './api';

const counts = new Map<string, number>();
export async function bump(ids: string[]): Promise<void> {
  await Promise.all(ids.map(async (id) => {
    const n = counts.get(id) ?? 0;
    await fetchCount(id);
    counts.set(id, n + 1);
  }));
}
`;
  it('imports SafeMap instead of requiring it', () => {
    const config = [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tsParser, sourceType: 'script' },
        plugins: { maprace: plugin as never },
        rules: { 'maprace/no-unguarded-map-in-promise-all': ['error', { autofix: true }] },
      },
    ] as Linter.Config[];
    const output = new Linter({ configType: 'flat' }).verifyAndFix(source, config, 'bump.ts').output;
    expect(output).toContain(`import { SafeMap } from '${defaultRuntimeModule}';`);
    expect(output).not.toContain('require(');
  });
});

/**
 * The source lines a fix changes: each line of the source it rewrites or removes, and the line
 * before which it inserts new ones (a line diff, by longest common subsequence, of the lines the
 * fix's range touches).
 */
function changedLines(source: string, fix: { range: [number, number]; text: string }): number[] {
  const from = source.lastIndexOf('\n', fix.range[0] - 1) + 1;
  const lineEnd = source.indexOf('\n', fix.range[1]);
  const to = lineEnd === -1 ? source.length : lineEnd;
  const before = source.slice(from, to).split('\n');
  const after = (source.slice(from, fix.range[0]) + fix.text + source.slice(fix.range[1], to)).split('\n');
  const firstLine = source.slice(0, from).split('\n').length;
  const common = before.map(() => after.map(() => 0));
  const at = (i: number, j: number) => (i < before.length && j < after.length ? common[i]![j]! : 0);
  for (let i = before.length - 1; i >= 0; i--) {
    for (let j = after.length - 1; j >= 0; j--) common[i]![j] = before[i] === after[j] ? at(i + 1, j + 1) + 1 : Math.max(at(i + 1, j), at(i, j + 1));
  }
  const changed = new Set<number>();
  let i = 0;
  let j = 0;
  while (i < before.length || j < after.length) {
    if (i < before.length && j < after.length && before[i] === after[j]) {
      i++;
      j++;
    } else if (j < after.length && (i === before.length || at(i, j + 1) >= at(i + 1, j))) {
      changed.add(firstLine + Math.min(i, before.length - 1)); // inserted before this line
      j++;
    } else {
      changed.add(firstLine + i);
      i++;
    }
  }
  return [...changed].sort((a, b) => a - b);
}

// A suggestion edits the import, the map's declaration and the section, and nothing else: ESLint
// merges a fix's edits into one range from the first to the last (the text between kept as it
// was), so that range runs from the import line to the end of the section, never past it.
describe('the range a suggestion edits', () => {
  const service = `// Prices shown in the storefront, cached per SKU and currency for the life of the process.
import { fetchPrice, type Price } from '../services.js';
import { log } from '../log.js';

const prices = new Map<string, Price>();

/** The currency a storefront region shows prices in. */
export function currencyOf(region: string): string {
  switch (region) {
    case 'eu':
      return 'EUR';
    case 'uk':
      return 'GBP';
    default:
      return 'USD';
  }
}

/** Formats a price for the product page. */
export function format(price: Price): string {
  return \`\${(price.cents / 100).toFixed(2)} \${price.currency}\`;
}

export async function priceOf(sku: string, region: string): Promise<Price> {
  const key = \`\${sku}:\${currencyOf(region)}\`;
  let price = prices.get(key);
  if (!price) {
    log(\`price miss \${key}\`);
    price = await fetchPrice(sku, currencyOf(region));
    prices.set(key, price);
  }
  return price;
}

export async function pricesOf(skus: string[], region: string): Promise<string[]> {
  const found = await Promise.all(skus.map((sku) => priceOf(sku, region)));
  return found.map(format);
}
`;
  it('a cache in a module: the import line, the declaration and the section', () => {
    const file = path.join(shapesFolder, 'storefront-prices.ts');
    const [message, ...others] = linter.verify(service, strict, file).filter((m) => m.ruleId?.startsWith('maprace/'));
    expect(others).toEqual([]);
    const [suggestion] = message!.suggestions ?? [];
    expect(suggestion?.desc).toContain('getOrCompute');
    const { range } = suggestion!.fix;
    const lineOf = (offset: number) => service.slice(0, offset).split('\n').length;
    // from the end of the last import to the end of the section
    expect(range[0]).toBe(service.indexOf("from '../log.js';") + "from '../log.js';".length);
    expect(lineOf(range[1])).toBe(31);
    // the import goes in before line 4, the declaration is line 5, the section lines 26 to 31
    // (line 28, the log call, moves into the loader at the same indentation, unchanged)
    expect(changedLines(service, suggestion!.fix)).toEqual([4, 5, 26, 27, 29, 30, 31]);
  });

  it.each(sources.filter(([name]) => !name.startsWith('shape ')))('%s: each suggestion edits only the import, the declaration and the section', (_, file, source) => {
    const lines = source.split('\n');
    // the import goes after the last import (or require), or before the first statement
    const lastImport = lines.findLastIndex((text) => /^import |require\(/u.test(text));
    const imports = lastImport >= 0 ? lastImport + 2 : lines.findIndex((text) => text.trim() !== '' && !text.startsWith('//')) + 1;
    const messages = linter.verify(source, strict, file).filter((message) => message.ruleId?.startsWith('maprace/'));
    for (const message of messages) {
      const name = /'(?:this\.)?#?([\w$]+)'/u.exec(message.message)![1]!;
      const declares = new RegExp(`\\b${name}\\b[?!]?\\s*(?::|=\\s*new\\b)`, 'u');
      const section = (line: number) => line >= message.line && line <= (message.endLine ?? message.line) + 2;
      for (const suggestion of message.suggestions ?? []) {
        const outside = changedLines(source, suggestion.fix).filter((line) => line > imports && !declares.test(lines[line - 1] ?? '') && !section(line));
        expect(outside, `${suggestion.desc} on line ${message.line}`).toEqual([]);
      }
    }
  });
});
