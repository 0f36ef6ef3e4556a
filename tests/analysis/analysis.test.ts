/**
 * The concurrency model on its own: which maps it sees, which tasks each source starts, which
 * sections it finds, which guards it honours, and who it names as the conflicting writer.
 */
import type { TSESTree } from '@typescript-eslint/utils';
import { describe, expect, it } from 'vitest';
import { isDuplicateLoad } from '../../lib/analysis/benign.js';
import type { FileModel } from '../../lib/analysis/file-model.js';
import { findClonedMaps, findRaces } from '../../lib/analysis/races.js';
import { GuardMatcher, sectionsIn } from '../../lib/analysis/sections.js';
import { taskGroups, type SourceKind } from '../../lib/analysis/tasks.js';
import { modelOf } from '../helpers/file-model.js';

function text(model: FileModel, node: TSESTree.Node): string {
  return model.sourceCode.getText(node);
}

function races(code: string, source: SourceKind, guards: string[] = []): string[] {
  const model = modelOf(code);
  return findRaces(model, source, new GuardMatcher(guards)).map(({ section, writer }) =>
    section.type !== 'live-loop'
      ? `${text(model, section.read.node)} -> ${text(model, section.write.node)} | ${writer}`
      : `loop ${text(model, section.loop.ref)} | ${writer}`,
  );
}

describe('maps', () => {
  it('sees maps by construction, annotation and record use, and not other values', () => {
    const model = modelOf(`
      const a = new Map<string, number>();
      const b = new Set<string>();
      const c = new WeakMap<object, number>();
      const d: Record<string, number> = {};
      const e: { [id: string]: boolean } = {};
      const f = {} as Record<string, number>;
      const g = {};
      g[String(1)] = 2;
      const h = [1, 2];
      const i = { size: 1, get: (k: string) => k };
      export function use(k: string) {
        a.get(k); b.has(k); c.get({}); d[k]; e[k]; f[k]; g[k]; h[0]; i.get(k);
      }`);
    expect(model.accesses.map((access) => `${access.map.name}:${access.map.kind}:${access.method}`)).toEqual([
      'g:record:[]',
      'a:Map:get',
      'b:Set:has',
      'c:WeakMap:get',
      'd:record:[]',
      'e:record:[]',
      'g:record:[]',
    ]);
  });

  it('skips the types named in safeTypes', () => {
    const model = modelOf('declare class Locked<K, V> extends Map<K, V> {}\nconst m = new Locked<string, number>();\nm.get("a");', ['Locked']);
    expect(model.accesses).toEqual([]);
  });

  it('classifies reads, writes, updates, live loops and copies', () => {
    const model = modelOf(`
      const m = new Map<string, number>();
      const r: Record<string, number> = {};
      export async function f(k: string) {
        m.get(k); m.has(k); m.size; m.set(k, 1); m.delete(k); m.clear();
        r[k] = 1; r[k] += 1; r[k]++; delete r[k]; k in r;
        for (const x of m) x; for (const x of m.keys()) x;
        [...m]; Array.from(m.values()); new Map(m);
      }`);
    expect(model.accesses.map((access) => `${access.method}:${access.kind}`)).toEqual([
      'get:read', 'has:read', 'size:read', 'set:write', 'delete:write', 'clear:write',
      '[]:write', '[]:update', '[]:update', 'delete:write', '[]:read',
      'for-of:iterate', 'keys:iterate',
      '...:copy', 'values:copy', 'copy:copy',
    ]);
  });
});

describe('maps that are not a new Map in the file', () => {
  const kinds = (code: string) => modelOf(code).accesses.map((access) => `${access.map.name}:${access.map.kind}${access.map.foreign ? ' (foreign)' : ''}`);

  it('sees parameter defaults, parameter properties, options and what the constructor is handed', () => {
    expect(
      kinds(`
        export function a(k: string, cache = new Map<string, number>()) { cache.get(k); }
        export function b(k: string, { seen = new Set<string>() } = {}) { seen.has(k); }
        export class C {
          constructor(private readonly cache = new Map<string, number>(), options: { users?: Map<string, number> } = {}, names: ReadonlyMap<string, string>) {
            this.users = options.users ?? new Map();
            this.names = names;
          }
          m(k: string) { this.cache.get(k); this.users.get(k); this.names.get(k); }
        }`),
    ).toEqual(['cache:Map (foreign)', 'seen:Set (foreign)', 'this.cache:Map (foreign)', 'this.users:Map (foreign)', 'this.names:Map (foreign)']);
  });

  it('sees Map-like interfaces and type literals, async ones as stores, and LRUs by their package', () => {
    expect(
      kinds(`
        import QuickLRU from 'quick-lru';
        const LRU = require('lru-cache');
        interface Cache<V> { get(key: string): V | undefined; set(key: string, value: V): void }
        type Store = { get(key: string): Promise<string>; set: (key: string, value: string) => Promise<void> };
        declare const users: Cache<number>;
        declare const sessions: Store;
        declare const flags: { get(key: string): boolean; set(key: string, on: boolean): void };
        const recent = new LRU({ max: 10 });
        const teams = new QuickLRU({ maxSize: 10 });
        export function f(k: string) { users.get(k); sessions.get(k); flags.get(k); recent.peek(k); teams.get(k); }`),
    ).toEqual(['users:Map-like', 'sessions:Async store', 'flags:Map-like', 'recent:LRUCache', 'teams:QuickLRU']);
  });

  it('sees an async store by awaited get and set on a store-like name, and nothing by a name alone', () => {
    expect(
      kinds(`
        declare function connect(): any;
        const redis = connect();
        const cache = connect();
        const kv = connect();
        class LRU { get(k: string) { return k; } set(k: string, v: string) {} }
        const local = new LRU();
        const state = connect();
        export async function f(k: string) {
          await redis.get(k); await redis.set(k, '1');
          cache.get(k); cache.set(k, 1);
          await kv.get(k);
          local.get(k);
          await state.get(k); await state.set(k, 1);
        }`),
    ).toEqual(['redis:Async store', 'redis:Async store']);
  });

  it('counts a call of an accessor as the access it wraps, keyed by the argument', () => {
    const model = modelOf(`
      const index = new Map<string, number>();
      function lookup(id: string) { return index.get(id) ?? 0; }
      const store = (id: string, n: number) => index.set(id, n);
      function touch(id: string) { index.get(id); return id; }
      function read(m: Map<string, number>, id: string) { return m.get(id); }
      export class Tree {
        private readonly children = new Map<string, string[]>();
        getChildren(id: string) { return this.children.get(id); }
        hasChildren(id: string) { return this.children.has(id); }
        deleteChildren(id: string) { this.children.delete(id); }
        first() { return this.children.get('root'); }
        run(key: string) { lookup(key); store(key, 1); touch(key); read(index, key); this.getChildren(key); this.hasChildren(key); this.deleteChildren(key); this.first(); }
      }`);
    const calls = model.accesses.filter((access) => access.via).map((access) => `${text(model, access.node)}:${access.map.name}:${access.kind}:${text(model, access.key!)}`);
    expect(calls).toEqual([
      'lookup(key):index:read:key',
      'store(key, 1):index:write:key',
      'this.getChildren(key):this.children:read:key',
      'this.hasChildren(key):this.children:read:key',
      'this.deleteChildren(key):this.children:write:key',
    ]);
  });
});

describe('task sources', () => {
  const roots = (code: string, source: SourceKind) => {
    const model = modelOf(code);
    return taskGroups(model, source).map((group) => `${group.label}: ${group.tasks.map((task) => `${task.root.loc.start.line}${task.many ? '*' : ''}`).join(' ')}`);
  };

  it('finds Promise.all tasks: mapped callbacks, calls, pushed promises, IIFEs', () => {
    expect(
      roots(
        `async function a() {}
async function b() {}
class C { async m(x: number) {} run(xs: number[]) { return Promise.all(xs.map((x) => this.m(x))); } }
export async function go(xs: number[]) {
  await Promise.all(xs.map(async (x) => x));
  await Promise.allSettled([a(), b(), a()]);
  const ps: Promise<void>[] = [];
  for (const x of xs) ps.push(a());
  await Promise.race(ps);
  await Promise.any([(async () => 1)()]);
  await Promise.all(xs.map(a));
}`,
        'promise-all',
      ),
    ).toEqual([
      'Promise.all tasks: 3*',
      'Promise.all tasks: 5*',
      'Promise.allSettled tasks: 1* 2',
      'Promise.race tasks: 1*',
      'Promise.any tasks: 10',
      'Promise.all tasks: 1*',
    ]);
  });

  it('finds timer callbacks; setInterval overlaps itself; timers/promises loops', () => {
    expect(
      roots(
        `import { setInterval as every } from 'node:timers/promises';
async function tick() {}
setTimeout(tick, 1);
setInterval(async () => {}, 1);
setImmediate(() => void tick());
queueMicrotask(tick);
process.nextTick(tick);
export async function loop() { for await (const _ of every(10)) { await tick(); } }`,
        'timer',
      ),
    ).toEqual([
      'a setTimeout callback: 2',
      'a setInterval callback: 4*',
      'a setImmediate callback: 5',
      'a queueMicrotask callback: 2',
      'a process.nextTick callback: 2',
      'a timers/promises setInterval loop: 8',
    ]);
  });

  it('finds message handlers; async ones run once per message', () => {
    expect(
      roots(
        `declare const port: { on(e: string, f: unknown): void; once(e: string, f: unknown): void; addEventListener(e: string, f: unknown): void; onmessage: unknown };
port.on('message', async () => {});
port.on('message', () => {});
port.once('message', async () => {});
port.on('error', async () => {});
port.addEventListener('message', async () => {});
port.onmessage = async () => {};`,
        'worker-message',
      ),
    ).toEqual([
      "a 'message' handler: 2*",
      "a 'message' handler: 3",
      "a 'message' handler: 4",
      "a 'message' handler: 6*",
      "an 'onmessage' handler: 7*",
    ]);
  });
});

describe('critical sections', () => {
  const sections = (body: string) => {
    const model = modelOf(`const m = new Map<string, number>();\ndeclare function f(x?: unknown): Promise<number>;\nexport async function task(k: string) {\n${body}\n}`);
    const fn = model.sourceCode.ast.body.at(-1) as TSESTree.ExportNamedDeclaration;
    return sectionsIn(model, fn.declaration as TSESTree.FunctionDeclaration, new GuardMatcher([])).map((section) =>
      section.type === 'read-write' ? `${text(model, section.read.node)} -> ${text(model, section.write.node)}` : `loop ${text(model, section.loop.ref)}`,
    );
  };

  it('finds a read that feeds a write across an await', () => {
    expect(sections('const n = m.get(k) ?? 0; await f(); m.set(k, n + 1);')).toEqual(['m.get(k) -> m.set(k, n + 1)']);
  });

  it('finds a read that decides a write: an if around it, or an early return before it', () => {
    expect(sections('if (!m.has(k)) { await f(); m.set(k, 1); }')).toEqual(['m.has(k) -> m.set(k, 1)']);
    expect(sections('const v = m.get(k); if (v) return v; const w = await f(); m.set(k, w); return w;')).toEqual(['m.get(k) -> m.set(k, w)']);
  });

  it('finds a read inside the write whose own argument awaits', () => {
    expect(sections('m.set(k, (m.get(k) ?? 0) + (await f()));')).toEqual(['m.get(k) -> m.set(k, (m.get(k) ?? 0) + (await f()))']);
  });

  it('finds a read whose own await is the suspension (an async store read), not a write awaited alone', () => {
    expect(sections('const n = await m.get(k); await m.set(k, (n ?? 0) + 1);')).toEqual(['m.get(k) -> m.set(k, (n ?? 0) + 1)']);
    expect(sections('await m.set(k, (m.get(k) ?? 0) + 1);')).toEqual([]);
  });

  it('finds an entry read, acted on across an await, then overwritten', () => {
    expect(sections('const n = m.get(k) ?? 0; await f(n); m.set(k, 0);')).toEqual(['m.get(k) -> m.set(k, 0)']);
  });

  it('finds a live loop with an await in its body', () => {
    expect(sections('for (const [key] of m) { await f(key); }')).toEqual(['loop m']);
  });

  it('stays silent on one synchronous step, blind writes, unrelated reads and copies', () => {
    expect(sections('await f(); m.set(k, (m.get(k) ?? 0) + 1);')).toEqual([]);
    expect(sections('m.set(k, await f(k));')).toEqual([]);
    expect(sections('const n = m.get(k); console.log(n); await f(); m.set(k, 1);')).toEqual([]);
    expect(sections('for (const [key] of [...m]) { await f(key); }')).toEqual([]);
    expect(sections('let p = m.get(k); if (!p) { p = 1; m.set(k, p); } return p;')).toEqual([]);
  });
});

describe('guards', () => {
  const counter = (wrap: (section: string) => string, extra = '') => `${extra}
const counts = new Map<string, number>();
declare function audit(k: string): Promise<void>;
export const all = (keys: string[]) => Promise.all(keys.map(async (k) => {
  ${wrap('const n = counts.get(k) ?? 0; await audit(k); counts.set(k, n + 1);')}
}));`;

  it('reports the bare section', () => {
    expect(races(counter((s) => s), 'promise-all')).toEqual(['counts.get(k) -> counts.set(k, n + 1) | while other tasks write it']);
  });

  it.each([
    ['async-mutex runExclusive', (s: string) => `await mutex.runExclusive(async () => { ${s} });`, 'declare const mutex: { runExclusive(f: () => Promise<void>): Promise<void> };'],
    ['acquire … finally release', (s: string) => `const release = await mutex.acquire(); try { ${s} } finally { release(); }`, 'declare const mutex: { acquire(): Promise<() => void> };'],
    ['async-lock acquire(key, fn)', (s: string) => `await lock.acquire(k, async () => { ${s} });`, 'declare const lock: { acquire(k: string, f: () => Promise<void>): Promise<void> };'],
    ['navigator.locks.request', (s: string) => `await navigator.locks.request(k, async () => { ${s} });`, ''],
    ['pLimit(1)', (s: string) => `await limit(async () => { ${s} });`, 'declare function pLimit(n: number): <T>(f: () => Promise<T>) => Promise<T>;\nconst limit = pLimit(1);'],
    ['PQueue concurrency 1', (s: string) => `await queue.add(async () => { ${s} });`, 'declare class PQueue { constructor(o: object); add(f: () => Promise<void>): Promise<void> }\nconst queue = new PQueue({ concurrency: 1 });'],
    ['await using', (s: string) => `await using held = await lock.acquire(); ${s}`, 'declare const lock: { acquire(): Promise<AsyncDisposable> };'],
  ])('honours %s', (_, wrap, extra) => {
    expect(races(counter(wrap, extra), 'promise-all')).toEqual([]);
  });

  it('follows callbacks through pLimit(4) and a PQueue of concurrency 4: they still overlap', () => {
    const limited = counter((s) => `await limit(async () => { ${s} });`, 'declare function pLimit(n: number): <T>(f: () => Promise<T>) => Promise<T>;\nconst limit = pLimit(4);');
    expect(races(limited, 'promise-all')).toEqual(['counts.get(k) -> counts.set(k, n + 1) | while other tasks write it']);
    const queued = counter((s) => `await queue.add(async () => { ${s} });`, 'declare class PQueue { constructor(o: object); add(f: () => Promise<void>): Promise<void> }\nconst queue = new PQueue({ concurrency: 4 });');
    expect(races(queued, 'promise-all')).toEqual(['counts.get(k) -> counts.set(k, n + 1) | while other tasks write it']);
  });

  it('honours user guards by name and by pattern', () => {
    const code = counter((s) => `await db.transaction(async () => { ${s} });`, 'declare const db: { transaction(f: () => Promise<void>): Promise<void> };');
    expect(races(code, 'promise-all', ['db.transaction'])).toEqual([]);
    expect(races(code, 'promise-all', ['/^db\\./u'])).toEqual([]);
  });
});

describe('conflicting writers', () => {
  it('names another task of the same Promise.all, then other functions of the file', () => {
    const code = `
const stock = new Map<string, number>();
declare function check(): Promise<void>;
async function take(sku: string) { const n = stock.get(sku) ?? 0; await check(); stock.set(sku, n - 1); }
async function refill(sku: string) { stock.set(sku, 10); }
export function restock(sku: string) { stock.set(sku, 100); }
export const a = () => Promise.all([take('x'), refill('x')]);
export const b = () => Promise.all([take('y')]);`;
    expect(races(code, 'promise-all')).toEqual([
      'stock.get(sku) -> stock.set(sku, n - 1) | while another of the Promise.all tasks writes it (line 5)',
    ]);
  });

  it('stays silent when a single task has a function-local map nobody else writes', () => {
    const code = `
declare function check(): Promise<void>;
export async function run() {
  const seen = new Map<string, number>();
  await Promise.all([(async () => { const n = seen.get('a') ?? 0; await check(); seen.set('a', n + 1); })()]);
}`;
    expect(races(code, 'promise-all')).toEqual([]);
  });

  it('finds long-lived maps sent to workers, not fresh copies or maps nobody writes', () => {
    const model = modelOf(`
declare const worker: { postMessage(v: unknown): void };
declare class Worker { constructor(f: string, o: object) }
const live = new Map<string, number>();
const frozen = new Map<string, number>([['a', 1]]);
export function add(k: string) { live.set(k, 1); }
worker.postMessage(live);
worker.postMessage({ live, frozen });
worker.postMessage(new Map(live));
new Worker('w.js', { workerData: [live] });`);
    expect(findClonedMaps(model).map((cloned) => `${cloned.via}:${cloned.ref.loc.start.line}`)).toEqual(['postMessage:7', 'postMessage:8', 'workerData:10']);
  });
});

describe('callbacks handed to other calls run as part of the task', () => {
  const counter = (wrap: (section: string) => string, extra = '') => `${extra}
const counts = new Map<string, number>();
declare function audit(k: string): Promise<void>;
export const all = (keys: string[]) => Promise.all(keys.map((k) => ${wrap('const n = counts.get(k) ?? 0; await audit(k); counts.set(k, n + 1);')}));`;
  const bare = ['counts.get(k) -> counts.set(k, n + 1) | while other tasks write it'];

  it.each([
    ['a retry helper', (s: string) => `withRetry(async () => { ${s} })`, 'declare function withRetry<T>(f: () => Promise<T>): Promise<T>;'],
    ['a transaction', (s: string) => `db.transaction(async (tx: unknown) => { ${s} })`, 'declare const db: { transaction(f: (tx: unknown) => Promise<void>): Promise<void> };'],
    ['a tracing span', (s: string) => `tracer.startActiveSpan('count', async () => { ${s} })`, "declare const tracer: { startActiveSpan(n: string, f: () => Promise<void>): Promise<void> };"],
    ['a method no lock library has', (s: string) => `mutex.whatever(async () => { ${s} })`, 'declare const mutex: { whatever(f: () => Promise<void>): Promise<void> };'],
    ['a then callback', (s: string) => `audit(k).then(async () => { ${s} })`, ''],
  ])('finds the section inside %s', (_, wrap, extra) => {
    expect(races(counter(wrap, extra), 'promise-all')).toEqual(bare);
  });

  it('finds it two callbacks deep, and in a function such a callback calls', () => {
    const nested = counter((s) => `withRetry(async () => { await db.transaction(async () => { ${s} }); })`, 'declare function withRetry<T>(f: () => Promise<T>): Promise<T>;\ndeclare const db: { transaction(f: () => Promise<void>): Promise<void> };');
    expect(races(nested, 'promise-all')).toEqual(bare);
    const called = `
const counts = new Map<string, number>();
declare function audit(k: string): Promise<void>;
declare function withRetry<T>(f: () => Promise<T>): Promise<T>;
async function bump(k: string) { const n = counts.get(k) ?? 0; await audit(k); counts.set(k, n + 1); }
export const all = (keys: string[]) => Promise.all(keys.map((k) => withRetry(() => bump(k))));`;
    expect(races(called, 'promise-all')).toEqual(bare);
  });

  it('does not follow a lock callback into the function it calls', () => {
    const code = (wrapper: string) => `
const counts = new Map<string, number>();
declare function audit(k: string): Promise<void>;
declare const mutex: { runExclusive<T>(f: () => Promise<T>): Promise<T>; whatever<T>(f: () => Promise<T>): Promise<T> };
async function bump(k: string) { const n = counts.get(k) ?? 0; await audit(k); counts.set(k, n + 1); }
export const all = (keys: string[]) => Promise.all(keys.map((k) => mutex.${wrapper}(() => bump(k))));`;
    expect(races(code('runExclusive'), 'promise-all')).toEqual([]);
    expect(races(code('whatever'), 'promise-all')).toEqual(bare);
  });

  it('leaves timer and event callbacks registered by a task to their own rules', () => {
    const code = `
const counts = new Map<string, number>();
declare function audit(k: string): Promise<void>;
declare const bus: { on(e: string, f: () => Promise<void>): void };
export const all = (keys: string[]) => Promise.all(keys.map(async (k) => {
  setTimeout(async () => { const n = counts.get(k) ?? 0; await audit(k); counts.set(k, n + 1); }, 10);
  bus.on('tick', async () => { const n = counts.get(k) ?? 0; await audit(k); counts.set(k, n + 1); });
}));`;
    expect(races(code, 'promise-all')).toEqual([]);
  });

  it('leaves a Promise.all nested in a timer callback to the promise-all rule', () => {
    const code = `
const counts = new Map<string, number>();
declare function audit(k: string): Promise<void>;
setInterval(async () => {
  await Promise.all(['a', 'b'].map(async (k) => { const n = counts.get(k) ?? 0; await audit(k); counts.set(k, n + 1); }));
  const later = ['c'].map(async (k) => { const n = counts.get(k) ?? 0; await audit(k); counts.set(k, n + 1); });
  await Promise.all(later);
}, 1000);`;
    expect(races(code, 'timer')).toEqual([]);
    expect(races(code, 'promise-all')).toEqual([
      'counts.get(k) -> counts.set(k, n + 1) | while other tasks write it',
      'counts.get(k) -> counts.set(k, n + 1) | while other tasks write it',
    ]);
  });

  it('keeps a map created inside the callback local to it', () => {
    const code = `
declare function audit(k: string): Promise<void>;
declare function withRetry<T>(f: () => Promise<T>): Promise<T>;
export const all = (keys: string[]) => Promise.all(keys.map((k) => withRetry(async () => {
  const seen = new Map<string, number>();
  const n = seen.get(k) ?? 0; await audit(k); seen.set(k, n + 1);
})));`;
    expect(races(code, 'promise-all')).toEqual([]);
  });
});

describe('guards recognised only where they serialize', () => {
  const section = 'const n = counts.get(k) ?? 0; await audit(k); counts.set(k, n + 1);';
  const code = (body: string, extra: string) => `${extra}
const counts = new Map<string, number>();
declare function audit(k: string): Promise<void>;
export const all = (keys: string[]) => Promise.all(keys.map(async (k) => {
  ${body}
}));`;
  const bare = ['counts.get(k) -> counts.set(k, n + 1) | while other tasks write it'];

  // each pair: the guarded code is silent, the same code without what makes it a guard is reported
  it.each([
    [
      'a release() bound to await mutex.acquire()',
      `const release = await mutex.acquire(); try { ${section} } finally { release(); }`,
      `const release = () => {}; try { ${section} } finally { release(); }`,
      'declare const mutex: { acquire(): Promise<() => void> };',
    ],
    [
      'a Semaphore(1) permit',
      `const [, release] = await sem.acquire(); try { ${section} } finally { release(); }`,
      `const [, release] = await wide.acquire(); try { ${section} } finally { release(); }`,
      "import { Semaphore } from 'async-mutex';\nconst sem = new Semaphore(1);\nconst wide = new Semaphore(4);",
    ],
    [
      'a Mutex runExclusive, not a Semaphore(4) one',
      `await mutex.runExclusive(async () => { ${section} });`,
      `await sem.runExclusive(async () => { ${section} });`,
      "import { Mutex, Semaphore } from 'async-mutex';\nconst mutex = new Mutex();\nconst sem = new Semaphore(4);",
    ],
    [
      'mutex.unlock() after await mutex.lock()',
      `await mutex.lock(); try { ${section} } finally { mutex.unlock(); }`,
      `try { ${section} } finally { mutex.unlock(); }`,
      'declare const mutex: { lock(): Promise<void>; unlock(): void };',
    ],
    [
      'a lock handle released in finally, not a pool client',
      `const held = await lock.acquire(); try { ${section} } finally { held.release(); }`,
      `const client = await pool.connect(); try { ${section} } finally { client.release(); }`,
      'declare const lock: { acquire(): Promise<{ release(): void }> };\ndeclare const pool: { connect(): Promise<{ release(): void }> };',
    ],
    [
      'a finally that releases a lock, not one that ends a span',
      `const done = await mutex.acquire(); try { ${section} } finally { done(); }`,
      `try { ${section} } finally { span.done(); }`,
      'declare const mutex: { acquire(): Promise<() => void> };\ndeclare const span: { done(): void };',
    ],
    [
      'await using a lock handle, not a connection',
      `await using held = await counts2.lock(k); ${section}`,
      `await using conn = await openConnection(); ${section}`,
      "declare class SafeMap<K, V> extends Map<K, V> { lock(k: K): Promise<AsyncDisposable> }\nconst counts2 = new SafeMap<string, number>();\ndeclare function openConnection(): Promise<AsyncDisposable>;",
    ],
    [
      'await using a lock helper, not a pool resource',
      `await using held = await acquireLock(k); ${section}`,
      `await using permit = await pool.acquire(); ${section}`,
      'declare function acquireLock(k: string): Promise<AsyncDisposable>;\ndeclare const pool: { acquire(): Promise<AsyncDisposable> };',
    ],
  ])('honours %s', (_, guarded, unguarded, extra) => {
    expect(races(code(guarded, extra), 'promise-all')).toEqual([]);
    expect(races(code(unguarded, extra), 'promise-all')).toEqual(bare);
  });
});

describe('claims, branches and duplicates', () => {
  const sections = (body: string) => {
    const model = modelOf(`const m = new Map<string, number>();\nconst seen = new Set<string>();\ndeclare function f(x?: unknown): Promise<number>;\nexport async function task(k: string, fast: boolean) {\n${body}\n}`);
    const fn = model.sourceCode.ast.body.at(-1) as TSESTree.ExportNamedDeclaration;
    return sectionsIn(model, fn.declaration as TSESTree.FunctionDeclaration, new GuardMatcher([])).map((section) =>
      section.type === 'read-write' ? `${text(model, section.read.node)} -> ${text(model, section.write.node)}` : `loop ${text(model, section.loop.ref)}`,
    );
  };

  it('sees no section when the task claims the key before it suspends', () => {
    expect(sections('if (seen.has(k)) return; seen.add(k); await f(k); seen.delete(k);')).toEqual([]);
    expect(sections('if (!seen.has(k)) { seen.add(k); try { await f(k); } finally { seen.delete(k); } }')).toEqual([]);
    expect(sections('const v = m.get(k); if (v !== undefined) return v; m.set(k, -1); const w = await f(k); m.set(k, w); return w;')).toEqual([]);
    // the claim on one map guards the check of another tested with it
    expect(sections('if (seen.has(k) || m.has(k)) return; seen.add(k); try { m.set(k, await f(k)); } finally { seen.delete(k); }')).toEqual([]);
  });

  it('still sees the section when the write after the read is no claim', () => {
    // no test: the write just stores what was read
    expect(sections('const n = m.get(k) ?? 0; m.set(k, n); await f(); m.set(k, n + 1);')).toEqual(['m.get(k) -> m.set(k, n + 1)']);
    // the test lets a second task through when the key is present
    expect(sections('if (seen.has(k)) { seen.add(k); await f(k); seen.delete(k); }')).toEqual(['seen.has(k) -> seen.delete(k)']);
    // the claimed key is another one
    expect(sections('if (seen.has(k)) return; seen.add("all"); await f(k); seen.delete(k);')).toEqual(['seen.has(k) -> seen.delete(k)']);
    // the claim comes after the await
    expect(sections('if (seen.has(k)) return; await f(k); seen.add(k);')).toEqual(['seen.has(k) -> seen.add(k)']);
  });

  it('ignores an await in the branch exclusive with the read', () => {
    expect(sections('let v: number; if (fast) { v = (m.get(k) ?? 0) + 1; } else { v = await f(k); } m.set(k, v);')).toEqual([]);
    expect(sections('const v = fast ? (m.get(k) ?? 0) + 1 : await f(k); m.set(k, v);')).toEqual([]);
    // an await after both branches is on the path
    expect(sections('let v: number; if (fast) { v = (m.get(k) ?? 0) + 1; } else { v = 0; } await f(); m.set(k, v);')).toEqual([
      'm.get(k) -> m.set(k, v)',
    ]);
  });

  it('reports a section once, from its earliest read', () => {
    expect(sections('if (m.has(k)) { const v = m.get(k)!; await f(k); m.set(k, v + 1); }')).toEqual(['m.has(k) -> m.set(k, v + 1)']);
  });
});

describe('task sources found', () => {
  const roots = (code: string, source: SourceKind) => {
    const model = modelOf(code);
    return taskGroups(model, source).map((group) => `${group.label}: ${group.tasks.map((task) => `${task.root.loc.start.line}${task.many ? '*' : ''}`).join(' ')}`);
  };

  it('resolves a promise pushed through a variable', () => {
    expect(roots(`async function bump(id: string) {}
export async function all(ids: string[]) {
  const ps: Promise<void>[] = [];
  for (const id of ids) { const p = bump(id); ps.push(p); }
  await Promise.all(ps);
}`, 'promise-all')).toEqual(['Promise.all tasks: 1*']);
  });

  it('follows methods of an object literal and of the one instance of a class of the file', () => {
    expect(roots(`const service = { async bump(id: string) {}, load: async (id: string) => id };
class Counter { async bump(id: string) {} }
const counter = new Counter();
export const a = () => Promise.all([service.bump('a'), service.load('b'), counter.bump('c')]);`, 'promise-all')).toEqual(['Promise.all tasks: 1 1 2']);
  });

  it('does not follow a method when two instances of the class may be meant', () => {
    expect(roots(`class Cache { async refresh() {} }
const primary = new Cache();
const replica = new Cache();
export const a = () => Promise.all([primary.refresh(), replica.refresh()]);`, 'promise-all')).toEqual([]);
  });

  it('finds timers/promises loops through a default or namespace import', () => {
    expect(roots(`import timers from 'node:timers/promises';
import * as tp from 'timers/promises';
export async function a() { for await (const _ of timers.setInterval(10)) { await 1; } }
export async function b() { for await (const _ of tp.setInterval(10)) { await 1; } }
export async function c() { for await (const _ of other.setInterval(10)) { await 1; } }
declare const other: { setInterval(ms: number): AsyncIterable<void> };`, 'timer')).toEqual([
      'a timers/promises setInterval loop: 3',
      'a timers/promises setInterval loop: 4',
    ]);
  });

  it('runs a synchronous message handler that starts an async function once per message', () => {
    expect(roots(`declare const port: { on(e: string, f: unknown): void; onmessage: unknown };
async function work(id: string) {}
function note(id: string) {}
port.on('message', (msg: { id: string }) => { void work(msg.id); });
port.on('message', (msg: { id: string }) => { note(msg.id); });
port.onmessage = (msg: { id: string }) => { void work(msg.id); };`, 'worker-message')).toEqual([
      "a 'message' handler: 4*",
      "a 'message' handler: 5",
      "an 'onmessage' handler: 6*",
    ]);
  });
});

describe('conflicting writers, continued', () => {
  it('does not count the constructor as a writer of its own instance state', () => {
    const code = `
declare function fetchRate(c: string): Promise<number>;
export class RateCache {
  private rates = new Map<string, number>();
  constructor() { this.rates.set('EUR', 1); setTimeout(() => this.refresh(), 0); }
  private async refresh() { const prev = this.rates.get('EUR') ?? 1; const next = await fetchRate('EUR'); this.rates.set('EUR', (prev + next) / 2); }
  override(v: number) { this.rates.set('EUR', v); }
}`;
    expect(races(code, 'timer')).toEqual(["this.rates.get('EUR') -> this.rates.set('EUR', (prev + next) / 2) | while 'override' (line 7) writes it"]);
    expect(races(code.replace(/\n {2}override.*\n/u, '\n'), 'timer')).toEqual([]);
  });

  it('counts constructors as writers of static state: another instance can be built meanwhile', () => {
    const code = `
declare function audit(k: string): Promise<void>;
class Registry {
  static counts = new Map<string, number>();
  constructor(k: string) { Registry.counts.set(k, 0); }
  static async bump(k: string) { const n = Registry.counts.get(k) ?? 0; await audit(k); Registry.counts.set(k, n + 1); }
}
export const one = () => Promise.all([Registry.bump('a')]);`;
    expect(races(code, 'promise-all')).toEqual(["Registry.counts.get(k) -> Registry.counts.set(k, n + 1) | while 'constructor' (line 5) writes it"]);
  });

  it('skips an instance each task creates for itself', () => {
    const code = `
declare function load(id: string): Promise<number>;
class Counter {
  private counts = new Map<string, number>();
  async bump(id: string) { const n = this.counts.get(id) ?? 0; await load(id); this.counts.set(id, n + 1); }
}
export const own = (ids: string[]) => Promise.all(ids.map(async (id) => { const c = new Counter(); await c.bump(id); }));`;
    expect(races(code, 'promise-all')).toEqual([]);
    const sharedCode = `
declare function load(id: string): Promise<number>;
class Counter {
  private counts = new Map<string, number>();
  async bump(id: string) { const n = this.counts.get(id) ?? 0; await load(id); this.counts.set(id, n + 1); }
}
const counter = new Counter();
export const all = (ids: string[]) => Promise.all(ids.map((id) => counter.bump(id)));`;
    expect(races(sharedCode, 'promise-all')).toEqual(['this.counts.get(id) -> this.counts.set(id, n + 1) | while other tasks write it']);
  });
});

describe('benign shapes', () => {
  /** Each body's one section, classified: a duplicate load or a lost update. */
  const fills = (body: string) => {
    const model = modelOf(
      `const m = new Map<string, unknown>();\nlet offset = 0;\nexport function shift() { offset++; }\ndeclare function load(k: string): Promise<number>;\ndeclare function audit(k: string): Promise<void>;\nexport async function task(k: string, user: string) {\n${body}\n}`,
    );
    const fn = model.sourceCode.ast.body.at(-1) as TSESTree.ExportNamedDeclaration;
    return sectionsIn(model, fn.declaration as TSESTree.FunctionDeclaration, new GuardMatcher([])).map((section) =>
      section.type === 'read-write' && isDuplicateLoad(model, section.read, section.write) ? 'duplicate load' : 'lost update',
    );
  };

  it('calls a fill whose value is loaded from the key alone a duplicate load', () => {
    expect(fills('if (!m.has(k)) m.set(k, await load(k));')).toEqual(['duplicate load']);
    expect(fills('let v = m.get(k);\nif (!v) {\n  v = await load(k);\n  m.set(k, v);\n}\nreturn v;')).toEqual(['duplicate load']);
    expect(fills('const hit = m.get(k);\nif (hit !== undefined) return hit;\nconst loaded = await load(k);\nm.set(k, { loaded, at: Date.now() });')).toEqual(['duplicate load']);
  });

  it('keeps a lost update for the old value, another input, other state, a marker or a refresh', () => {
    expect(fills('const n = (m.get(k) as number) ?? 0;\nm.set(k, n + (await load(k)));')).toEqual(['lost update']);
    expect(fills('if (m.has(k)) return;\nawait audit(k);\nm.set(k, user);')).toEqual(['lost update']);
    expect(fills('if (!m.has(k)) m.set(k, (await load(k)) + offset);')).toEqual(['lost update']);
    expect(fills('if (!m.has(k)) {\n  await audit(k);\n  m.set(k, true);\n}')).toEqual(['lost update']);
    expect(fills('const hit = m.get(k) as { stale: boolean } | undefined;\nif (hit && !hit.stale) return;\nm.set(k, await load(k));')).toEqual(['lost update']);
  });

  const counts = `declare function save(n: number): Promise<void>;\nconst counts = new Map<string, number>();\n`;
  const flush = (source: string, extra = '') =>
    races(`${counts}export const flush = (ids: string[], idSet: Set<string>) => Promise.all(${source}.map(async (k) => {\n  const n = counts.get(k) ?? 0;\n  await save(n);\n  counts.set(k, n + 1);${extra}\n}));`, 'promise-all');

  it('keeps apart the tasks of a snapshot of distinct keys that touch only their own key', () => {
    for (const source of ['[...counts.keys()]', 'Array.from(counts.keys())', '[...new Set(ids)]', 'Array.from(new Set(ids))', '[...idSet]']) {
      expect(flush(source), source).toEqual([]);
    }
    expect(flush('ids')).toEqual(['counts.get(k) -> counts.set(k, n + 1) | while other tasks write it']);
    expect(flush('[...counts.keys()]', "\n  counts.set('*', 0);")).toEqual(['counts.get(k) -> counts.set(k, n + 1) | while other tasks write it']);
    expect(flush('[...counts.keys()]', '\n  if (counts.size > 100) counts.clear();')).toEqual(['counts.get(k) -> counts.set(k, n + 1) | while other tasks write it']);
  });

  it('keeps apart the tasks pushed from a loop over distinct keys, the key passed to their function', () => {
    const pushed = (loops: string) =>
      races(
        `${counts}async function bump(k: string) {\n  const n = counts.get(k) ?? 0;\n  await save(n);\n  counts.set(k, n + 1);\n}\nexport async function flush(ids: string[], idSet: Set<string>) {\n  const pending: Promise<void>[] = [];\n  ${loops}\n  await Promise.all(pending);\n}`,
        'promise-all',
      );
    const loop = (source: string) => `for (const id of ${source}) pending.push(bump(id));`;
    expect(pushed(loop('new Set(ids)'))).toEqual([]);
    expect(pushed(loop('idSet'))).toEqual([]);
    expect(pushed(loop('counts.keys()'))).toEqual([]);
    expect(pushed(loop('ids'))).toEqual(['counts.get(k) -> counts.set(k, n + 1) | while other tasks write it']);
    // two loops over one Set start two tasks per key
    expect(pushed(`${loop('idSet')}\n  ${loop('idSet')}`)).toEqual(['counts.get(k) -> counts.set(k, n + 1) | while other tasks write it']);
  });
});
