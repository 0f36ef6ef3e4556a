/**
 * The behaviour SafeMap and ShardedMap share, as one suite that each class's test file runs
 * against its own constructors (and stores): Map compatibility, the compound operations under
 * adversarial interleavings, mutual exclusion without deadlock, loud misuse, and bounded waits.
 *
 * How the tests create interleavings: a task pauses between its read and its write (a scheduled
 * promise that fast-check's scheduler releases in an order it chooses, or a seeded random pause),
 * and a Gate holds a section open while the test looks at what the other tasks are doing.
 * Nothing asserts on time; a watchdog turns a deadlock into a failure that says what hung.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConcurrentMapError, SafeMapError, type SafeMapErrorCode } from '../../lib/runtime/errors.js';
import { currentHeldSections, type SafeMap } from '../../lib/runtime/safe-map.js';
import type { ShardedMap } from '../../lib/runtime/sharded-map.js';
import {
  gate,
  Occupancy,
  randomPauses,
  rejectionOf,
  seededRandom,
  settle,
  sleep,
  track,
  withinWatchdog,
  type Gate,
} from './async.js';

export type GuardedMap<K, V> = SafeMap<K, V> | ShardedMap<K, V>;

/** One way of constructing the map under test. */
export interface GuardedMapKind {
  /** Shown in the test names. */
  readonly label: string;
  readonly toStringTag: 'SafeMap' | 'ShardedMap';
  /** True when iteration follows insertion order as a native Map's does (native store, one shard). */
  readonly insertionOrdered: boolean;
  create<K, V>(entries?: Iterable<readonly [K, V]> | null): GuardedMap<K, V>;
  /** The constructor called with exactly these arguments, for the bad-input tests. */
  construct(...args: unknown[]): GuardedMap<unknown, unknown>;
}

/** Registers the shared suite for one kind of guarded map. */
export function describeGuardedMapScenarios(kind: GuardedMapKind): void {
  const groups: [string, (kind: GuardedMapKind) => void][] = [
    ['Map compatibility', describeMapCompatibility],
    ['no lost updates under adversarial interleavings', describeLostUpdates],
    ['getOrCompute', describeGetOrCompute],
    ['withLock', describeWriteSections],
    ['withReadLock', describeReadSections],
    ['plain reads see committed values', describeCommittedReads],
    ['misuse is loud', describeMisuse],
    ['signal and timeout bound the wait', describeWaitBounds],
    ['lock handles', describeLockHandles],
    ['compareAndSet, getAndDelete, snapshot', describeConditionalOperations],
    ['bad input is a TypeError', describeBadInput],
    ['sections run in their caller\'s async context', describeAsyncContext],
  ];
  // Every test here settles in milliseconds; a lock that never comes fails in seconds, not minutes.
  for (const [name, describeGroup] of groups) describe(`${kind.label}: ${name}`, { timeout: 10_000 }, () => describeGroup(kind));
}

// ---- shared expectations ------------------------------------------------------------------------

async function expectSafeMapError(promise: Promise<unknown>, code: SafeMapErrorCode): Promise<SafeMapError> {
  const error = await withinWatchdog(`a call expected to reject with ${code}`, rejectionOf(promise), 2000);
  expect(error).toBeInstanceOf(SafeMapError);
  expect(error).toMatchObject({ name: 'SafeMapError', code });
  return error as SafeMapError;
}

function expectSafeMapErrorSync(action: () => unknown, code: SafeMapErrorCode): void {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(SafeMapError);
  expect(thrown).toMatchObject({ code });
}

/** Go's "concurrent map writes", thrown synchronously by a plain write; returns the error. */
function expectConcurrentMapWrites(action: () => unknown): ConcurrentMapError {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ConcurrentMapError);
  expect(thrown).toMatchObject({ message: 'concurrent map writes', code: 'ERR_CONCURRENT_MAP_WRITES' });
  return thrown as ConcurrentMapError;
}

/** The message of a ConcurrentMapError's `cause` (an Error). */
function causeOf(error: ConcurrentMapError): string {
  expect(error.cause).toBeInstanceOf(Error);
  return (error.cause as Error).message;
}

/**
 * The entries of `actual` (any iterable of pairs) against a reference Map: every reference entry
 * exactly once, keys as the Map gives them (so -0 comes back as +0), and in the reference's order
 * when the kind promises insertion order.
 */
function expectSameEntries(actual: Iterable<readonly [unknown, unknown]>, reference: Map<unknown, unknown>, ordered: boolean): void {
  const entries = [...actual];
  const expected = [...reference];
  if (!ordered) {
    const order = [...reference.keys()];
    const position = (key: unknown) => order.findIndex((k) => Object.is(k, key));
    entries.sort((a, b) => position(a[0]) - position(b[0]));
  }
  expect(entries).toEqual(expected);
}

const countsOf = (map: Iterable<readonly [string, number]>): Record<string, number> => Object.fromEntries(map);

function tally(keys: Iterable<string>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const key of keys) counts[key] = (counts[key] ?? 0) + 1;
  return counts;
}

// ---- Map compatibility --------------------------------------------------------------------------

type SyncOp =
  | { op: 'set'; key: unknown; value: number | undefined }
  | { op: 'delete' | 'get' | 'has'; key: unknown }
  | { op: 'clear' | 'size' };

const objectKey = { id: 1 };
const symbolKey = Symbol('key');
// Keys where SameValueZero matters (0 and -0, NaN), lookalikes of other types, and identities.
const keyArb = fc.constantFrom<unknown>(0, -0, 1, Number.NaN, '1', 'a', '', true, false, null, undefined, 10n, objectKey, symbolKey);
const syncOpArb: fc.Arbitrary<SyncOp> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('set' as const), key: keyArb, value: fc.option(fc.integer(), { nil: undefined }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constantFrom('delete' as const, 'get' as const, 'has' as const), key: keyArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('clear' as const, 'size' as const) }) },
);

function applySyncOp(map: Map<unknown, unknown>, op: SyncOp): unknown {
  switch (op.op) {
    case 'set':
      return map.set(op.key, op.value) === map ? 'returned itself' : 'returned something else';
    case 'delete':
      return map.delete(op.key);
    case 'get':
      return map.get(op.key);
    case 'has':
      return map.has(op.key);
    case 'clear':
      return map.clear();
    case 'size':
      return map.size;
  }
}

/** Synchronous code written for a Map: counts words, then drops the rare ones while iterating. */
function wordCounts(map: Map<string, number>, text: string) {
  for (const word of text.split(/\s+/u)) map.set(word, (map.get(word) ?? 0) + 1);
  const deleted: string[] = [];
  for (const [word, count] of map) {
    if (count === 1 && map.delete(word)) deleted.push(word);
  }
  return { size: map.size, deleted: deleted.sort(), has: [map.has('the'), map.has('fox')] };
}

function describeMapCompatibility(kind: GuardedMapKind): void {
  // new X(entries) takes what new Map(entries) takes; the last of duplicate keys wins
  it('is constructed from entries like a Map', () => {
    const entries: [string, number][] = [['a', 1], ['b', 2], ['a', 3]];
    expectSameEntries(kind.create(entries), new Map(entries), kind.insertionOrdered);
    expectSameEntries(kind.create(new Map(entries)), new Map(entries), kind.insertionOrdered);
    function* generated(): Generator<[string, number]> {
      yield ['x', 1];
      yield ['y', 2];
    }
    expectSameEntries(kind.create(generated()), new Map([['x', 1], ['y', 2]]), kind.insertionOrdered);
    expect(kind.create().size).toBe(0);
    expect(kind.create(null).size).toBe(0);
  });

  // any sequence of synchronous operations returns what a Map returns and leaves the same entries
  it('agrees with a Map on random operation sequences (SameValueZero keys, undefined values)', () => {
    fc.assert(
      fc.property(fc.array(syncOpArb, { maxLength: 60 }), (ops) => {
        const reference = new Map<unknown, unknown>();
        const map = kind.create<unknown, unknown>();
        for (const op of ops) {
          expect(applySyncOp(map, op), JSON.stringify(op, (_, v: unknown) => (typeof v === 'bigint' || typeof v === 'symbol' ? String(v) : v))).toBe(
            applySyncOp(reference, op),
          );
        }
        expectSameEntries(map, reference, kind.insertionOrdered);
        expect(map.size).toBe(reference.size);
      }),
      { numRuns: 150 },
    );
  });

  // keys(), values(), entries(), the iterator and forEach all walk the same entries
  it('iterates like a Map with every iteration method', () => {
    const reference = new Map<string, number>(Array.from({ length: 40 }, (_, i) => [`k${i}`, i]));
    const map = kind.create(reference);
    expectSameEntries(map.entries(), reference, kind.insertionOrdered);
    expectSameEntries(map[Symbol.iterator](), reference, kind.insertionOrdered);
    expectSameEntries([...map.keys()].map((key) => [key, map.get(key)] as const), reference, kind.insertionOrdered);
    expect([...map.values()].sort((a, b) => a - b)).toEqual([...reference.values()]);
    expectSameEntries(new Map(map), reference, kind.insertionOrdered);

    const iterator = map.entries();
    expect(iterator[Symbol.iterator]()).toBe(iterator);

    const thisArg = { marker: true };
    const calls: unknown[][] = [];
    map.forEach(function (this: unknown, value, key, self) {
      calls.push([key, value, self, this]);
    }, thisArg);
    expect(calls).toHaveLength(reference.size);
    for (const [key, value, self, receiver] of calls) {
      expect(reference.get(key as string)).toBe(value);
      expect(self).toBe(map);
      expect(receiver).toBe(thisArg);
    }
  });

  // set returns the map itself, so chains work as on a Map
  it('chains set calls and reports deletes like a Map', () => {
    const map = kind.create<string, number>();
    expect(map.set('a', 1).set('b', 2)).toBe(map);
    expect(map.delete('a')).toBe(true);
    expect(map.delete('a')).toBe(false);
    expect([...map]).toEqual([['b', 2]]);
  });

  it(`reports [object ${kind.toStringTag}] as its toStringTag`, () => {
    expect(Object.prototype.toString.call(kind.create())).toBe(`[object ${kind.toStringTag}]`);
  });

  // the rules' fix swaps `new Map` for the guarded map: synchronous code must not notice
  it('runs synchronous Map code, deletes during iteration included, with identical results', () => {
    const text = 'the quick brown fox jumps over the lazy dog the fox ran';
    const reference = new Map<string, number>();
    const map = kind.create<string, number>();
    expect(wordCounts(map, text)).toEqual(wordCounts(reference, text));
    expectSameEntries(map, reference, kind.insertionOrdered);
  });
}

// ---- lost updates -------------------------------------------------------------------------------

type Increment = (map: GuardedMap<string, number>, key: string, pause: () => Promise<unknown>) => Promise<unknown>;

/** The racy pattern the rules report: read, await, write what the read implied. */
const naiveIncrement: Increment = async (map, key, pause) => {
  const old = map.get(key);
  await pause();
  map.set(key, (old ?? 0) + 1);
};

/** The rewrite the rules' fixes produce. */
const guardedIncrement: Increment = (map, key, pause) =>
  map.update(key, async (old) => {
    await pause();
    return (old ?? 0) + 1;
  });

/**
 * Tasks over a few keys, each started and paused when fast-check's scheduler says: the final
 * count of every key must equal the number of tasks that incremented it.
 */
function lostUpdateProperty(kind: GuardedMapKind, increment: Increment) {
  return fc.asyncProperty(
    fc.scheduler(),
    fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 1, maxLength: 40 }),
    async (s, keysOfTasks) => {
      const map = kind.create<string, number>();
      const tasks = keysOfTasks.map(async (key, i) => {
        await s.schedule(Promise.resolve(), `start task ${i} on ${key}`);
        await increment(map, key, () => s.schedule(Promise.resolve(), `task ${i} between read and write`));
      });
      await s.waitFor(Promise.all(tasks));
      expect(countsOf(map)).toEqual(tally(keysOfTasks));
    },
  );
}

function describeLostUpdates(kind: GuardedMapKind): void {
  // update keeps every increment whatever order the scheduler releases the tasks' awaits in
  it('update(k, async old => old + 1) keeps every increment under any schedule (fast-check scheduler)', async () => {
    await fc.assert(lostUpdateProperty(kind, guardedIncrement), { numRuns: 60 });
  });

  // the same property fails for get/await/set on a plain Map: the test can tell a race from none
  it('the same property fails for get, await, set on a plain Map (the test detects lost updates)', async () => {
    const plainMapKind: GuardedMapKind = { ...kind, create: (() => new Map()) as unknown as GuardedMapKind['create'] };
    const result = await fc.check(lostUpdateProperty(plainMapKind, naiveIncrement), { numRuns: 60 });
    expect(result.failed).toBe(true);
  });

  // a deterministic two-task race, the smallest picture of the above
  it('two tasks that both read before either writes: a Map loses one, update keeps both', async () => {
    const both = gate();
    const pause = () => both.promise;
    const plain = new Map<string, number>() as unknown as GuardedMap<string, number>;
    const racy = Promise.all([naiveIncrement(plain, 'n', pause), naiveIncrement(plain, 'n', pause)]);
    const map = kind.create<string, number>();
    const safe = Promise.all([guardedIncrement(map, 'n', pause), guardedIncrement(map, 'n', pause)]);
    both.open();
    await Promise.all([racy, safe]);
    expect(plain.get('n')).toBe(1);
    expect(map.get('n')).toBe(2);
  });

  // hundreds of tasks with random starts and pauses, mixing every way of incrementing a key
  it('hundreds of tasks mixing update, multi-key withLock and compareAndSet retries count exactly', async () => {
    const keys = ['a', 'b', 'c', 'd'];
    type Task = { how: 'update' | 'withLock' | 'compareAndSet'; keys: string[] };
    const taskArb: fc.Arbitrary<Task> = fc.oneof(
      fc.record({ how: fc.constantFrom('update' as const, 'compareAndSet' as const), keys: fc.constantFrom(...keys).map((k) => [k]) }),
      fc.record({ how: fc.constant('withLock' as const), keys: fc.shuffledSubarray(keys, { minLength: 1, maxLength: 3 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(taskArb, { minLength: 200, maxLength: 300 }), fc.integer(), async (tasks, seed) => {
        const pause = randomPauses(seededRandom(seed));
        const map = kind.create<string, number>();
        const run = async (task: Task) => {
          await pause();
          const key = task.keys[0]!;
          switch (task.how) {
            case 'update':
              return guardedIncrement(map, key, pause);
            case 'withLock':
              return map.withLock(task.keys, async (view) => {
                const before = task.keys.map((k) => view.get(k) ?? 0);
                await pause();
                for (const [i, k] of task.keys.entries()) {
                  view.set(k, before[i]! + 1);
                  await pause();
                }
              });
            case 'compareAndSet':
              for (;;) {
                const old = map.get(key);
                await pause();
                if (await map.compareAndSet(key, old, (old ?? 0) + 1)) return;
              }
          }
        };
        await withinWatchdog(`${tasks.length} incrementing tasks`, Promise.all(tasks.map(run)), 3000);
        expect(countsOf(map)).toEqual(tally(tasks.flatMap((task) => task.keys)));
      }),
      // endOnFailure: shrinking a deadlock would wait out the watchdog on every attempt
      { numRuns: 3, endOnFailure: true },
    );
  });
}

// ---- getOrCompute -------------------------------------------------------------------------------

function describeGetOrCompute(kind: GuardedMapKind): void {
  // single flight: one fn run per key, its value stored and given to every caller
  it.each([1, 10, 1000])('runs fn once for %i concurrent callers, all get its value', async (callers) => {
    const map = kind.create<string, object>();
    let runs = 0;
    const fn = async () => {
      runs++;
      await sleep(1);
      return { run: runs };
    };
    const results = await Promise.all(Array.from({ length: callers }, () => map.getOrCompute('k', fn)));
    expect(runs).toBe(1);
    expect(new Set(results).size).toBe(1);
    expect(map.get('k')).toBe(results[0]);
  });

  // callers that arrive at random moments while fn is running join the same run
  it('callers arriving while fn runs, over several keys, join that key\'s single run', async () => {
    const map = kind.create<string, string>();
    const runs: Record<string, number> = {};
    const release = gate();
    const fn = async (key: string) => {
      runs[key] = (runs[key] ?? 0) + 1;
      await release.promise;
      return `value of ${key}`;
    };
    const pause = randomPauses(seededRandom(7));
    const callers = Array.from({ length: 200 }, async (_, i) => {
      await pause();
      const key = `k${i % 5}`;
      return [key, await map.getOrCompute(key, fn)] as const;
    });
    await settle();
    await sleep(2);
    release.open();
    for (const [key, value] of await Promise.all(callers)) expect(value).toBe(`value of ${key}`);
    expect(runs).toEqual({ k0: 1, k1: 1, k2: 1, k3: 1, k4: 1 });
  });

  // a present key, even with a falsy or undefined value, resolves at once without fn
  it('never runs fn for a present key, whatever its value', async () => {
    const present: [string, unknown][] = [['zero', 0], ['empty', ''], ['false', false], ['null', null], ['undefined', undefined]];
    const map = kind.create<string, unknown>(present);
    let runs = 0;
    for (const [key, value] of present) {
      await expect(map.getOrCompute(key, () => ++runs)).resolves.toBe(value);
    }
    expect(runs).toBe(0);
  });

  // fn gets the key; a synchronous fn works as well as an async one
  it('passes the key to fn and accepts a synchronous fn', async () => {
    const map = kind.create<string, string>();
    await expect(map.getOrCompute('id-1', (key) => `user ${key}`)).resolves.toBe('user id-1');
    expect(map.get('id-1')).toBe('user id-1');
  });

  // a rejection reaches every waiter, is not stored, and the next call runs fn again
  it('gives one rejection to every waiter, stores nothing, and retries on the next call', async () => {
    const map = kind.create<string, string>();
    const boom = new Error('backend down');
    let runs = 0;
    const failing = async () => {
      runs++;
      await sleep(1);
      throw boom;
    };
    const errors = await Promise.all(Array.from({ length: 10 }, () => rejectionOf(map.getOrCompute('k', failing))));
    expect(runs).toBe(1);
    for (const error of errors) expect(error).toBe(boom);
    expect(map.has('k')).toBe(false);

    await expect(map.getOrCompute('k', () => { runs++; return 'recovered'; })).resolves.toBe('recovered');
    expect(runs).toBe(2);
    expect(map.get('k')).toBe('recovered');
  });

  // a fn that throws synchronously is a rejection like any other
  it('turns a synchronous throw into a rejection and stays usable', async () => {
    const map = kind.create<string, number>();
    const boom = new Error('sync');
    const error = await rejectionOf(map.getOrCompute('k', () => { throw boom; }));
    expect(error).toBe(boom);
    await expect(map.getOrCompute('k', () => 1)).resolves.toBe(1);
  });

  // a writer section on the key finishes first; its value is then present and fn never runs
  it('waits for a section writing the key and returns what it wrote', async () => {
    const map = kind.create<string, number>();
    const hold = gate();
    const writer = map.withLock('k', async (view) => {
      await hold.promise;
      view.set('k', 5);
    });
    let runs = 0;
    const read = track(map.getOrCompute('k', () => ++runs));
    await settle();
    expect(read.state).toBe('pending');
    hold.open();
    await writer;
    await expect(read.promise).resolves.toBe(5);
    expect(runs).toBe(0);
  });
}

// ---- withLock -----------------------------------------------------------------------------------

function describeWriteSections(kind: GuardedMapKind): void {
  // fn's result comes back, view writes land, and a throw releases the lock and propagates
  it('resolves to fn\'s result, commits view writes, and releases when fn throws', async () => {
    const map = kind.create([['k', 1]]);
    await expect(map.withLock('k', (view) => (view.set('k', view.get('k')! + 1), 'done'))).resolves.toBe('done');
    expect(map.get('k')).toBe(2);
    const boom = new Error('section failed');
    expect(await rejectionOf(map.withLock('k', async () => { await sleep(0); throw boom; }))).toBe(boom);
    await expect(withinWatchdog('withLock after a failed section', map.update('k', (n) => n! + 1))).resolves.toBe(3);
    map.set('k', 10); // no section holds k any more
  });

  // one key, many tasks: never two inside, no increment lost
  it('lets one task at a time into a key\'s section', async () => {
    const map = kind.create<string, number>();
    const occupancy = new Occupancy<string>();
    const pause = randomPauses(seededRandom(11));
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        map.withLock('k', async (view) => {
          const leave = occupancy.enter(['k'], true, `task ${i}`);
          const old = view.get('k') ?? 0;
          await pause();
          view.set('k', old + 1);
          leave();
        }),
      ),
    );
    expect(occupancy.violations).toEqual([]);
    expect(map.get('k')).toBe(100);
  });

  // the holder's writes are committed before its lock is released: the next holder starts from them
  it('commits a section before handing its key over, and hands it over in the releasing call', async () => {
    const map = kind.create([['k', 1]]);
    const hold = gate();
    const holder = map.update('k', async (n) => (await hold.promise, n! + 4));
    const seen: unknown[] = [];
    const waiter = map.update('k', (n) => {
      seen.push([n, map.get('k')]);
      return n! * 10;
    });
    hold.open();
    await expect(holder).resolves.toBe(5);
    expect(seen).toEqual([[5, 5]]);
    await expect(waiter).resolves.toBe(50);

    const handle = await map.lock('k');
    const next = map.update('k', (n) => n! + 1);
    handle.release();
    expect(map.get('k')).toBe(51); // the waiter's synchronous fn ran inside release()
    await expect(next).resolves.toBe(51);
  });

  // a lock is handed to the next waiter at once, in the releasing call; a long line of synchronous
  // sections must hand over in a loop (a call per section would overflow the stack)
  it('hands a key over along 6,000 queued synchronous sections without deep recursion', async () => {
    const map = kind.create([['k', 0], ['j', 0]]);
    const hold = gate();
    const holder = map.withLock(['k', 'j'], () => hold.promise);
    await settle();
    const waiters: Promise<unknown>[] = [];
    for (let i = 0; i < 6000; i++) {
      waiters.push(i % 3 === 2 ? map.withLock(['j', 'k'], (view) => void view.set('j', view.get('j')! + 1)) : map.update('k', (n) => n! + 1));
    }
    hold.open();
    await withinWatchdog('6,000 queued sections', Promise.all([holder, ...waiters]), 8000);
    expect(Object.fromEntries(map)).toEqual({ k: 4000, j: 2000 });
  });

  // random multi-key scopes in random orders, whole-map sections and readers, from many tasks:
  // every section runs (no deadlock), conflicting sections never overlap, no write is lost
  it('never deadlocks or overlaps under random multi-key, whole-map and reader sections', async () => {
    const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    type Plan = { scope: string | string[] | null; write: boolean };
    const planArb: fc.Arbitrary<Plan> = fc.record({
      scope: fc.oneof(
        { weight: 8, arbitrary: fc.shuffledSubarray(keys, { minLength: 1, maxLength: 5 }) },
        { weight: 3, arbitrary: fc.constantFrom(...keys) },
        { weight: 1, arbitrary: fc.constant(null) },
      ),
      write: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(planArb, { minLength: 60, maxLength: 150 }), fc.integer(), async (plans, seed) => {
        const pause = randomPauses(seededRandom(seed));
        const map = kind.create<string, number>();
        const occupancy = new Occupancy<string>();
        const sections = plans.map(async ({ scope, write }, i) => {
          await pause();
          const scopeKeys = scope === null ? null : typeof scope === 'string' ? [scope] : scope;
          const body = async (view: { get(key: string): number | undefined; set?(key: string, value: number): unknown }) => {
            const leave = occupancy.enter(scopeKeys, write, `section ${i}`);
            const touched = scopeKeys ?? keys;
            const before = touched.map((k) => view.get(k) ?? 0);
            await pause();
            if (write) for (const [j, k] of touched.entries()) view.set!(k, before[j]! + 1);
            else expect(touched.map((k) => view.get(k) ?? 0)).toEqual(before); // readers see no change
            await pause();
            leave();
          };
          return write ? map.withLock(scope, body) : map.withReadLock(scope, body);
        });
        await withinWatchdog(`${plans.length} random sections`, Promise.all(sections), 3000);
        expect(occupancy.violations).toEqual([]);
        const writes = plans.filter((plan) => plan.write);
        const expected = tally(writes.flatMap(({ scope }) => (scope === null ? keys : typeof scope === 'string' ? [scope] : scope)));
        expect(countsOf(map)).toEqual(expected);
      }),
      // endOnFailure: shrinking a deadlock would wait out the watchdog on every attempt
      { numRuns: 8, endOnFailure: true },
    );
  });

  // null waits for the running key section, then holds every key off until it ends
  it('a whole-map section waits for key sections and excludes all of them while it runs', async () => {
    const keys = Array.from({ length: 16 }, (_, i) => `k${i}`);
    const map = kind.create<string, number>(keys.map((k) => [k, 0]));
    const log: string[] = [];
    const holdKey = gate();
    const keySection = map.withLock('k0', async () => {
      log.push('k0 in');
      await holdKey.promise;
      log.push('k0 out');
    });
    const holdWhole = gate();
    const whole = map.withLock(null, async (view) => {
      log.push('whole in');
      await holdWhole.promise;
      for (const key of view.keys()) view.set(key, view.get(key)! + 100);
      log.push('whole out');
    });
    await settle();
    expect(log).toEqual(['k0 in']);
    holdKey.open();
    await keySection;
    await settle();
    expect(log).toEqual(['k0 in', 'k0 out', 'whole in']);

    const later = keys.map((key) => track(map.update(key, (n) => n! + 1)));
    await settle();
    expect(later.map((t) => t.state)).toEqual(keys.map(() => 'pending'));
    holdWhole.open();
    await whole;
    await Promise.all(later.map((t) => t.promise));
    expect(new Set(map.values())).toEqual(new Set([101]));
  });

  // an array scope is a list of keys: a key that is itself an array is locked by wrapping it
  it('locks a key that is an array when it is wrapped in an array: withLock([arrayKey])', async () => {
    const pair = ['a', 'b'];
    const map = kind.create<unknown, number>([[pair, 1], ['a', 10], ['b', 20]]);
    const hold = gate();
    const section = map.withLock([pair], async (view) => {
      await hold.promise;
      view.set(pair, view.get(pair)! + 1);
    });
    await settle();
    expectConcurrentMapWrites(() => map.set(pair, 0));
    map.set('a', 11); // the elements are not locked
    await expect(map.withLock(pair, (view) => view.get('b'))).resolves.toBe(20); // unwrapped: the keys 'a' and 'b'
    hold.open();
    await section;
    expect(map.get(pair)).toBe(2);
  });

  // a whole-map view reads, iterates, writes and clears every entry
  it('gives a whole-map section a view over every entry', async () => {
    const map = kind.create([['a', 1], ['b', 2], ['c', 3]]);
    await map.withLock(null, (view) => {
      expect(view.size).toBe(3);
      expect(new Map(view.entries())).toEqual(new Map([['a', 1], ['b', 2], ['c', 3]]));
      expect(new Set(view.keys())).toEqual(new Set(['a', 'b', 'c']));
      expect([...view.values()].sort()).toEqual([1, 2, 3]);
      const seen: string[] = [];
      view.forEach((_, key) => seen.push(key));
      expect(seen.sort()).toEqual(['a', 'b', 'c']);
      view.clear();
      view.set('z', 26);
    });
    expect([...map]).toEqual([['z', 26]]);
  });
}

// ---- withReadLock -------------------------------------------------------------------------------

function describeReadSections(kind: GuardedMapKind): void {
  // five readers of one key are inside at the same time (each waits for all five to arrive)
  it('lets readers of a key in together', async () => {
    const map = kind.create([['k', 1]]);
    const occupancy = new Occupancy<string>();
    const allInside = gate();
    let inside = 0;
    const readers = Array.from({ length: 5 }, (_, i) =>
      map.withReadLock('k', async (view) => {
        const leave = occupancy.enter(['k'], false, `reader ${i}`);
        if (++inside === 5) allInside.open();
        await allInside.promise;
        leave();
        return view.get('k');
      }),
    );
    expect(await withinWatchdog('five readers that wait for each other', Promise.all(readers), 2000)).toEqual([1, 1, 1, 1, 1]);
    expect(occupancy.peakReadersOf('k')).toBe(5);
    expect(occupancy.violations).toEqual([]);
  });

  // a writer waits for the readers inside; a reader that comes after the writer waits for it
  it('makes writers wait for readers, and later readers wait for a waiting writer (FIFO)', async () => {
    const map = kind.create([['k', 1]]);
    const log: string[] = [];
    const holdReader = gate();
    const first = map.withReadLock('k', async (view) => {
      log.push(`reader 1 sees ${view.get('k')}`);
      await holdReader.promise;
      log.push('reader 1 out');
    });
    const writer = map.update('k', (n) => {
      log.push('writer in');
      return n! + 1;
    });
    const second = map.withReadLock('k', (view) => void log.push(`reader 2 sees ${view.get('k')}`));
    await settle();
    expect(log).toEqual(['reader 1 sees 1']);
    holdReader.open();
    await Promise.all([first, writer, second]);
    expect(log).toEqual(['reader 1 sees 1', 'reader 1 out', 'writer in', 'reader 2 sees 2']);
  });

  // inside a read section the value does not change across awaits: writers wait, plain writes throw
  it('shows a reader one value across its awaits', async () => {
    const map = kind.create([['k', 1]]);
    const hold = gate();
    const reader = map.withReadLock('k', async (view) => {
      const seen = [view.get('k')];
      for (let i = 0; i < 3; i++) {
        await sleep(0);
        seen.push(view.get('k'));
      }
      await hold.promise;
      seen.push(view.get('k'));
      return seen;
    });
    await settle();
    const writer = track(map.update('k', (n) => n! + 1));
    expectConcurrentMapWrites(() => map.set('k', 99));
    await sleep(5);
    expect(writer.state).toBe('pending');
    hold.open();
    expect(await reader).toEqual([1, 1, 1, 1, 1]);
    await expect(writer.promise).resolves.toBe(2);
  });

  // a whole-map reader shares with key readers and excludes key writers
  it('lets a whole-map reader run with key readers but not with key writers', async () => {
    const map = kind.create([['a', 1], ['b', 2]]);
    const hold = gate();
    const wholeReader = map.withReadLock(null, async (view) => {
      await hold.promise;
      return [...view.entries()].length;
    });
    await settle();
    await expect(withinWatchdog('a key reader during a whole-map reader', map.withReadLock('a', (view) => view.get('a')), 2000)).resolves.toBe(1);
    const writer = track(map.update('b', (n) => n! + 1));
    await settle();
    expect(writer.state).toBe('pending');
    hold.open();
    await expect(wholeReader).resolves.toBe(2);
    await expect(writer.promise).resolves.toBe(3);
  });
}

// ---- committed values ---------------------------------------------------------------------------

function describeCommittedReads(kind: GuardedMapKind): void {
  // a section's writes through its view appear to plain reads when the section ends
  it('keeps a section\'s view writes from plain get until the section ends', async () => {
    const map = kind.create([['k', 1]]);
    const hold = gate();
    const section = map.withLock('k', async (view) => {
      view.set('k', 2);
      expect(view.get('k')).toBe(2); // the section reads its own write
      await hold.promise;
    });
    await settle();
    expect(map.get('k')).toBe(1);
    hold.open();
    await section;
    expect(map.get('k')).toBe(2);
  });

  // a snapshot taken in the middle of a two-key transfer sees the total intact
  it('takes snapshots that never show half of a multi-key section', async () => {
    const map = kind.create([['alice', 100], ['bob', 0]]);
    const midway = gate();
    const finish = gate();
    const transfer = map.withLock(['alice', 'bob'], async (view) => {
      view.set('alice', view.get('alice')! - 30);
      midway.open();
      await finish.promise;
      view.set('bob', view.get('bob')! + 30);
    });
    await midway.promise;
    const during = map.snapshot();
    expect(during.get('alice')! + during.get('bob')!).toBe(100);
    finish.open();
    await transfer;
    expect(map.snapshot()).toEqual(new Map([['alice', 70], ['bob', 30]]));
  });
}

// ---- misuse -------------------------------------------------------------------------------------

/** A section holding `key` (or the whole map) until its gate opens. */
interface Holder {
  name: string;
  key: string;
  whole?: boolean;
  hold(map: GuardedMap<string, number>, until: Gate): Promise<unknown>;
}

const holders: Holder[] = [
  { name: 'update', key: 'k', hold: (map, until) => map.update('k', async (old) => (await until.promise, old)) },
  { name: 'withLock(k)', key: 'k', hold: (map, until) => map.withLock('k', () => until.promise) },
  { name: 'withLock([k, j])', key: 'k', hold: (map, until) => map.withLock(['j', 'k'], () => until.promise) },
  { name: 'withReadLock(k)', key: 'k', hold: (map, until) => map.withReadLock('k', () => until.promise) },
  { name: 'getOrCompute in flight', key: 'absent', hold: (map, until) => map.getOrCompute('absent', async () => (await until.promise, 7)) },
  {
    name: 'lock(k) handle',
    key: 'k',
    hold: async (map, until) => {
      const handle = await map.lock('k');
      await until.promise;
      handle.release();
    },
  },
  { name: 'withLock(null)', key: 'k', whole: true, hold: (map, until) => map.withLock(null, () => until.promise) },
  { name: 'withReadLock(null)', key: 'k', whole: true, hold: (map, until) => map.withReadLock(null, () => until.promise) },
];

/** A lock request made from inside a section of the same map. */
const reentrantCalls: [string, (map: GuardedMap<string, number>) => Promise<unknown>][] = [
  ['update of the same key', (map) => map.update('k', (n) => n)],
  ['update of another key', (map) => map.update('other', () => 1)],
  ['withLock of the same key', (map) => map.withLock('k', () => 0)],
  ['withLock of several keys', (map) => map.withLock(['other', 'k'], () => 0)],
  ['withLock(null)', (map) => map.withLock(null, () => 0)],
  ['withReadLock', (map) => map.withReadLock('k', () => 0)],
  ['getOrCompute of an absent key', (map) => map.getOrCompute('absent', () => 1)],
  ['compareAndSet', (map) => map.compareAndSet('k', 1, 2)],
  ['getAndDelete', (map) => map.getAndDelete('other')],
  ['lock()', (map) => map.lock('other')],
  ['readLock()', (map) => map.readLock('other')],
];

/** Sections of every kind, each running `body` inside. */
const outerSections: [string, (map: GuardedMap<string, number>, body: () => Promise<void>) => Promise<unknown>][] = [
  ['withLock(k)', (map, body) => map.withLock('k', body)],
  ['withLock(null)', (map, body) => map.withLock(null, body)],
  ['withReadLock(k)', (map, body) => map.withReadLock('k', body)],
  ['update(k)', (map, body) => map.update('k', async (n) => (await body(), n))],
  ['getOrCompute fn', (map, body) => map.getOrCompute('computed', async () => (await body(), 0))],
  // lock handles: the task that binds one with `using` (or reads its view) holds it
  [
    'an `await using` lock(k) block',
    async (map, body) => {
      await using lock = await map.lock('k');
      await body();
      lock.view.set('k', 1);
    },
  ],
  [
    'a `using` readLock(null) block',
    async (map, body) => {
      using lock = await map.readLock(null);
      expect(lock.view.size).toBe(2);
      await body();
    },
  ],
  [
    'a lock([k, other]) handle used through its view',
    async (map, body) => {
      const lock = await map.lock(['k', 'other']);
      try {
        lock.view.get('other');
        await body();
      } finally {
        lock.release();
      }
    },
  ],
];

function describeMisuse(kind: GuardedMapKind): void {
  // a plain write to a held key would be overwritten at commit: it throws Go's text and changes nothing
  it.each(holders)('set, delete and clear throw "concurrent map writes" during $name', async (holder) => {
    const map = kind.create([['k', 1], ['j', 2], ['free', 3]]);
    const until = gate();
    const section = holder.hold(map, until);
    await settle();
    const before = [...map.snapshot()];
    expectConcurrentMapWrites(() => map.set(holder.key, 99));
    expectConcurrentMapWrites(() => map.delete(holder.key));
    expectConcurrentMapWrites(() => map.clear());
    expect(map.get(holder.key)).toBe(before.find(([k]) => k === holder.key)?.[1]);
    expect([...map.snapshot()].sort()).toEqual(before.sort());
    if (holder.whole) expectConcurrentMapWrites(() => map.set('free', 30));
    else expect(map.set('free', 30).get('free')).toBe(30); // keys nobody holds stay writable
    until.open();
    await section;
    map.set(holder.key, 5).delete(holder.key);
    map.clear();
    expect(map.size).toBe(0);
  });

  // the error names what it can: the key at fault
  it('reports the key on the ConcurrentMapError', async () => {
    const map = kind.create([['user:1', 1]]);
    const until = gate();
    const section = map.withLock('user:1', () => until.promise);
    await settle();
    let thrown: unknown;
    try {
      map.set('user:1', 2);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ key: 'user:1' });
    until.open();
    await section;
  });

  // inside its own section a task writes through the view: the error keeps Go's text and its cause
  // names the map and the key and says so
  it('a plain write inside the task\'s own section: Go\'s text, and a cause that says to write through the view', async () => {
    const map = kind.create([['user:1', 1], ['user:2', 2]]);
    const own = (op: string, call: string) =>
      `${kind.toStringTag}: a plain ${op}() of key 'user:1' inside a section of this task (withLock, update, getOrCompute, ` +
      `or a lock() handle) that holds that key, whose writes are committed when it ends and would overwrite this one; ` +
      `write through the section's view: ${call}`;
    const causes: string[] = [];
    await map.withLock('user:1', async (view) => {
      await settle();
      causes.push(causeOf(expectConcurrentMapWrites(() => map.set('user:1', 10))));
      causes.push(causeOf(expectConcurrentMapWrites(() => map.delete('user:1'))));
      view.set('user:1', 3);
    });
    await map.update('user:1', (old) => {
      causes.push(causeOf(expectConcurrentMapWrites(() => map.set('user:1', 10))));
      return (old ?? 0) + 1;
    });
    {
      await using lock = await map.lock(['user:1', 'user:2']);
      lock.view.set('user:2', lock.view.get('user:2')! + 1);
      causes.push(causeOf(expectConcurrentMapWrites(() => map.set('user:1', 10))));
    }
    expect(causes).toEqual([
      own('set', 'view.set(key, value)'),
      own('delete', 'view.delete(key)'),
      own('set', 'view.set(key, value)'),
      own('set', 'view.set(key, value)'),
    ]);
    // the refused writes changed nothing; the sections' own writes were committed
    expect(countsOf(map.snapshot())).toEqual({ 'user:1': 4, 'user:2': 3 });
  });

  it('a plain clear() inside the task\'s own section points to a whole-map section\'s view', async () => {
    const map = kind.create([['user:1', 1]]);
    const error = await map.withLock(null, () => expectConcurrentMapWrites(() => map.clear()));
    expect(causeOf(error)).toBe(
      `${kind.toStringTag}: a plain clear() inside a section of this task (withLock, update, getOrCompute, or a lock() handle) ` +
        "that holds keys of the map, whose writes are committed when it ends and would overwrite this one; write through the " +
        "section's view: view.clear() (a whole-map section's: withLock(null, fn))",
    );
    expect(error.key).toBeUndefined();
  });

  it('a plain write under the task\'s own read lock says a read lock\'s view cannot write', async () => {
    const map = kind.create([['user:1', 1]]);
    const error = await map.withReadLock('user:1', () => expectConcurrentMapWrites(() => map.set('user:1', 2)));
    expect(causeOf(error)).toBe(
      `${kind.toStringTag}: a plain set() of key 'user:1' while this task holds a read lock on it (withReadLock or readLock()), ` +
        "which readers rely on being stable; a read lock's view cannot write: take the key with withLock or lock() instead " +
        "and write through the section's view: view.set(key, value)",
    );
    expect(map.get('user:1')).toBe(1);
  });

  it('a plain write while another task\'s section holds the key says to wait for the key', async () => {
    const map = kind.create([['user:1', 1]]);
    const until = gate();
    const section = map.withLock('user:1', () => until.promise);
    await settle();
    const other = `${kind.toStringTag}: a plain set() of key 'user:1' while a section holds key 'user:1' for another task ` +
      '(withLock, update, getOrCompute, or a lock() handle), whose writes are committed when it ends and would overwrite ' +
      "this one; wait for the key instead: await map.update(key, () => value), or write through a section's view: view.set(key, value)";
    expect(causeOf(expectConcurrentMapWrites(() => map.set('user:1', 2)))).toBe(other);
    expect(causeOf(expectConcurrentMapWrites(() => map.delete('user:1')))).toContain('await map.getAndDelete(key)');
    expect(causeOf(expectConcurrentMapWrites(() => map.clear()))).toContain('await map.withLock(null, (view) => view.clear())');
    until.open();
    await section;
  });

  // a lock asked for from inside a section of the same map rejects at once instead of waiting for itself
  it.each(outerSections)('refuses re-entry from inside %s with ERR_LOCK_REENTRY, promptly', async (_, outer) => {
    const map = kind.create([['k', 1], ['other', 2]]);
    const codes: Record<string, unknown> = {};
    await withinWatchdog(
      'a section making re-entrant calls',
      outer(map, async () => {
        for (const [name, call] of reentrantCalls) {
          const error = await withinWatchdog(`re-entrant ${name}`, rejectionOf(call(map)), 1000);
          codes[name] = error instanceof SafeMapError ? error.code : error;
        }
      }),
      4000,
    );
    expect(codes).toEqual(Object.fromEntries(reentrantCalls.map(([name]) => [name, 'ERR_LOCK_REENTRY'])));
    // the outer section ended normally and released everything
    await expect(withinWatchdog('update after the re-entrant section', map.update('k', () => 3), 1000)).resolves.toBe(3);
  });

  // tasks started inside a section belong to it: they are refused too, rather than deadlocking
  it('refuses re-entry from tasks the section starts (Promise.all, timers)', async () => {
    const map = kind.create([['k', 1]]);
    const outcomes = await withinWatchdog(
      'a section starting re-entrant tasks',
      map.withLock('k', () =>
        Promise.allSettled([
          map.update('x', () => 1),
          new Promise((resolve, reject) => setTimeout(() => map.withLock('y', () => 0).then(resolve, reject), 0)),
        ]),
      ),
    );
    expect(outcomes.map((o) => (o.status === 'rejected' ? (o.reason as SafeMapError).code : o.status))).toEqual([
      'ERR_LOCK_REENTRY',
      'ERR_LOCK_REENTRY',
    ]);
  });

  // another map is not re-entry: sections of different maps nest
  it('lets a section of one map lock another map', async () => {
    const accounts = kind.create([['a', 1]]);
    const audit = kind.create<string, number>();
    await expect(
      withinWatchdog('nested sections of two maps', accounts.withLock('a', async (view) => audit.update('a', () => view.get('a')! * 10))),
    ).resolves.toBe(10);
    expect(audit.get('a')).toBe(10);
  });

  // a continuation that outlives its section no longer counts as inside it
  it('lets work scheduled inside a section take the lock once the section has ended', async () => {
    const map = kind.create([['k', 1]]);
    let later!: Promise<number | undefined>;
    await map.withLock('k', () => {
      later = sleep(2).then(() => map.update('k', (n) => n! + 1));
    });
    await expect(withinWatchdog('update from a continuation of an ended section', later, 2000)).resolves.toBe(2);
  });

  // the view only reaches the keys in scope
  it('rejects view access to keys outside the scope with ERR_KEY_NOT_LOCKED', async () => {
    const map = kind.create([['a', 1], ['b', 2]]);
    const attempts: [string, (view: { get(k: string): unknown; has(k: string): unknown; set(k: string, v: number): unknown; delete(k: string): unknown; readonly size: number }) => unknown][] = [
      ['get', (view) => view.get('b')],
      ['has', (view) => view.has('b')],
      ['set', (view) => view.set('b', 20)],
      ['delete', (view) => view.delete('b')],
      ['size (whole-map only)', (view) => view.size],
    ];
    for (const [name, attempt] of attempts) {
      await map.withLock('a', (view) => expectSafeMapErrorSync(() => attempt(view), 'ERR_KEY_NOT_LOCKED')).catch((error: unknown) => {
        throw new Error(`view.${name}: ${String(error)}`);
      });
    }
    await map.withLock(['a'], (view) => expectSafeMapErrorSync(() => view.get('b'), 'ERR_KEY_NOT_LOCKED'));
    await map.withReadLock('a', (view) => expectSafeMapErrorSync(() => view.has('b'), 'ERR_KEY_NOT_LOCKED'));
    // a section whose fn lets the error escape rejects with it and releases its lock
    await expectSafeMapError(map.withLock('a', (view) => view.get('b')), 'ERR_KEY_NOT_LOCKED');
    expect([...map.snapshot()].sort()).toEqual([['a', 1], ['b', 2]]);
    map.set('a', 3);
  });

  // a view kept after its section ended is dead, even when another section now holds the key
  it('rejects view use after the section ended with ERR_LOCK_RELEASED', async () => {
    const map = kind.create([['k', 1]]);
    let escaped!: { get(k: string): unknown; set(k: string, v: number): unknown };
    await map.withLock('k', (view) => void (escaped = view));
    expectSafeMapErrorSync(() => escaped.get('k'), 'ERR_LOCK_RELEASED');
    expectSafeMapErrorSync(() => escaped.set('k', 2), 'ERR_LOCK_RELEASED');

    let escapedReader!: { get(k: string): unknown };
    await map.withReadLock('k', (view) => void (escapedReader = view));
    expectSafeMapErrorSync(() => escapedReader.get('k'), 'ERR_LOCK_RELEASED');

    const until = gate();
    const current = map.withLock('k', () => until.promise);
    await settle();
    expectSafeMapErrorSync(() => escaped.set('k', 3), 'ERR_LOCK_RELEASED');
    until.open();
    await current;
    expect(map.get('k')).toBe(1);

    // a timer set inside the section that fires after it
    const late = await new Promise<unknown>((resolve) => {
      void map.withLock('k', (view) => {
        setTimeout(() => {
          try {
            view.get('k');
            resolve('no error');
          } catch (error) {
            resolve(error);
          }
        }, 1);
      });
    });
    expect(late).toMatchObject({ code: 'ERR_LOCK_RELEASED' });
  });
}

// ---- signal and timeout -------------------------------------------------------------------------

/** Every lock-taking method, waiting with `options` for 'k' (or, for getOrCompute, the absent key 'absent'). */
const boundedCalls: [string, (map: GuardedMap<string, number>, options: { timeout?: number; signal?: AbortSignal }) => Promise<unknown>][] = [
  ['update', (map, options) => map.update('k', () => 1, options)],
  ['withLock', (map, options) => map.withLock('k', () => 0, options)],
  ['withLock of several keys', (map, options) => map.withLock(['a', 'k'], () => 0, options)],
  ['withReadLock', (map, options) => map.withReadLock('k', () => 0, options)],
  ['lock', (map, options) => map.lock('k', options)],
  ['readLock', (map, options) => map.readLock('k', options)],
  ['compareAndSet', (map, options) => map.compareAndSet('k', 1, 2, options)],
  ['getAndDelete', (map, options) => map.getAndDelete('k', options)],
  ['getOrCompute of an absent key', (map, options) => map.getOrCompute('absent', () => 1, options)],
];

function describeWaitBounds(kind: GuardedMapKind): void {
  // a waiter's timeout ends its wait only: the holder keeps its lock and commits after the waiter gave up
  it('times out a waiter with ERR_LOCK_TIMEOUT while the holder keeps the lock and commits later', async () => {
    const map = kind.create([['k', 1]]);
    const hold = gate();
    const holder = map.withLock('k', async (view) => {
      await hold.promise;
      view.set('k', 100);
    });
    let waiterRan = false;
    const error = await expectSafeMapError(map.update('k', () => ((waiterRan = true), 2), { timeout: 5 }), 'ERR_LOCK_TIMEOUT');
    expect(error.message).toMatch(/timed out/u);
    expectConcurrentMapWrites(() => map.set('k', 3)); // still held
    expect(map.get('k')).toBe(1);
    hold.open();
    await holder;
    expect(map.get('k')).toBe(100);
    expect(waiterRan).toBe(false);
  });

  // every lock-taking method honours timeout and signal
  it.each(boundedCalls)('%s rejects with ERR_LOCK_TIMEOUT and ERR_LOCK_ABORTED while its key is held', async (_, call) => {
    const map = kind.create([['k', 1], ['a', 0]]);
    const hold = gate();
    const holder = map.withLock(['k', 'absent'], () => hold.promise);
    await settle();
    await expectSafeMapError(call(map, { timeout: 2 }), 'ERR_LOCK_TIMEOUT');
    const controller = new AbortController();
    const aborted = call(map, { signal: controller.signal });
    await settle();
    const reason = new Error('user navigated away');
    controller.abort(reason);
    const error = await expectSafeMapError(aborted, 'ERR_LOCK_ABORTED');
    expect(error.cause).toBe(reason);
    hold.open();
    await holder;
    // nothing of the abandoned waits remains: the keys are free
    await expect(withinWatchdog('update after abandoned waits', map.update('a', () => 5), 1000)).resolves.toBe(5);
  });

  // abort without a reason: cause is the signal's own reason (an AbortError)
  it('uses signal.reason as the cause when abort() is called without a reason', async () => {
    const map = kind.create([['k', 1]]);
    const hold = gate();
    const holder = map.withLock('k', () => hold.promise);
    const controller = new AbortController();
    const waiting = map.update('k', () => 2, { signal: controller.signal });
    await settle();
    controller.abort();
    const error = await expectSafeMapError(waiting, 'ERR_LOCK_ABORTED');
    expect(error.cause).toBe(controller.signal.reason);
    expect(error.cause).toMatchObject({ name: 'AbortError' });
    hold.open();
    await holder;
  });

  // an already-aborted signal rejects without waiting, even when the lock is free, and takes nothing
  it('rejects at once on an already-aborted signal, free lock or not', async () => {
    const map = kind.create([['k', 1]]);
    const reason = new Error('too late');
    const signal = AbortSignal.abort(reason);
    let ran = false;
    const error = await expectSafeMapError(map.withLock('k', () => void (ran = true), { signal }), 'ERR_LOCK_ABORTED');
    expect(error.cause).toBe(reason);
    await expectSafeMapError(map.update('k', () => 2, { signal }), 'ERR_LOCK_ABORTED');
    await expectSafeMapError(map.lock('k', { signal }), 'ERR_LOCK_ABORTED');
    expect(ran).toBe(false);
    map.set('k', 5); // no lock was taken

    const hold = gate();
    const holder = map.withLock('k', () => hold.promise);
    await settle();
    const waiting = track(map.update('k', () => 2, { signal }));
    await settle();
    expect(waiting.state).toBe('rejected');
    hold.open();
    await holder;
  });

  // waiters that give up leave the queue; the rest are served in the order they came
  it('serves the remaining waiters in FIFO order after some gave up', async () => {
    const map = kind.create([['k', 0]]);
    const hold = gate();
    const holder = map.withLock('k', () => hold.promise);
    const order: string[] = [];
    const controller = new AbortController();
    const waiters = [
      map.update('k', (n) => (order.push('w1'), n! + 1)),
      map.update('k', (n) => (order.push('w2 (times out)'), n! + 1), { timeout: 2 }),
      map.update('k', (n) => (order.push('w3'), n! + 1)),
      map.update('k', (n) => (order.push('w4 (aborted)'), n! + 1), { signal: controller.signal }),
      map.update('k', (n) => (order.push('w5'), n! + 1), { timeout: 60_000 }),
    ].map(track);
    await sleep(10);
    controller.abort();
    await settle();
    expect(waiters.map((w) => w.state)).toEqual(['pending', 'rejected', 'pending', 'rejected', 'pending']);
    hold.open();
    await holder;
    await withinWatchdog('the waiters left in the queue', Promise.allSettled(waiters.map((w) => w.promise)), 2000);
    expect(order).toEqual(['w1', 'w3', 'w5']);
    expect(map.get('k')).toBe(3);
  });

  // a writer that gives up no longer holds back the readers queued behind it
  it('lets readers queued behind a writer that gave up join the readers inside', async () => {
    const map = kind.create([['k', 1]]);
    const hold = gate();
    const reader = map.withReadLock('k', () => hold.promise);
    await settle();
    const writer = map.update('k', (n) => n! + 1, { timeout: 5 });
    await settle();
    const second = track(map.withReadLock('k', (view) => view.get('k')));
    await settle();
    expect(second.state).toBe('pending'); // FIFO: behind the writer
    await expectSafeMapError(writer, 'ERR_LOCK_TIMEOUT');
    await settle();
    expect(second.state).toBe('fulfilled'); // while the first reader is still inside
    expect(second.value).toBe(1);
    hold.open();
    await reader;
  });

  // a multi-key waiter that gives up releases the keys it had already taken
  it('releases the keys a multi-key waiter already holds when it gives up', async () => {
    const map = kind.create([['a', 0], ['z', 0]]);
    const hold = gate();
    const holder = map.withLock('z', () => hold.promise);
    await settle();
    // 'a' is free and 'z' held, so the waiter may take 'a' before waiting for 'z'
    await expectSafeMapError(map.withLock(['z', 'a'], () => 0, { timeout: 5 }), 'ERR_LOCK_TIMEOUT');
    map.set('a', 1); // a plain write would throw if 'a' were still held
    await expect(withinWatchdog('update of a key the abandoned waiter had taken', map.update('a', (n) => n! + 1), 1000)).resolves.toBe(2);
    hold.open();
    await holder;
  });

  // setTimeout cannot wait longer than 2^31 - 1 ms (it would fire after 1 ms): such a timeout is refused
  it.each(boundedCalls)('%s refuses a timeout above 2147483647 ms and honours 2147483647', async (_, call) => {
    const map = kind.create([['k', 1], ['a', 0]]);
    for (const timeout of [2 ** 31, 2 ** 40, Number.MAX_SAFE_INTEGER]) {
      const error = await rejectionOf(call(map, { timeout }));
      expect(error).toBeInstanceOf(TypeError);
      expect(String(error)).toMatch(/'timeout' must be at most 2147483647/u);
    }
    const hold = gate();
    const holder = map.withLock(['k', 'absent'], () => hold.promise);
    await settle();
    const waiter = track(call(map, { timeout: 2 ** 31 - 1 }));
    await sleep(20);
    expect(waiter.state).toBe('pending'); // an overflowing timer would have fired by now
    hold.open();
    await holder;
    await withinWatchdog('a waiter with the longest timeout', waiter.promise, 1000);
    if (waiter.value !== null && typeof waiter.value === 'object' && 'release' in waiter.value) (waiter.value as { release(): void }).release();
  });

  // timeout bounds only a wait: a free lock is taken even with timeout 0
  it('takes a free lock with timeout 0', async () => {
    const map = kind.create([['k', 1]]);
    await expect(map.update('k', (n) => n! + 1, { timeout: 0 })).resolves.toBe(2);
  });

  // a getOrCompute caller with a timeout stops waiting for the flight; the flight goes on for the others
  it('lets a getOrCompute joiner time out without disturbing the flight', async () => {
    const map = kind.create<string, string>();
    const release = gate();
    let runs = 0;
    const leader = map.getOrCompute('k', async () => (runs++, await release.promise, 'value'));
    await settle();
    await expectSafeMapError(map.getOrCompute('k', () => 'other', { timeout: 2 }), 'ERR_LOCK_TIMEOUT');
    release.open();
    await expect(leader).resolves.toBe('value');
    expect(runs).toBe(1);
  });

  // the first caller's timeout bounds its own wait, not that of callers who joined its flight
  it('does not fail getOrCompute callers without a timeout when the first caller times out', async () => {
    const map = kind.create<string, string>();
    const hold = gate();
    const writer = map.withLock('k', () => hold.promise); // holds k without writing it
    await settle();
    const impatient = map.getOrCompute('k', () => 'computed', { timeout: 5 });
    const patient = track(map.getOrCompute('k', () => 'computed'));
    await expectSafeMapError(impatient, 'ERR_LOCK_TIMEOUT');
    await settle();
    expect(patient.state).toBe('pending');
    hold.open();
    await writer;
    await expect(patient.promise).resolves.toBe('computed');
  });
}

// ---- lock handles -------------------------------------------------------------------------------

function describeLockHandles(kind: GuardedMapKind): void {
  // `await using` releases the lock at the end of the block; other tasks wait for it meanwhile
  it('releases an `await using` lock at the end of the block', async () => {
    const map = kind.create([['k', 1]]);
    const inside = gate();
    const leave = gate();
    const holder = (async () => {
      await using lock = await map.lock('k');
      lock.view.set('k', lock.view.get('k')! + 1);
      expectConcurrentMapWrites(() => map.set('k', 0));
      inside.open();
      await leave.promise;
    })();
    await inside.promise;
    const waiter = track(map.update('k', (n) => n! + 1)); // another task: it waits
    await settle();
    expect(waiter.state).toBe('pending');
    leave.open();
    await holder;
    await expect(withinWatchdog('the waiter behind an `await using` block', waiter.promise, 1000)).resolves.toBe(3);
    map.set('k', 10);
  });

  // `await using` releases the lock when the block throws, and commits what the view wrote
  it('releases an `await using` lock when the block throws, committing the view\'s writes unless discard() was called', async () => {
    const map = kind.create([['k', 1], ['j', 1]]);
    const boom = new Error('inside the block');
    let view!: { get(k: string): unknown };
    const failing = async () => {
      await using lock = await map.lock(['k']);
      view = lock.view;
      lock.view.set('k', 2);
      throw boom;
    };
    expect(await rejectionOf(failing())).toBe(boom);
    expectSafeMapErrorSync(() => view.get('k'), 'ERR_LOCK_RELEASED');
    expect(map.get('k')).toBe(2); // a disposer cannot tell a throw: the write is committed
    const discarding = async () => {
      await using lock = await map.lock('j');
      try {
        lock.view.set('j', 2);
        throw boom;
      } catch (error) {
        lock.discard();
        throw error;
      }
    };
    expect(await rejectionOf(discarding())).toBe(boom);
    expect(map.get('j')).toBe(1);
    await expect(withinWatchdog('update after a thrown block', map.update('k', (n) => n! + 1), 1000)).resolves.toBe(3);
  });

  // plain `using` (Symbol.dispose) releases as well
  it('releases a `using` lock at the end of the block', async () => {
    const map = kind.create([['k', 1]]);
    {
      using lock = await map.lock('k');
      expect(lock.view.get('k')).toBe(1);
    }
    map.set('k', 2);
  });

  // release() twice does nothing the second time: it never releases the next holder's lock.
  // (This task never binds `first` with using nor reads its view, so the map does not know it
  // holds it, and its second request waits like anyone's instead of being refused.)
  it('makes release() idempotent', async () => {
    const map = kind.create([['k', 1]]);
    const first = await map.lock('k');
    const second = track(map.lock('k'));
    first.release();
    await settle();
    expect(second.state).toBe('fulfilled');
    first.release();
    await first[Symbol.asyncDispose]();
    first[Symbol.dispose]();
    expectConcurrentMapWrites(() => map.set('k', 2)); // still held by the second handle
    second.value!.release();
    map.set('k', 2);
  });

  // readLock handles share a key; a writer waits for every reader to release
  it('shares readLock handles between readers and makes writers wait for them', async () => {
    const map = kind.create([['k', 1]]);
    // each reader a task of its own, which reads through its handle's view
    const reader = async () => {
      const lock = await map.readLock('k');
      return { value: lock.view.get('k'), release: lock.release };
    };
    const first = await reader();
    const second = await withinWatchdog('a second reader', reader(), 1000);
    expect([first.value, second.value]).toEqual([1, 1]);
    const writer = track(map.update('k', (n) => n! + 1));
    first.release();
    await settle();
    expect(writer.state).toBe('pending');
    second.release();
    await expect(writer.promise).resolves.toBe(2);
  });

  // the hang of the audit: a handle holder asking again for its own key used to wait for itself
  it.each([
    ['update(k)', (map: GuardedMap<string, number>) => map.update('k', (n) => n)],
    ['lock(k)', (map: GuardedMap<string, number>) => map.lock('k')],
    ['readLock(k)', (map: GuardedMap<string, number>) => map.readLock('k')],
    ['withReadLock(k)', (map: GuardedMap<string, number>) => map.withReadLock('k', () => 0)],
  ])('refuses %s from the task holding an `await using` handle on k with ERR_LOCK_REENTRY, at once', async (_, call) => {
    const map = kind.create([['k', 1]]);
    const attempt = async () => {
      await using lock = await map.lock('k');
      const error = await rejectionOf(call(map)); // the `await using` declaration alone marks the holder
      lock.view.set('k', 2);
      return error;
    };
    const error = await withinWatchdog('a handle holder locking its own key again', attempt(), 1000);
    expect(error).toBeInstanceOf(SafeMapError);
    expect(error).toMatchObject({ code: 'ERR_LOCK_REENTRY', message: expect.stringMatching(/handle/u) });
    expect(map.get('k')).toBe(2); // the block ended normally and committed
    await expect(withinWatchdog('update after the block', map.update('k', (n) => n! + 1), 1000)).resolves.toBe(3);
  });

  // the same for a handle used without `using`, through its view, and for a handle that waited
  it('refuses re-entry from a handle used through its view, and from one granted after a wait', async () => {
    const map = kind.create([['k', 1]]);
    const viaView = async () => {
      const lock = await map.lock('k');
      try {
        lock.view.get('k');
        return await rejectionOf(map.update('k', (n) => n));
      } finally {
        lock.release();
      }
    };
    expect(await withinWatchdog('a view user locking its key again', viaView(), 1000)).toMatchObject({ code: 'ERR_LOCK_REENTRY' });

    const hold = gate();
    const holder = map.withLock('k', () => hold.promise);
    const afterWait = (async () => {
      await using lock = await map.lock('k');
      expect(lock).toBeDefined();
      return rejectionOf(map.lock('k'));
    })();
    await settle();
    hold.open();
    await holder;
    expect(await withinWatchdog('a waited-for handle locking its key again', afterWait, 1000)).toMatchObject({ code: 'ERR_LOCK_REENTRY' });
    map.set('k', 5);
  });

  // two tasks taking handles in opposite orders: each second request is refused, nothing hangs
  it('refuses the second handle of two tasks locking a and b in opposite orders instead of deadlocking', async () => {
    const map = kind.create([['a', 0], ['b', 0]]);
    const bothHold = gate();
    let holding = 0;
    const task = async (first: string, second: string) => {
      await using outer = await map.lock(first);
      outer.view.set(first, 1);
      if (++holding === 2) bothHold.open();
      await bothHold.promise;
      await using inner = await map.lock(second); // waits for the other task: a deadlock, if it waited
      inner.view.set(second, 2);
    };
    const outcomes = await withinWatchdog('two tasks locking in opposite orders', Promise.allSettled([task('a', 'b'), task('b', 'a')]), 2000);
    expect(outcomes.map((o) => (o.status === 'rejected' ? (o.reason as SafeMapError).code : o.status))).toEqual([
      'ERR_LOCK_REENTRY',
      'ERR_LOCK_REENTRY',
    ]);
    expect(Object.fromEntries(map)).toEqual({ a: 1, b: 1 }); // each outer block committed on the way out
    // multi-key scopes are the way to hold both: taken in one fixed order
    const both = await withinWatchdog(
      'two multi-key handles',
      Promise.all(
        [['a', 'b'], ['b', 'a']].map(async (keys) => {
          await using lock = await map.lock(keys);
          for (const key of keys) lock.view.set(key, lock.view.get(key)! + 1);
        }),
      ),
      1000,
    );
    expect(both).toHaveLength(2);
    expect(Object.fromEntries(map)).toEqual({ a: 3, b: 3 });
  });

  // a holder asking for another key behind a queued whole-map section would wait for that
  // section, which waits for the holder: refused instead
  it('refuses a handle holder\'s request for another key queued behind a withLock(null)', async () => {
    const map = kind.create([['a', 0], ['b', 0]]);
    const holding = gate();
    const proceed = gate();
    const holder = (async () => {
      await using lock = await map.lock('a');
      expect(lock).toBeDefined();
      holding.open();
      await proceed.promise;
      return rejectionOf(map.update('b', (n) => n! + 1));
    })();
    await holding.promise;
    const whole = track(map.withLock(null, (view) => void view.set('b', 10)));
    await settle();
    expect(whole.state).toBe('pending');
    proceed.open();
    expect(await withinWatchdog('a holder behind a queued whole-map section', holder, 1000)).toMatchObject({ code: 'ERR_LOCK_REENTRY' });
    await withinWatchdog('the whole-map section after the holder', whole.promise, 1000);
    expect(map.get('b')).toBe(10);
  });

  // ordinary use: many tasks, each taking a handle first thing, some on the same key, with
  // siblings that await first and then lock: nobody is refused, nothing is lost
  it('serves `await using` handles taken first thing by Promise.all tasks, siblings included, without refusing any', async () => {
    const map = kind.create<string, number>();
    const pause = randomPauses(seededRandom(5));
    const keys = ['a', 'b', 'c'];
    const tasks = Array.from({ length: 120 }, async (_, i) => {
      const key = keys[i % keys.length]!;
      if (i % 4 === 3) {
        // a sibling that awaits something else first, then uses a callback section
        await pause();
        return map.update(key, async (n) => (await pause(), (n ?? 0) + 1));
      }
      await using lock = await map.lock(key);
      const old = lock.view.get(key) ?? 0;
      await pause();
      lock.view.set(key, old + 1);
      return undefined;
    });
    await withinWatchdog('120 tasks with handles', Promise.all(tasks), 3000);
    expect(countsOf(map)).toEqual({ a: 40, b: 40, c: 40 });
    // the test's own context was never marked: it can lock every key
    await expect(withinWatchdog('the test locking after its tasks', map.withLock(keys, () => 'free'), 1000)).resolves.toBe('free');
  });

  // a task that takes and releases a handle again and again: each one ends with its block
  it('lets one task take handles one after another in a loop', async () => {
    const map = kind.create([['k', 0]]);
    for (let i = 0; i < 500; i++) {
      await using lock = await map.lock(i % 2 === 0 ? 'k' : ['k', 'j']);
      lock.view.set('k', lock.view.get('k')! + 1);
    }
    expect(map.get('k')).toBe(500);
    expect(currentHeldSections()).toBeLessThanOrEqual(2); // released sections do not pile up
    await expect(withinWatchdog('update after the loop', map.update('k', (n) => n! + 1), 1000)).resolves.toBe(501);
    const readers = [];
    for (let i = 0; i < 50; i++) {
      using lock = await map.readLock('k');
      readers.push(lock.view.get('k'));
    }
    expect(new Set(readers)).toEqual(new Set([501]));
  });

  // tasks started inside a handle's block belong to it, as with callback sections; work that
  // outlives the block takes the lock once the handle is released; another map is not re-entry
  it('refuses tasks started inside a handle\'s block, not work after it, nor another map', async () => {
    const map = kind.create([['k', 1]]);
    const other = kind.create<string, number>();
    const blockEnded = gate();
    let later!: Promise<number | undefined>;
    const outcomes = await withinWatchdog(
      'a handle block starting tasks',
      (async () => {
        await using lock = await map.lock('k');
        later = blockEnded.promise.then(() => map.update('k', (n) => n! + 1));
        const settled = await Promise.allSettled([
          map.update('x', () => 1),
          new Promise((resolve, reject) => setTimeout(() => map.withLock('y', () => 0).then(resolve, reject), 0)),
          other.update('x', () => lock.view.get('k')! * 10),
        ]);
        return settled.map((o) => (o.status === 'rejected' ? (o.reason as SafeMapError).code : o.value));
      })(),
    );
    expect(outcomes).toEqual(['ERR_LOCK_REENTRY', 'ERR_LOCK_REENTRY', 10]);
    blockEnded.open();
    await expect(withinWatchdog('work scheduled in the block, run after it', later, 1000)).resolves.toBe(2);
  });
}

// ---- compareAndSet, getAndDelete, snapshot ------------------------------------------------------

function describeConditionalOperations(kind: GuardedMapKind): void {
  // sets only when the current value is the expected one (SameValueZero)
  it('compareAndSet swaps only on a SameValueZero match', async () => {
    const record = { id: 1 };
    const map = kind.create<string, unknown>([['n', 1], ['nan', Number.NaN], ['zero', -0], ['obj', record]]);
    await expect(map.compareAndSet('n', 2, 3)).resolves.toBe(false);
    expect(map.get('n')).toBe(1);
    await expect(map.compareAndSet('n', 1, 3)).resolves.toBe(true);
    expect(map.get('n')).toBe(3);
    await expect(map.compareAndSet('nan', Number.NaN, 'was NaN')).resolves.toBe(true);
    await expect(map.compareAndSet('zero', 0, 'was zero')).resolves.toBe(true);
    await expect(map.compareAndSet('obj', { id: 1 }, 'equal shape')).resolves.toBe(false);
    await expect(map.compareAndSet('obj', record, 'same object')).resolves.toBe(true);
    expect(Object.fromEntries(map.snapshot())).toEqual({ n: 3, nan: 'was NaN', zero: 'was zero', obj: 'same object' });
  });

  // undefined as expected means absent; undefined as next deletes
  it('compareAndSet reads undefined as "absent" and deletes with next undefined', async () => {
    const map = kind.create<string, number>([['present', 1]]);
    await expect(map.compareAndSet('present', undefined, 2)).resolves.toBe(false);
    await expect(map.compareAndSet('absent', undefined, 2)).resolves.toBe(true);
    expect(map.get('absent')).toBe(2);
    await expect(map.compareAndSet('present', 1, undefined)).resolves.toBe(true);
    expect(map.has('present')).toBe(false);
    await expect(map.compareAndSet('missing', 5, 6)).resolves.toBe(false);
    expect(map.has('missing')).toBe(false);
  });

  // compareAndSet waits for a section on the key and compares with what it committed
  it('compareAndSet never cuts into a section', async () => {
    const map = kind.create([['k', 1]]);
    const hold = gate();
    const section = map.withLock('k', async (view) => {
      await hold.promise;
      view.set('k', 2);
    });
    const swap = track(map.compareAndSet('k', 1, 10));
    await settle();
    expect(swap.state).toBe('pending');
    hold.open();
    await section;
    await expect(swap.promise).resolves.toBe(false);
    expect(map.get('k')).toBe(2);
  });

  // removes and returns; of many concurrent takers exactly one gets the value
  it('getAndDelete hands the value to exactly one of many concurrent takers', async () => {
    const map = kind.create([['job', 'payload'], ['other', 'stays']]);
    const pause = randomPauses(seededRandom(3));
    const taken = await Promise.all(Array.from({ length: 20 }, async () => (await pause(), map.getAndDelete('job'))));
    expect(taken.filter((value) => value !== undefined)).toEqual(['payload']);
    expect(map.has('job')).toBe(false);
    await expect(map.getAndDelete('never')).resolves.toBeUndefined();
    expect([...map]).toEqual([['other', 'stays']]);
  });

  // getAndDelete waits for a section on the key and takes what it committed
  it('getAndDelete waits for a section on the key', async () => {
    const map = kind.create([['k', 1]]);
    const hold = gate();
    const section = map.update('k', async () => (await hold.promise, 2));
    const take = track(map.getAndDelete('k'));
    await settle();
    expect(take.state).toBe('pending');
    hold.open();
    await section;
    await expect(take.promise).resolves.toBe(2);
    expect(map.has('k')).toBe(false);
  });

  // with the key free, the swap and the take are done before the call returns: nothing is held
  // for a tick, so a plain write right after an un-awaited call is no concurrent write
  it('compareAndSet, getAndDelete and a synchronous update complete at once when the key is free', async () => {
    const map = kind.create([['k', 1], ['job', 2], ['n', 0]]);
    const swapped = map.compareAndSet('k', 1, 5);
    expect(map.get('k')).toBe(5);
    map.set('k', 6);
    const failed = map.compareAndSet('k', 1, 7);
    map.set('k', 8);
    const taken = map.getAndDelete('job');
    expect(map.has('job')).toBe(false);
    map.set('job', 3);
    const updated = map.update('n', (n) => n! + 1);
    expect(map.get('n')).toBe(1);
    map.set('n', 10);
    await expect(Promise.all([swapped, failed, taken, updated])).resolves.toEqual([true, false, 2, 1]);
    expect(Object.fromEntries(map)).toEqual({ k: 8, job: 3, n: 10 });
    // still rejected, not thrown, when the call fails at once
    const boom = new Error('sync');
    const thrown = map.update('n', () => {
      throw boom;
    });
    expect(await rejectionOf(thrown)).toBe(boom);
    map.set('n', 11); // released
  });

  // a snapshot is a plain Map with the entries, independent of the map from then on
  it('snapshot is an independent plain Map of the entries', () => {
    const map = kind.create([['a', 1], ['b', 2]]);
    const snapshot = map.snapshot();
    expect(snapshot).toBeInstanceOf(Map);
    expect(snapshot).toEqual(new Map([['a', 1], ['b', 2]]));
    snapshot.set('c', 3);
    snapshot.delete('a');
    expect(map.has('c')).toBe(false);
    expect(map.get('a')).toBe(1);
    map.set('a', 10);
    map.delete('b');
    expect(snapshot).toEqual(new Map([['b', 2], ['c', 3]]));
  });

  // what to send to another thread: structuredClone (postMessage's algorithm) of the map itself is no Map
  it('clones its snapshot, not itself, into a Map for another thread', () => {
    const map = kind.create([['a', 1], ['b', 2]]);
    expect(structuredClone(map.snapshot())).toEqual(new Map([['a', 1], ['b', 2]]));
    let clone: unknown;
    try {
      clone = structuredClone(map);
    } catch (error) {
      clone = error; // a GoMap store holds functions: DataCloneError
    }
    expect(clone).not.toBeInstanceOf(Map);
  });

  // a snapshot taken while sections run holds only committed values
  it('snapshot holds committed values while an update is running', async () => {
    const map = kind.create([['k', 1]]);
    const hold = gate();
    const section = map.update('k', async () => (await hold.promise, 2));
    await settle();
    expect(map.snapshot()).toEqual(new Map([['k', 1]]));
    hold.open();
    await section;
    expect(map.snapshot()).toEqual(new Map([['k', 2]]));
  });
}

// ---- bad input ----------------------------------------------------------------------------------

/** What a call's failure was: a TypeError's message, or a note that it did not fail as one. */
async function typeErrorOf(call: () => unknown): Promise<string> {
  let outcome: unknown;
  try {
    outcome = call();
  } catch (error) {
    return `threw synchronously: ${String(error)}`;
  }
  if (!(outcome instanceof Promise)) return `returned ${String(outcome)}`;
  const error = await withinWatchdog('a call with bad input', rejectionOf(outcome), 1000);
  return error instanceof TypeError ? error.message : `rejected with ${String(error)}`;
}

/** Options no lock-taking method accepts, and what the TypeError must say. */
const badLockOptions: [string, unknown, RegExp][] = [
  ['an unknown key', { bogus: 1 }, /unknown option 'bogus'/u],
  ['a misspelt key', { timeOut: 5 }, /unknown option 'timeOut'/u],
  ['a negative timeout', { timeout: -5 }, /'timeout' must be a finite number/u],
  ['a NaN timeout', { timeout: Number.NaN }, /'timeout' must be a finite number/u],
  ['an infinite timeout', { timeout: Number.POSITIVE_INFINITY }, /'timeout' must be a finite number/u],
  ['a string timeout', { timeout: '5' }, /'timeout' must be a finite number.*string/u],
  ['a timeout past setTimeout\'s limit', { timeout: 2 ** 31 }, /'timeout' must be at most 2147483647/u],
  ['a signal that is not an AbortSignal', { signal: { aborted: false } }, /'signal' must be an AbortSignal/u],
  ['a string signal', { signal: 'abort' }, /'signal' must be an AbortSignal/u],
  ['null options', null, /options must be a plain object/u],
  ['a number for options', 42, /options must be a plain object/u],
  ['an AbortSignal for options', new AbortController().signal, /options must be a plain object.*AbortSignal/u],
  ['a Date for options', new Date(0), /options must be a plain object.*Date/u],
];

function describeBadInput(kind: GuardedMapKind): void {
  const lockCalls: [string, (map: GuardedMap<string, number>, options: unknown) => Promise<unknown>][] = [
    ...(boundedCalls as [string, (map: GuardedMap<string, number>, options: unknown) => Promise<unknown>][]),
    // a present key resolves without a lock, and its options are checked all the same
    ['getOrCompute of a present key', (map, options) => map.getOrCompute('k', () => 1, options as never)],
  ];

  // every lock-taking method rejects bad options with a TypeError that names them, and takes nothing
  it.each(lockCalls)('%s rejects bad options with a TypeError naming the option', async (_, call) => {
    const map = kind.create([['k', 1], ['a', 0]]);
    for (const [what, options, message] of badLockOptions) {
      expect(await typeErrorOf(() => call(map, options)), what).toMatch(message);
    }
    map.set('k', 2).set('a', 2); // nothing is held
    expect(map.get('k')).toBe(2);
  });

  // fn must be a function: the call rejects (never throws) with a TypeError, present key or not
  it.each([
    ['update', (map: GuardedMap<string, number>, fn: unknown) => map.update('k', fn as never)],
    ['withLock', (map: GuardedMap<string, number>, fn: unknown) => map.withLock('k', fn as never)],
    ['withReadLock', (map: GuardedMap<string, number>, fn: unknown) => map.withReadLock(null, fn as never)],
    ['getOrCompute of an absent key', (map: GuardedMap<string, number>, fn: unknown) => map.getOrCompute('absent', fn as never)],
    ['getOrCompute of a present key', (map: GuardedMap<string, number>, fn: unknown) => map.getOrCompute('k', fn as never)],
  ])('%s rejects a fn that is not a function', async (_, call) => {
    const map = kind.create([['k', 1]]);
    for (const fn of [undefined, null, 42, 'n => n + 1', {}]) {
      expect(await typeErrorOf(() => call(map, fn)), String(fn)).toMatch(/fn must be a function/u);
    }
    map.set('k', 2);
  });

  // forEach checks its callback as Map's does, even when there is nothing to call it with
  it('throws a TypeError from forEach with a callback that is not a function, empty or not', () => {
    for (const entries of [[], [['k', 1]]] as [string, number][][]) {
      const map = kind.create(entries);
      for (const fn of [42, undefined, 'x']) expect(() => map.forEach(fn as never)).toThrow(TypeError);
    }
  });

  // the constructor takes what new Map takes, and fails where new Map fails
  it.each([
    ['a string (its characters are not entries)', ['ab'], /iterator value a is not an entry object/u],
    ['an array of non-entries', [[1, 2]], /iterator value 1 is not an entry object/u],
    ['an entry that is null', [[null]], /iterator value null is not an entry object/u],
    ['a number', [42], /number 42 is not iterable/u],
    ['a Date', [new Date(0)], /a Date is not iterable/u],
    ['a plain object with entries after it', [{ a: 1 }, {}], /an object is not iterable/u],
    ['an unknown option', [{ bogus: 1 }], /unknown option 'bogus'/u],
    ['an unknown option after the entries', [[], { bogus: 1 }], /unknown option 'bogus'/u],
    ['options that are not a plain object', [[], new Date(0)], /options must be a plain object, got a Date/u],
    ['null options after the entries', [[], null], /options must be a plain object, got null/u],
    ['a bad store', [{ store: 'redis' }], /option 'store' must be 'map' or 'go'/u],
    ['a bad name', [[], { name: 42 }], /option 'name' must be a string/u],
  ])('rejects %s with a TypeError, as new Map would', (_, args, message) => {
    let thrown: unknown;
    try {
      kind.construct(...args);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TypeError);
    expect((thrown as Error).message).toMatch(message);
  });

  it('fails exactly where new Map fails on the same first argument', () => {
    const firsts: unknown[] = ['ab', '', [1], [[1, 'one']], [], new Set([['a', 1]]), 42, true, new Date(0), Symbol('s'), () => {}];
    for (const first of firsts) {
      const native = outcomeOf(() => new Map(first as never));
      const ours = outcomeOf(() => kind.construct(first));
      expect(ours.failed, `new ${kind.toStringTag}(${String(first)})`).toBe(native.failed);
      if (!native.failed) expectSameEntries(ours.map!, native.map!, kind.insertionOrdered);
    }
  });
}

function outcomeOf(make: () => Iterable<readonly [unknown, unknown]>): { failed: boolean; map?: Map<unknown, unknown> } {
  try {
    return { failed: false, map: new Map(make()) };
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError);
    return { failed: true };
  }
}

// ---- async context ------------------------------------------------------------------------------

/**
 * A section's fn runs in the async context of the call that asked for it, whoever released the
 * lock: what an application keeps in an AsyncLocalStorage (a request id, a tracing span) is its
 * own inside its section. (async-lock runs a waiter's callback in the releasing task's context.)
 */
function describeAsyncContext(kind: GuardedMapKind): void {
  const request = new AsyncLocalStorage<string>();

  it('runs every waiter\'s fn in its own caller\'s AsyncLocalStorage context', async () => {
    const map = kind.create([['k', 0]]);
    const hold = gate();
    const seen: string[] = [];
    const holder = request.run('holder', () =>
      map.update('k', async (n) => {
        await hold.promise;
        seen.push(`holder fn: ${request.getStore()}`);
        return n! + 1;
      }),
    );
    const waiters = ['w1', 'w2', 'w3'].map((id) =>
      request.run(id, () =>
        map.update('k', async (n) => {
          seen.push(`${id} fn: ${request.getStore()}`);
          await Promise.resolve();
          seen.push(`${id} after await: ${request.getStore()}`);
          return n! + 1;
        }),
      ),
    );
    const section = request.run('section', () => map.withLock(['k'], (view) => (seen.push(`section fn: ${request.getStore()}`), view.get('k'))));
    const reader = request.run('reader', () => map.withReadLock(null, () => void seen.push(`reader fn: ${request.getStore()}`)));
    const handle = request.run('handle', async () => {
      await using lock = await map.lock('k');
      seen.push(`handle block: ${request.getStore()} sees ${lock.view.get('k')}`);
    });
    await settle();
    hold.open();
    await withinWatchdog('the queue on k', Promise.all([holder, ...waiters, section, reader, handle]));
    expect(seen).toEqual([
      'holder fn: holder',
      'w1 fn: w1',
      'w1 after await: w1',
      'w2 fn: w2',
      'w2 after await: w2',
      'w3 fn: w3',
      'w3 after await: w3',
      'section fn: section',
      'reader fn: reader',
      'handle block: handle sees 4',
    ]);
  });

  it('runs getOrCompute\'s fn in the context of the caller that started the flight', async () => {
    const map = kind.create<string, string>();
    const hold = gate();
    const writer = map.withLock('k', () => hold.promise); // the flight waits for the key
    const first = request.run('first caller', () => map.getOrCompute('k', () => `computed in ${request.getStore()}`));
    const second = request.run('second caller', () => map.getOrCompute('k', () => 'never'));
    await settle();
    hold.open();
    await writer;
    await expect(Promise.all([first, second])).resolves.toEqual(['computed in first caller', 'computed in first caller']);
  });
}
