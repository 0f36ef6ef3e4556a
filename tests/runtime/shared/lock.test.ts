// The cross-thread reader/writer lock (lib/runtime/shared/lock.ts) and participant liveness
// (participants.ts), with real worker_threads. Workers run tests/runtime/shared/workers/lock-worker.mjs
// over the lock module bundled by esbuild; this thread uses the TypeScript source. Both copies
// meet in the same shared memory, as two builds of the package would.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SafeMapError } from '../../../lib/runtime/errors.js';
import { LockSpace, type SharedRWLock } from '../../../lib/runtime/shared/lock.js';
import { bundleLockModule, TestWorker } from './harness.js';

const COUNTER = 0;
const INSIDE = 1;
const MAX_READERS = 2;
const GO = 3;
const VIOLATIONS = 4;
const RESULT = 5;

let bundle: string;
beforeAll(async () => {
  bundle = await bundleLockModule();
});

const started: TestWorker[] = [];
const spaces: LockSpace[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((w) => w.worker.terminate()));
  for (const space of spaces.splice(0)) {
    while (!space.detached) {
      try {
        space.detach();
      } catch {
        break; // a test that failed while holding: the space is dropped with it
      }
    }
  }
});

interface Setup {
  buffer: SharedArrayBuffer;
  space: LockSpace;
  lock: SharedRWLock;
  extra: Int32Array;
}

function setup(options: { lease?: number; syncTimeout?: number; maxThreads?: number } = {}): Setup {
  const buffer = LockSpace.create({
    locks: 2,
    maxThreads: options.maxThreads ?? 16,
    lease: options.lease ?? 5000,
    syncTimeout: options.syncTimeout ?? 20_000,
    extraWords: 16,
  });
  const space = LockSpace.attach(buffer, 'test map');
  spaces.push(space);
  const lock = space.lock(0);
  lock.name = 'test lock';
  return { buffer, space, lock, extra: new Int32Array(buffer, space.extraBase * 4, space.extraWords) };
}

function start(buffer: SharedArrayBuffer, task: string, data: Record<string, unknown> = {}, script = 'lock-worker.mjs'): TestWorker {
  const worker = new TestWorker(script, { bundle, buffer, task, ...data });
  started.push(worker);
  return worker;
}

async function rejection(promise: Promise<unknown>): Promise<SafeMapError> {
  try {
    await promise;
  } catch (error) {
    return error as SafeMapError;
  }
  throw new Error('expected a rejection');
}

describe('mutual exclusion', () => {
  it('a non-atomic counter in shared memory loses no increment: 4 workers × 100 000 under writeLockSync', async () => {
    const { buffer, extra } = setup();
    const workers = Array.from({ length: 4 }, () => start(buffer, 'count', { n: 100_000 }));
    await Promise.all(workers.map((w) => w.until('done')));
    expect(extra[COUNTER]).toBe(400_000);
  });

  it('sections across an await (writeLock, waitAsync) lose no increment: 3 workers × 3 000, and this thread too', async () => {
    const { buffer, lock, extra } = setup();
    const workers = Array.from({ length: 3 }, () => start(buffer, 'count-async', { n: 3000 }));
    // two tasks of this thread as well: they share its owner id and wait for each other
    const mine = async () => {
      for (let i = 0; i < 1000; i++) {
        await lock.writeLock();
        const value = extra[COUNTER]!;
        await null;
        extra[COUNTER] = value + 1;
        lock.unlockWrite();
      }
    };
    await Promise.all([mine(), mine(), ...workers.map((w) => w.until('done'))]);
    expect(extra[COUNTER]).toBe(11_000);
  });

  it('readers and writers mixed: a writer is never inside with anyone (4 workers × 50 000, 30 % writes)', async () => {
    const { buffer, extra } = setup();
    const workers = Array.from({ length: 4 }, () => start(buffer, 'mixed', { n: 50_000 }));
    await Promise.all(workers.map((w) => w.until('done')));
    expect(extra[VIOLATIONS]).toBe(0);
    expect(extra[COUNTER]).toBeGreaterThan(0);
  });
});

describe('readers', () => {
  it('read in parallel: three workers hold read shares at once, and a writer cannot get in meanwhile', async () => {
    const { buffer, lock, extra } = setup();
    const readers = Array.from({ length: 3 }, () => start(buffer, 'read-together', { readers: 3 }));
    await Promise.all(readers.map((w) => w.until('inside')));
    expect(extra[MAX_READERS]).toBe(3);
    expect(lock.tryWriteLock()).toBe(false);
    expect(lock.tryReadLock()).toBe(true); // readers share
    lock.unlockRead();
    const writer = lock.writeLock();
    Atomics.store(extra, GO, 1);
    Atomics.notify(extra, GO);
    await writer;
    expect(Atomics.load(extra, INSIDE)).toBe(0); // every reader left before the writer got in
    lock.unlockWrite();
    await Promise.all(readers.map((w) => w.until('done')));
  });

  it('prefers writers: while a writer waits for a reader to leave, a new reader waits too', async () => {
    const { buffer, lock, extra } = setup();
    const reader = start(buffer, 'hold-read');
    await reader.until('held');
    const writer = lock.writeLock(); // waits for the reader; it has the writer flag meanwhile
    const otherWriter = start(buffer, 'try-write');
    expect((await otherWriter.until<{ got: boolean }>('got')).got).toBe(false);
    const lateReader = start(buffer, 'try-read');
    expect((await lateReader.until<{ got: boolean }>('got')).got).toBe(false);
    Atomics.store(extra, GO, 1);
    Atomics.notify(extra, GO);
    await writer; // the holder leaves; the writer gets in
    expect(lock.writeHeld).toBe(true);
    lock.unlockWrite();
    await reader.until('done');
    const afterwards = start(buffer, 'try-read');
    expect((await afterwards.until<{ got: boolean }>('got')).got).toBe(true);
  });
});

describe('waiting on the main thread', () => {
  it('writeLock waits with waitAsync while a worker holds: the event loop keeps running', async () => {
    const { buffer, lock, extra } = setup();
    const holder = start(buffer, 'hold-write');
    await holder.until('held');
    let granted = false;
    const waiting = lock.writeLock().then(() => (granted = true));
    let ticks = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        ticks++;
        if (ticks === 5) {
          clearInterval(timer);
          resolve();
        }
      }, 10);
    });
    expect(granted).toBe(false);
    Atomics.store(extra, GO, 1);
    Atomics.notify(extra, GO);
    await waiting;
    expect(lock.writeHeld).toBe(true);
    lock.unlockWrite();
    await holder.until('done');
  });

  it('ends a wait on timeout and on abort with SafeMapError codes, and gives its place back', async () => {
    const { buffer, lock, extra } = setup();
    const holder = start(buffer, 'hold-write');
    const { threadId: holderThread } = await holder.until<{ threadId: number }>('held');
    const timedOut = await rejection(lock.writeLock({ timeout: 60 }));
    expect(timedOut).toBeInstanceOf(SafeMapError);
    expect(timedOut.code).toBe('ERR_LOCK_TIMEOUT');
    const controller = new AbortController();
    const waiting = lock.readLock({ signal: controller.signal });
    setTimeout(() => controller.abort(new Error('user left')), 30);
    const aborted = await rejection(waiting);
    expect(aborted.code).toBe('ERR_LOCK_ABORTED');
    expect((aborted.cause as Error).message).toBe('user left');
    expect(() => lock.writeLockSync(40)).toThrow(
      expect.objectContaining({ code: 'ERR_LOCK_TIMEOUT', message: expect.stringContaining(`thread ${holderThread} holds the write lock`) }),
    );
    await expect(lock.writeLock({ timeout: -1 })).rejects.toThrow("test lock.writeLock: option 'timeout' must be a finite number");
    // nothing was left behind: once the holder goes, the lock is free
    Atomics.store(extra, GO, 1);
    Atomics.notify(extra, GO);
    await holder.until('done');
    expect(lock.tryWriteLock()).toBe(true);
    lock.unlockWrite();
  });

  it('refuses a synchronous wait for a hold of its own thread instead of blocking forever', async () => {
    const { lock } = setup();
    await lock.writeLock();
    expect(() => lock.readLockSync()).toThrow(expect.objectContaining({ code: 'ERR_LOCK_REENTRY' }));
    expect(() => lock.writeLockSync()).toThrow(expect.objectContaining({ code: 'ERR_LOCK_REENTRY' }));
    lock.unlockWrite();
    lock.readLockSync();
    lock.readLockSync(); // read shares of one thread stack
    expect(() => lock.writeLockSync()).toThrow(expect.objectContaining({ code: 'ERR_LOCK_REENTRY' }));
    lock.unlockRead();
    lock.unlockRead();
    expect(lock.heldByThisThread).toBe(undefined);
  });
});

describe('synchronous waits and this thread\'s pending acquisitions', () => {
  it("a synchronous wait first gives back the writer flag of this thread's acquisition that still drains readers", async () => {
    const { buffer, space, lock, extra } = setup();
    const other = space.lock(1);
    const worker = start(buffer, 'read-then-cross', { timeout: 1500 });
    await worker.until('ready');
    // the worker reads lock 0: this acquisition takes the flag and waits for the worker to leave
    const pending = lock.writeLock();
    expect(lock.heldByThisThread).toBe('write');
    expect(lock.writeHeld).toBe(false);
    Atomics.store(extra, 3, 1); // GO: the worker leaves lock 0 and asks it again, holding lock 1
    Atomics.notify(extra, 3);
    const started = performance.now();
    // this blocks the event loop: without the flag given back, the worker would wait for it
    // (1.5 s) while this thread waits for lock 1
    other.writeLockSync(3000);
    const waited = performance.now() - started;
    other.unlockWrite();
    const report = await worker.until<{ readMs: number; error: string | undefined }>('done');
    expect(report.error).toBe(undefined);
    expect(report.readMs).toBeLessThan(1000);
    expect(waited).toBeLessThan(1000);
    await pending; // it took the flag again when it woke, and got the lock
    expect(lock.writeHeld).toBe(true);
    lock.unlockWrite();
    expect(lock.heldByThisThread).toBe(undefined);
  });
});

describe('a holder that dies', () => {
  it('terminate() of a write holder: the waiter recovers the lock at once (its creator saw the exit)', async () => {
    const { buffer, lock } = setup();
    const deaths: (number | undefined)[] = [];
    lock.onOwnerDied = (thread) => deaths.push(thread);
    const holder = start(buffer, 'hold-write');
    const { threadId } = await holder.until<{ threadId: number }>('held');
    const waiting = lock.writeLock();
    await holder.worker.terminate();
    await waiting;
    expect(deaths).toEqual([threadId]);
    expect(lock.recoveries).toBe(1);
    lock.unlockWrite();
  });

  it('a dead writer that left the data inconsistent: every waiter gets ERR_LOCK_OWNER_DIED naming the thread', async () => {
    const { buffer, lock, extra } = setup();
    lock.onOwnerDied = () => {
      if (extra[COUNTER] === -1) throw new Error('counter is -1: a write was half done');
    };
    const holder = start(buffer, 'hold-write', { dirty: true });
    const { threadId } = await holder.until<{ threadId: number }>('held');
    const waiters = [lock.writeLock(), lock.readLock()];
    const other = start(buffer, 'try-write');
    await holder.worker.terminate();
    for (const waiting of waiters) {
      const error = await rejection(waiting);
      expect(error.code).toBe('ERR_LOCK_OWNER_DIED');
      expect(error.message).toContain(`thread ${threadId} died holding the write lock`);
    }
    await other.exited; // a worker that tries after the poisoning fails too (it throws)
    expect(other.error?.message).toContain(`thread ${threadId} died holding the write lock`);
    expect(() => lock.readLockSync()).toThrow(expect.objectContaining({ code: 'ERR_LOCK_OWNER_DIED' }));
  });

  it('terminate() of a reader: its share is dropped and a waiting writer gets in', async () => {
    const { buffer, lock } = setup();
    const reader = start(buffer, 'hold-read');
    await reader.until('held');
    expect(lock.tryWriteLock()).toBe(false);
    const waiting = lock.writeLock();
    await reader.worker.terminate();
    await waiting;
    expect(lock.recoveries).toBe(0); // a reader's death needs no recovery of the data
    lock.unlockWrite();
  });

  it('a holder nobody watches (started before the module loaded) is found dead by its lease', async () => {
    const { buffer, lock } = setup({ lease: 300 });
    const deaths: (number | undefined)[] = [];
    lock.onOwnerDied = (thread) => deaths.push(thread);
    const spawner = start(buffer, 'unused', {}, 'unwatched-spawner.mjs');
    const { threadId } = await spawner.until<{ threadId: number }>('held');
    const waiting = lock.writeLock();
    spawner.worker.postMessage('terminate');
    await spawner.until('terminated');
    await waiting;
    expect(deaths).toEqual([threadId]);
    lock.unlockWrite();
  });

  it('a thread presumed dead (busy past its lease) whose lock was taken over gets ERR_LOCK_LOST on release', async () => {
    const { buffer, space, lock, extra } = setup({ lease: 100 });
    const taker = start(buffer, 'try-write-on-go');
    await taker.until('ready');
    lock.writeLockSync();
    // this thread's event loop is blocked (no heartbeat) for longer than the lease
    const { participants } = space;
    const me = space.participant();
    Atomics.store(participants.words, participants.countIndex(me.slot, 0) - 2, (Date.now() - 1000) | 0); // its heartbeat word
    Atomics.store(extra, GO, 1);
    Atomics.notify(extra, GO);
    Atomics.wait(extra, RESULT, 0, 10_000);
    expect(extra[RESULT]).toBe(1); // the other thread took the lock over
    await taker.exited; // and died holding it, leaving it to be recovered again
    expect(() => lock.unlockWrite()).toThrow(expect.objectContaining({ code: 'ERR_LOCK_LOST', message: expect.stringContaining('lease of 100 ms') }));
    // holding nothing, the thread joins again under a new owner id
    expect(space.participant().ownerId).not.toBe(me.ownerId);
    await lock.writeLock();
    expect(lock.recoveries).toBe(2);
    lock.unlockWrite();
  });
});

describe('participants', () => {
  it('one row per thread; attach twice in a thread reuses it; detach gives it back', async () => {
    const { buffer, space } = setup({ maxThreads: 2 });
    expect(LockSpace.attach(buffer, 'test map')).toBe(space);
    space.detach(); // the second attach
    const worker = start(buffer, 'hold-read');
    await worker.until('held');
    expect(space.participants.census().threads.sort()).toEqual([0, worker.threadId].sort());
    // the table is full: a third thread is refused with a clear error
    const third = start(buffer, 'try-write');
    await third.exited;
    expect(third.error?.message).toMatch(/all 2 participant rows are held by live threads; raise the option 'maxThreads'/u);
    await worker.worker.terminate();
    expect(space.participants.census().alive).toBe(1);
  });
});
