/**
 * Guards, through the rules: each guard is shown twice on the same section — silent under the
 * guard, reported when what makes it a guard is taken away (the callback under a wrapper that is
 * no lock, a Semaphore that admits four, a `finally` that releases a pool client, an `await using`
 * of a connection). So a test fails if the guard were not recognised, and fails too if anything
 * that merely looks like one were taken for it. Run with and without type information.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import tsParser from '@typescript-eslint/parser';
import { ESLint, Linter } from 'eslint';
import { describe, expect, it } from 'vitest';
import plugin from '../../lib/index.js';

const fixtureRoot = fileURLToPath(new URL('../fixtures/rule-tester', import.meta.url));

type Options = { guards?: string[] };

function config(options: Options | undefined, typed: boolean): Linter.Config[] {
  const rules = Object.fromEntries(Object.keys(plugin.rules).map((name) => [`maprace/${name}`, options ? ['error', options] : 'error']));
  const parserOptions = typed ? { projectService: true, tsconfigRootDir: fixtureRoot } : {};
  return [{ files: ['**/*.ts'], languageOptions: { parser: tsParser, parserOptions }, plugins: { maprace: plugin as never }, rules: rules as Linter.RulesRecord }];
}

const linter = new Linter({ configType: 'flat' });
const typedLinters = new Map<string, ESLint>();

/** The reports of the three rules on code: `line:column-endLine:endColumn rule/messageId`. */
async function reports(code: string, typed: boolean, options?: Options): Promise<string[]> {
  let messages: Linter.LintMessage[];
  if (typed) {
    const key = JSON.stringify(options ?? null);
    let eslint = typedLinters.get(key);
    if (!eslint) typedLinters.set(key, (eslint = new ESLint({ cwd: fixtureRoot, overrideConfigFile: true, overrideConfig: config(options, true) })));
    [{ messages }] = (await eslint.lintText(code, { filePath: path.join(fixtureRoot, 'file.ts') })) as [ESLint.LintResult];
  } else {
    messages = linter.verify(code, config(options, false), 'file.ts');
  }
  expect(messages.filter((message) => message.fatal)).toEqual([]);
  return messages.map((m) => `${m.line}:${m.column}-${m.endLine}:${m.endColumn} ${m.ruleId!.replace('maprace/no-unguarded-map-in-', '')}/${m.messageId}`);
}

const head = `declare function loadDelta(id: string): Promise<number>;
const totals = new Map<string, number>();
`;

interface GuardCase {
  name: string;
  /** The section under the guard: silent. */
  guarded: string;
  /** The same section without what makes the guard one: reported. */
  unguarded: string;
  expected: string[];
  options?: Options;
}

const cases: GuardCase[] = [
  {
    name: 'async-mutex runExclusive, against the same callback under a retry helper',
    guarded: `import { Mutex } from 'async-mutex';
${head}const mutex = new Mutex();
export const applyAll = (ids: string[]) => Promise.all(ids.map((id) => mutex.runExclusive(async () => {
  const before = totals.get(id) ?? 0;
  const delta = await loadDelta(id);
  totals.set(id, before + delta);
})));`,
    unguarded: `declare function withRetry<T>(fn: () => Promise<T>): Promise<T>;
${head}export const applyAll = (ids: string[]) => Promise.all(ids.map((id) => withRetry(async () => {
  const before = totals.get(id) ?? 0;
  const delta = await loadDelta(id);
  totals.set(id, before + delta);
})));`,
    expected: ['5:18-7:33 promise-all/readWriteRace'],
  },
  {
    name: 'runExclusive of a Semaphore of one, against a Semaphore of four',
    guarded: `import { Semaphore } from 'async-mutex';
${head}const gate = new Semaphore(1);
export const applyAll = (ids: string[]) => Promise.all(ids.map((id) => gate.runExclusive(async () => {
  const before = totals.get(id) ?? 0;
  const delta = await loadDelta(id);
  totals.set(id, before + delta);
})));`,
    unguarded: `import { Semaphore } from 'async-mutex';
${head}const gate = new Semaphore(4);
export const applyAll = (ids: string[]) => Promise.all(ids.map((id) => gate.runExclusive(async () => {
  const before = totals.get(id) ?? 0;
  const delta = await loadDelta(id);
  totals.set(id, before + delta);
})));`,
    expected: ['6:18-8:33 promise-all/readWriteRace'],
  },
  {
    name: 'acquire() with release() in finally, against a pg client released in finally',
    guarded: `import { Mutex } from 'async-mutex';
${head}const mutex = new Mutex();
export const applyAll = (ids: string[]) => Promise.all(ids.map(async (id) => {
  const release = await mutex.acquire();
  try {
    const before = totals.get(id) ?? 0;
    const delta = await loadDelta(id);
    totals.set(id, before + delta);
  } finally {
    release();
  }
}));`,
    unguarded: `interface Client { query(sql: string, params: unknown[]): Promise<{ rows: { n: number }[] }>; release(): void }
declare const pool: { connect(): Promise<Client> };
${head}export const applyAll = (ids: string[]) => Promise.all(ids.map(async (id) => {
  const client = await pool.connect();
  try {
    const before = totals.get(id) ?? 0;
    const { rows } = await client.query('select n from deltas where id = $1', [id]);
    totals.set(id, before + (rows[0]?.n ?? 0));
  } finally {
    client.release();
  }
}));`,
    expected: ['8:20-10:47 promise-all/readWriteRace'],
  },
  {
    name: "a Semaphore(1) permit's release in finally, against a Semaphore(4) permit",
    guarded: `import { Semaphore } from 'async-mutex';
${head}const gate = new Semaphore(1);
export const applyAll = (ids: string[]) => Promise.all(ids.map(async (id) => {
  const [, release] = await gate.acquire();
  try {
    const before = totals.get(id) ?? 0;
    const delta = await loadDelta(id);
    totals.set(id, before + delta);
  } finally {
    release();
  }
}));`,
    unguarded: `import { Semaphore } from 'async-mutex';
${head}const gate = new Semaphore(4);
export const applyAll = (ids: string[]) => Promise.all(ids.map(async (id) => {
  const [, release] = await gate.acquire();
  try {
    const before = totals.get(id) ?? 0;
    const delta = await loadDelta(id);
    totals.set(id, before + delta);
  } finally {
    release();
  }
}));`,
    expected: ['8:20-10:35 promise-all/readWriteRace'],
  },
  {
    name: 'a finally that releases a held lock, against one that ends a tracing span',
    guarded: `declare const lock: { acquire(): Promise<() => void> };
${head}export const applyAll = (ids: string[]) => Promise.all(ids.map(async (id) => {
  const done = await lock.acquire();
  try {
    const before = totals.get(id) ?? 0;
    const delta = await loadDelta(id);
    totals.set(id, before + delta);
  } finally {
    done();
  }
}));`,
    unguarded: `declare const span: { done(): void };
${head}export const applyAll = (ids: string[]) => Promise.all(ids.map(async (id) => {
  try {
    const before = totals.get(id) ?? 0;
    const delta = await loadDelta(id);
    totals.set(id, before + delta);
  } finally {
    span.done();
  }
}));`,
    expected: ['6:20-8:35 promise-all/readWriteRace'],
  },
  {
    name: 'async-lock acquire(key, fn), against the same callback in a tracing span',
    guarded: `import AsyncLock from 'async-lock';
${head}const lock = new AsyncLock();
export const applyAll = (ids: string[]) => Promise.all(ids.map((id) => lock.acquire(id, async () => {
  const before = totals.get(id) ?? 0;
  const delta = await loadDelta(id);
  totals.set(id, before + delta);
})));`,
    unguarded: `declare const tracer: { startActiveSpan<T>(name: string, fn: (span: unknown) => Promise<T>): Promise<T> };
${head}export const applyAll = (ids: string[]) => Promise.all(ids.map((id) => tracer.startActiveSpan('apply', async () => {
  const before = totals.get(id) ?? 0;
  const delta = await loadDelta(id);
  totals.set(id, before + delta);
})));`,
    expected: ['5:18-7:33 promise-all/readWriteRace'],
  },
  {
    name: 'navigator.locks.request, against the same callback in a database transaction',
    guarded: `${head}export const applyAll = (ids: string[]) => Promise.all(ids.map((id) => navigator.locks.request(\`totals-\${id}\`, async () => {
  const before = totals.get(id) ?? 0;
  const delta = await loadDelta(id);
  totals.set(id, before + delta);
})));`,
    unguarded: `declare const db: { transaction<T>(fn: (tx: unknown) => Promise<T>): Promise<T> };
${head}export const applyAll = (ids: string[]) => Promise.all(ids.map((id) => db.transaction(async () => {
  const before = totals.get(id) ?? 0;
  const delta = await loadDelta(id);
  totals.set(id, before + delta);
})));`,
    expected: ['5:18-7:33 promise-all/readWriteRace'],
  },
  {
    name: 'p-limit of one, against p-limit of four',
    guarded: `import pLimit from 'p-limit';
${head}const limit = pLimit(1);
export const applyAll = (ids: string[]) => Promise.all(ids.map((id) => limit(async () => {
  const before = totals.get(id) ?? 0;
  const delta = await loadDelta(id);
  totals.set(id, before + delta);
})));`,
    unguarded: `import pLimit from 'p-limit';
${head}const limit = pLimit(4);
export const applyAll = (ids: string[]) => Promise.all(ids.map((id) => limit(async () => {
  const before = totals.get(id) ?? 0;
  const delta = await loadDelta(id);
  totals.set(id, before + delta);
})));`,
    expected: ['6:18-8:33 promise-all/readWriteRace'],
  },
  {
    name: 'a p-queue of concurrency one, against one of four',
    guarded: `import PQueue from 'p-queue';
${head}const queue = new PQueue({ concurrency: 1 });
export const applyAll = (ids: string[]) => Promise.all(ids.map((id) => queue.add(async () => {
  const before = totals.get(id) ?? 0;
  const delta = await loadDelta(id);
  totals.set(id, before + delta);
})));`,
    unguarded: `import PQueue from 'p-queue';
${head}const queue = new PQueue({ concurrency: 4 });
export const applyAll = (ids: string[]) => Promise.all(ids.map((id) => queue.add(async () => {
  const before = totals.get(id) ?? 0;
  const delta = await loadDelta(id);
  totals.set(id, before + delta);
})));`,
    expected: ['6:18-8:33 promise-all/readWriteRace'],
  },
  {
    name: 'await using a lock handle, against await using a connection',
    guarded: `declare const locks: { lock(key: string): Promise<AsyncDisposable> };
${head}export const applyAll = (ids: string[]) => Promise.all(ids.map(async (id) => {
  await using held = await locks.lock(id);
  const before = totals.get(id) ?? 0;
  const delta = await loadDelta(id);
  totals.set(id, before + delta);
}));`,
    unguarded: `declare function openConnection(): Promise<AsyncDisposable & { query(sql: string): Promise<number> }>;
${head}export const applyAll = (ids: string[]) => Promise.all(ids.map(async (id) => {
  await using conn = await openConnection();
  const before = totals.get(id) ?? 0;
  const delta = await conn.query(id);
  totals.set(id, before + delta);
}));`,
    expected: ['6:18-8:33 promise-all/readWriteRace'],
  },
  {
    name: 'a lock callback that calls a helper, against a retry helper that calls it',
    guarded: `import { Mutex } from 'async-mutex';
${head}const mutex = new Mutex();
async function apply(id: string) {
  const before = totals.get(id) ?? 0;
  const delta = await loadDelta(id);
  totals.set(id, before + delta);
}
export const applyAll = (ids: string[]) => Promise.all(ids.map((id) => mutex.runExclusive(() => apply(id))));`,
    unguarded: `declare function withRetry<T>(fn: () => Promise<T>): Promise<T>;
${head}async function apply(id: string) {
  const before = totals.get(id) ?? 0;
  const delta = await loadDelta(id);
  totals.set(id, before + delta);
}
export const applyAll = (ids: string[]) => Promise.all(ids.map((id) => withRetry(() => apply(id))));`,
    expected: ['5:18-7:33 promise-all/readWriteRace'],
  },
];

describe.each([
  ['without type information', false],
  ['with type information', true],
])('guards %s', (_, typed) => {
  it.each(cases)('silent: $name', async ({ guarded, options }) => {
    expect(await reports(guarded, typed, options)).toEqual([]);
  });

  it.each(cases)('reported: $name', async ({ unguarded, expected, options }) => {
    expect(await reports(unguarded, typed, options)).toEqual(expected);
  });

  // a user's own serializing helper counts once the guards option names it
  const serialized = `declare function serialized<T>(fn: () => Promise<T>): Promise<T>;
${head}export const applyAll = (ids: string[]) => Promise.all(ids.map((id) => serialized(async () => {
  const before = totals.get(id) ?? 0;
  const delta = await loadDelta(id);
  totals.set(id, before + delta);
})));`;

  it('silent: a user guard named in the guards option', async () => {
    expect(await reports(serialized, typed, { guards: ['serialized'] })).toEqual([]);
    expect(await reports(serialized, typed, { guards: ['/^serial/u'] })).toEqual([]);
  });

  it('reported: the same helper when the option does not name it', async () => {
    expect(await reports(serialized, typed)).toEqual(['5:18-7:33 promise-all/readWriteRace']);
    expect(await reports(serialized, typed, { guards: ['inTransaction'] })).toEqual(['5:18-7:33 promise-all/readWriteRace']);
  });
});
