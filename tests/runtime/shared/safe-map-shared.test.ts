// SafeMap.shared and ShardedMap.shared (lib/runtime/shared/safe-map-shared.ts) with real
// worker_threads: workers run tests/runtime/shared/workers/safe-map-worker.mjs over the built
// runtime (dist/: `npm run build` first); this thread uses the TypeScript source. Both meet in the
// same shared memory.
import { afterEach, describe, expect, it } from 'vitest';
import { ConcurrentMapError, SafeMap, SafeMapError, ShardedMap, type SharedSafeMap, type SharedShardedMap } from '../../../lib/runtime/index.js';
import { heldSectionsTracking } from '../../../lib/runtime/safe-map.js';
import { TestWorker } from './harness.js';

const started: TestWorker[] = [];
const maps: { detach(): void }[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((w) => w.worker.terminate()));
  for (const map of maps.splice(0)) {
    try {
      map.detach();
    } catch {
      // a test that failed inside a section
    }
  }
});

function track<M extends { detach(): void }>(map: M): M {
  maps.push(map);
  return map;
}

function start(handle: unknown, task: string, data: Record<string, unknown> = {}): TestWorker {
  const worker = new TestWorker('safe-map-worker.mjs', { handle, task, ...data });
  started.push(worker);
  return worker;
}

/** Sum of the counters c0… of a map. */
function counterSum(map: Map<string | number | bigint, unknown>): number {
  let sum = 0;
  for (const [key, value] of map) if (typeof key === 'string' && key.startsWith('c')) sum += value as number;
  return sum;
}

describe('options and handles', () => {
  it('checks options: unknown keys, liveness options and shards name the option', () => {
    expect(() => SafeMap.shared({ shards: 4 } as never)).toThrow(new TypeError("SafeMap.shared: unknown option 'shards'"));
    expect(() => SafeMap.shared({ lease: 10 })).toThrow("SafeMap.shared: option 'lease' must be an integer from 100 to 2147483647, got number 10");
    expect(() => SafeMap.shared({ maxThreads: 0 })).toThrow("SafeMap.shared: option 'maxThreads' must be an integer from 1 to 1023");
    expect(() => SafeMap.shared({ syncTimeout: 'soon' as never })).toThrow("option 'syncTimeout' must be an integer");
    expect(() => ShardedMap.shared({ shards: 3 })).toThrow("ShardedMap.shared: option 'shards' must be a power of two from 1 to 1024, got number 3");
    expect(() => ShardedMap.shared({ store: 'go' } as never)).toThrow("ShardedMap.shared: unknown option 'store'");
  });

  it('a handle is a plain object of SharedArrayBuffers; attach checks what it gets', () => {
    const map = track(SafeMap.shared<string, number>({ name: 'hits' }));
    const { handle } = map;
    expect(handle).toMatchObject({ kind: 'maprace.shared', version: 1, type: 'SafeMap', name: 'hits' });
    expect(handle.buffers.every((buffer) => buffer instanceof SharedArrayBuffer)).toBe(true);
    expect(structuredClone(handle).buffers[0]).toBeInstanceOf(SharedArrayBuffer);
    expect(() => ShardedMap.attach(handle)).toThrow(new TypeError('ShardedMap.attach: this is the handle of a SafeMap, not of a ShardedMap: attach it with SafeMap.attach(handle)'));
    expect(() => SafeMap.attach(map as never)).toThrow(/^SafeMap.attach: expected the handle of a shared map .*, got a SharedSafeMap$/u);
    // attached again in this thread: same memory, same participant
    const again = track(SafeMap.attach<string, number>(structuredClone(handle)));
    again.set('a', 1);
    expect(map.get('a')).toBe(1);
    expect(map.attachedThreads()).toEqual([0]);
    expect(String(map)).toBe('[object SharedSafeMap]');
  });

  it("two objects over the same memory in one thread know each other's sections", async () => {
    const map = track(SafeMap.shared<string, number>());
    const again = track(SafeMap.attach<string, number>(map.handle));
    let release!: () => void;
    const section = again.withLock('a', () => new Promise<void>((resolve) => (release = resolve)));
    await null;
    expect(() => map.set('a', 1)).toThrow(ConcurrentMapError); // not a wait for its own thread
    map.set('b', 2);
    release();
    await section;
    expect(again.get('b')).toBe(2);
  });

  it('is a Map: get, has, set, delete, size, iteration, clear, forEach', () => {
    const map = track(ShardedMap.shared<number | string, unknown>({ shards: 4, name: 'm' }));
    for (let i = 0; i < 200; i++) map.set(i, i % 2 === 0 ? `v${i}` : { i });
    expect(map.size).toBe(200);
    expect(map.get(10)).toBe('v10');
    expect(map.get(11)).toEqual({ i: 11 });
    expect(map.has(-0)).toBe(true);
    expect(map.delete(0)).toBe(true);
    expect(map.delete(0)).toBe(false);
    expect([...map.keys()].sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 199 }, (_, i) => i + 1));
    let seen = 0;
    map.forEach(() => seen++);
    expect(seen).toBe(199);
    expect(new Set(Array.from({ length: 200 }, (_, i) => map.shardOf(i))).size).toBe(4);
    map.checkInvariants();
    map.clear();
    expect(map.size).toBe(0);
    expect(() => map.set({} as never, 1)).toThrow(TypeError);
  });
});

describe('in one thread: SafeMap semantics', () => {
  it('compound operations: update, withLock (commit or nothing), withReadLock, compareAndSet, getAndDelete, getOrCompute', async () => {
    const map = track(SafeMap.shared<string, number>());
    expect(await map.update('a', (v) => (v ?? 0) + 1)).toBe(1);
    await expect(map.withLock(['a', 'b'], (view) => {
      view.set('a', 100);
      throw new Error('changed my mind');
    })).rejects.toThrow('changed my mind');
    expect(map.get('a')).toBe(1);
    await map.withLock(['a', 'b'], async (view) => {
      view.set('b', (view.get('a') ?? 0) + 1);
      await null;
      expect(() => view.get('c')).toThrow(expect.objectContaining({ code: 'ERR_KEY_NOT_LOCKED' }));
    });
    expect(map.get('b')).toBe(2);
    expect(await map.withReadLock(null, (view) => view.size)).toBe(2);
    expect(await map.compareAndSet('a', 1, 5)).toBe(true);
    expect(await map.compareAndSet('a', 1, 6)).toBe(false);
    expect(await map.getAndDelete('a')).toBe(5);
    let runs = 0;
    const compute = async () => {
      runs++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return 42;
    };
    expect(await Promise.all([map.getOrCompute('g', compute), map.getOrCompute('g', compute)])).toEqual([42, 42]);
    expect(runs).toBe(1);
    const failing = () => Promise.reject(new RangeError('nope'));
    await expect(map.getOrCompute('h', failing)).rejects.toThrow(new RangeError('nope'));
    expect(map.has('h')).toBe(false); // a rejection is not stored
    expect(await map.getOrCompute('h', () => 7)).toBe(7);
  });

  it('a section whose commit does not fit (MapFullError) commits nothing: the writes applied before it are undone', async () => {
    const map = track(SafeMap.shared<string, string>({ byteLength: 65_536, maxByteLength: 65_536 }));
    map.set('a', 'small');
    const full = map.withLock(['a', 'b', 'c'], (view) => {
      view.set('a', 'x'.repeat(6000));
      view.set('b', 'y'.repeat(6000));
      view.set('c', 'z'.repeat(20_000));
    });
    await expect(full).rejects.toThrow(expect.objectContaining({ code: 'ERR_MAP_FULL', message: expect.stringContaining("no room to set key 'c'") }));
    expect([...map]).toEqual([['a', 'small']]);
    map.checkInvariants();
    await map.update('b', () => 'fits'); // the lock was released
    expect(map.get('b')).toBe('fits');
  });

  it("misuse is loud: a plain write of a key this task's section holds, and re-entry, throw instead of deadlocking", async () => {
    const map = track(SafeMap.shared<string, number>({ name: 'hits' }));
    map.set('a', 1);
    await map.withLock('a', (view) => {
      expect(map.get('a')).toBe(1); // a plain read inside the thread's own section reads
      expect(() => map.set('a', 2)).toThrow(ConcurrentMapError);
      map.set('b', 3); // a key no section holds: written (this thread holds the map)
      view.set('a', 10);
      return expect(map.update('a', (v) => v)).rejects.toThrow(expect.objectContaining({ code: 'ERR_LOCK_REENTRY' }));
    });
    expect(map.get('a')).toBe(10);
    expect(map.get('b')).toBe(3);
    // another task of this thread holds the lock: its plain write of the key throws, with the cause
    let release!: () => void;
    const section = map.withLock('a', () => new Promise<void>((resolve) => (release = resolve)));
    await null;
    const error = (() => {
      try {
        map.set('a', 4);
      } catch (thrown) {
        return thrown as ConcurrentMapError;
      }
      return undefined;
    })();
    expect(error?.message).toBe('concurrent map writes');
    expect((error?.cause as Error).message).toContain("SafeMap.shared 'hits': a plain set() of key 'a' while a section holds key 'a' for another task");
    expect(() => map.clear()).toThrow(ConcurrentMapError);
    release();
    await section;
    // a getOrCompute's fn may not ask the map for a lock: it would wait for itself
    await expect(map.getOrCompute('z', () => map.update('z', () => 1) as never)).rejects.toThrow(expect.objectContaining({ code: 'ERR_LOCK_REENTRY' }));
  });

  it('a section that waited and then throws releases its lock once: the next waiter gets it, no hold is left', async () => {
    const map = track(ShardedMap.shared<string, number>({ shards: 2 }));
    let release!: () => void;
    const first = map.withLock(null, () => new Promise<void>((resolve) => (release = resolve)));
    const second = map.withLock(['a', 'b', 'c'], () => {
      throw new Error('boom');
    });
    const third = map.update('a', () => 5);
    release();
    await first;
    await expect(second).rejects.toThrow('boom');
    expect(await third).toBe(5);
    expect(heldSectionsTracking().liveHolds).toBe(0);
    map.set('b', 1); // nothing of this thread holds a lock any more
  });

  it('a wait for the lock ends on timeout or abort (SafeMapError), the lock untouched', async () => {
    const map = track(SafeMap.shared<string, number>());
    let release!: () => void;
    const section = map.withLock('a', () => new Promise<void>((resolve) => (release = resolve)));
    await expect(map.update('b', () => 1, { timeout: 20 })).rejects.toThrow(expect.objectContaining({ code: 'ERR_LOCK_TIMEOUT' }));
    const controller = new AbortController();
    const aborted = map.withReadLock(null, () => 1, { signal: controller.signal });
    controller.abort();
    await expect(aborted).rejects.toThrow(expect.objectContaining({ code: 'ERR_LOCK_ABORTED' }));
    release();
    await section;
    expect(await map.update('b', () => 2)).toBe(2);
    expect(heldSectionsTracking().liveHolds).toBe(0);
  });
});

describe('across threads', () => {
  const stress = async (map: SharedSafeMap<string, unknown> | SharedShardedMap<string, unknown>, workers: number, ops: number) => {
    const running = Array.from({ length: workers }, (_, i) => start(map.handle, 'mixed', { ops, counters: 16, seed: 1234 + i * 7 }));
    const reports = await Promise.all(running.map((w) => w.until<{ increments: number }>('done')));
    const increments = reports.reduce((sum, report) => sum + report.increments, 0);
    expect(counterSum(map)).toBe(increments);
    map.checkInvariants();
  };

  it('SafeMap.shared: 4 workers × 100 000 mixed operations lose no increment; the store stays consistent', async () => {
    await stress(track(SafeMap.shared<string, unknown>({ name: 'stress' })), 4, 100_000);
  });

  it('ShardedMap.shared: 4 workers × 100 000 mixed operations lose no increment; every shard stays consistent', async () => {
    await stress(track(ShardedMap.shared<string, unknown>({ shards: 8 })), 4, 100_000);
  });

  it('ShardedMap.shared: 8 workers × 100 000 mixed operations, one counter key contended by all', async () => {
    const map = track(ShardedMap.shared<string, number>({ shards: 4 }));
    const running = Array.from({ length: 8 }, (_, i) => start(map.handle, 'mixed', { ops: 100_000, counters: 1, seed: 99 + i }));
    const reports = await Promise.all(running.map((w) => w.until<{ increments: number }>('done')));
    expect(map.get('c0')).toBe(reports.reduce((sum, report) => sum + report.increments, 0));
    map.checkInvariants();
  });

  it('getOrCompute computes once per key across 4 workers (single flight in shared memory)', async () => {
    const map = track(ShardedMap.shared<number, string>({ shards: 4 }));
    const runs = new Int32Array(new SharedArrayBuffer(200 * 4));
    const running = Array.from({ length: 4 }, () => start(map.handle, 'compute-once', { keys: 200, words: runs.buffer }));
    const reports = await Promise.all(running.map((w) => w.until<{ results: string[] }>('done')));
    expect([...runs]).toEqual(new Array(200).fill(1));
    for (const report of reports) expect(report.results).toEqual(reports[0]!.results); // every thread got the one value
    expect(map.size).toBe(200);
  });

  it("a failed computation reaches the other threads' waiters as a copy of the error, and is not stored", async () => {
    const map = track(SafeMap.shared<string, string>());
    const go = new Int32Array(new SharedArrayBuffer(4));
    const claimer = start(map.handle, 'compute-fail', { key: 'k', words: go.buffer });
    await claimer.until('claimed');
    const waiter = start(map.handle, 'compute-wait', { key: 'k' });
    await waiter.until('asking');
    const mine = map.getOrCompute('k', () => 'main computed').catch((error: unknown) => error as Error);
    await new Promise((resolve) => setTimeout(resolve, 200)); // the waiters reach their wait
    Atomics.store(go, 0, 1);
    const { message } = await claimer.until<{ message: string }>('done');
    const { error } = await waiter.until<{ error: { name: string; message: string } }>('done');
    expect(error).toEqual({ name: 'RangeError', message });
    expect(await mine).toMatchObject({ name: 'RangeError', message });
    expect(map.has('k')).toBe(false);
    expect(await map.getOrCompute('k', () => 'second try')).toBe('second try');
  });

  it('another thread\'s plain set waits for a section on its shard, then lands after it', async () => {
    const map = track(SafeMap.shared<string, string>());
    let release!: () => void;
    const section = map.withLock('k', async (view) => {
      view.set('k', 'from the section');
      await new Promise<void>((resolve) => (release = resolve));
    });
    const writer = start(map.handle, 'plain-set', { key: 'k', value: 'from the worker' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(map.get('k')).toBe(undefined); // the worker waits; the section has not committed
    release();
    await section;
    await writer.until('done');
    expect(map.get('k')).toBe('from the worker');
  });

  it('attach and detach across several workers: rows are given back and reused', async () => {
    const map = track(SafeMap.shared<string, number>({ maxThreads: 3 }));
    for (let round = 0; round < 2; round++) {
      const pair = [start(map.handle, 'attach-detach'), start(map.handle, 'attach-detach')];
      const attached = await Promise.all(pair.map((w) => w.until<{ attached: number[] }>('attached')));
      for (const report of attached) expect(report.attached.length).toBeGreaterThanOrEqual(2);
      const threads = pair.map((w) => w.threadId);
      for (const w of pair) w.worker.postMessage('detach');
      await Promise.all(pair.map((w) => w.until('done')));
      expect(map.attachedThreads()).toEqual([0]);
      for (const thread of threads) expect(map.get(`w${thread}`)).toBe(1000);
      await Promise.all(pair.map((w) => w.exited));
    }
  });
});

describe('a thread that dies', () => {
  it('terminate() of a section holder: the waiter gets the lock, the dead section\'s writes are not committed', async () => {
    const map = track(SafeMap.shared<string, string>());
    map.set('k', 'before');
    const holder = start(map.handle, 'hold-section', { key: 'k' });
    await holder.until('held');
    const waiting = map.update('k', (v) => `${v} and after`);
    await new Promise((resolve) => setTimeout(resolve, 30));
    await holder.worker.terminate();
    expect(await waiting).toBe('before and after');
    map.checkInvariants();
  });

  it('terminate() of a getOrCompute claimer: a waiter takes the claim over and computes', async () => {
    const map = track(ShardedMap.shared<string, string>({ shards: 2 }));
    const claimer = start(map.handle, 'compute-hang', { key: 'k' });
    await claimer.until('claimed');
    let runs = 0;
    const waiting = map.getOrCompute('k', () => {
      runs++;
      return 'taken over';
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(runs).toBe(0); // it waits for the claim
    await claimer.worker.terminate();
    expect(await waiting).toBe('taken over');
    expect(runs).toBe(1);
  });

  it('a holder killed inside a store write (write flag left set): the lock is recovered once the layout checks out', async () => {
    const map = track(SafeMap.shared<string, number>());
    map.set('k', 1);
    const holder = start(map.handle, 'die-mid-write', { key: 'k', damage: 'flag' });
    await holder.until('held');
    const waiting = map.update('k', (v) => (v ?? 0) + 1);
    await holder.worker.terminate();
    expect(await waiting).toBe(2);
    map.set('j', 3); // the write flag was cleared: writes work
    map.checkInvariants();
  });

  it('a holder that died leaving the store inconsistent: every waiter gets ERR_LOCK_OWNER_DIED naming the thread, never a hang', async () => {
    const map = track(SafeMap.shared<string, number>());
    map.set('k', 1);
    const holder = start(map.handle, 'die-mid-write', { key: 'k', damage: 'count' });
    const { threadId } = await holder.until<{ threadId: number }>('held');
    const waiters = [map.update('k', () => 2), map.withReadLock(null, (view) => view.size)].map((p) => p.catch((error: unknown) => error as SafeMapError));
    await holder.worker.terminate();
    for (const error of await Promise.all(waiters)) {
      expect(error).toBeInstanceOf(SafeMapError);
      expect(error).toMatchObject({ code: 'ERR_LOCK_OWNER_DIED', message: expect.stringContaining(`SafeMap.shared: thread ${threadId} died holding the write lock`) });
    }
    expect(() => map.get('k')).toThrow(expect.objectContaining({ code: 'ERR_LOCK_OWNER_DIED' }));
  });
});

describe('plain operations wait a bounded time', () => {
  it("a plain get during another thread's section reads the committed state at once; a plain set times out after syncTimeout naming the thread", async () => {
    const map = track(SafeMap.shared<string, string>({ syncTimeout: 100, name: 'slow' }));
    map.set('k', 'committed');
    const holder = start(map.handle, 'hold-section', { key: 'k' });
    const { threadId } = await holder.until<{ threadId: number }>('held');
    const started = performance.now();
    expect(map.get('k')).toBe('committed'); // the section's 'uncommitted' is staged in its view
    expect(map.has('k')).toBe(true);
    expect(map.size).toBe(1);
    expect(performance.now() - started).toBeLessThan(50); // no lock, no wait
    expect(() => map.set('k', 'plain')).toThrow(
      expect.objectContaining({ code: 'ERR_LOCK_TIMEOUT', message: `SafeMap.shared 'slow'.set: timed out after 100 ms waiting for the write lock (thread ${threadId} holds the write lock)` }),
    );
  });

  it('two threads, each with a section on its own shard held across an await, each doing plain operations on the other\'s shard: gets succeed, sets end within syncTimeout with an error naming the cycle', async () => {
    const map = track(ShardedMap.shared<string, string>({ shards: 2, syncTimeout: 400, name: 'cycle' }));
    const keyOn = (shard: number): string => {
      for (let i = 0; ; i++) if (map.shardOf(`key${i}`) === shard) return `key${i}`;
    };
    const keys = [keyOn(0), keyOn(1)];
    map.set(keys[0]!, 'committed 0');
    map.set(keys[1]!, 'committed 1');
    const holding = new Int32Array(new SharedArrayBuffer(4));
    const workers = [0, 1].map((i) => start(map.handle, 'cross-shard', { mine: keys[i], theirs: keys[1 - i], words: holding.buffer }));
    const threads = workers.map((w) => w.threadId); // (-1 once a worker has exited)
    const reports = await Promise.all(
      workers.map((w) => w.until<{ got: string; gotMs: number; setMs: number; setError: { code: string; message: string } | undefined }>('done')),
    );
    for (const [i, report] of reports.entries()) {
      expect(report.got).toBe(`committed ${1 - i}`); // the other section's staged write is not seen
      expect(report.gotMs).toBeLessThan(100);
      expect(report.setMs).toBeLessThan(2000); // bounded by syncTimeout (400 ms), never the 5 s default
      if (report.setError !== undefined) {
        expect(report.setError.code).toBe('ERR_LOCK_TIMEOUT');
        expect(report.setError.message).toContain(`this thread (${threads[i]}) holds a section on ShardedMap.shared 'cycle' shard ${map.shardOf(keys[i]!)} (write lock)`);
        expect(report.setError.message).toContain(`held by thread ${threads[1 - i]}`);
        expect(report.setError.message).toContain('use the async API');
      }
    }
    // both blocked at once: at least one gave up (the other may then have gone through)
    expect(reports.some((report) => report.setError !== undefined)).toBe(true);
    map.checkInvariants();
  });
});
