// A worker for tests/runtime/shared/lock.test.ts. It imports the lock module from a bundle the
// test builds (workerData.bundle: lib/runtime/shared/lock.ts through esbuild), attaches the lock
// space the test made, and runs one task; it reports through postMessage.
import { parentPort, threadId, workerData } from 'node:worker_threads';

const { bundle, buffer, task } = workerData;
const { LockSpace } = await import(bundle);
const space = LockSpace.attach(buffer, 'test map');
const lock = space.lock(workerData.lock ?? 0);
lock.name = 'test lock';
const extra = new Int32Array(buffer, space.extraBase * 4, space.extraWords);

// extra words the tests use
const COUNTER = 0; // incremented without atomics, under the lock
const INSIDE = 1; // readers (positive) or a writer (-1) inside, atomically
const MAX_READERS = 2;
const GO = 3; // the test sets it to release holders
const VIOLATIONS = 4;
const RESULT = 5;

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

switch (task) {
  case 'count': {
    // A read-modify-write that is not atomic: only the lock keeps increments from being lost.
    for (let i = 0; i < workerData.n; i++) {
      lock.writeLockSync();
      const value = extra[COUNTER];
      extra[COUNTER] = value + 1;
      lock.unlockWrite();
    }
    parentPort.postMessage({ done: true });
    break;
  }
  case 'count-async': {
    for (let i = 0; i < workerData.n; i++) {
      await lock.writeLock();
      const value = extra[COUNTER];
      await null; // a section across an await
      extra[COUNTER] = value + 1;
      lock.unlockWrite();
    }
    parentPort.postMessage({ done: true });
    break;
  }
  case 'read-together': {
    // Each reader stays in until it has seen `readers` readers inside at once (or 5 s pass).
    lock.readLockSync();
    const inside = Atomics.add(extra, INSIDE, 1) + 1;
    Atomics.notify(extra, INSIDE);
    for (;;) {
      const seen = Atomics.load(extra, INSIDE);
      const max = Atomics.load(extra, MAX_READERS);
      if (seen > max) Atomics.compareExchange(extra, MAX_READERS, max, seen);
      if (seen >= workerData.readers || Atomics.load(extra, GO) === 1) break;
      Atomics.wait(extra, INSIDE, seen, 5000);
    }
    parentPort.postMessage({ inside });
    Atomics.wait(extra, GO, 0, 5000); // stay in until the test says go
    Atomics.sub(extra, INSIDE, 1);
    lock.unlockRead();
    parentPort.postMessage({ done: true });
    break;
  }
  case 'mixed': {
    // Readers and writers at random; INSIDE must never show a writer with anyone else.
    let seed = threadId * 7919;
    for (let i = 0; i < workerData.n; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      if (seed % 10 < 3) {
        lock.writeLockSync();
        if (Atomics.compareExchange(extra, INSIDE, 0, -1) !== 0) Atomics.add(extra, VIOLATIONS, 1);
        extra[COUNTER]++;
        Atomics.store(extra, INSIDE, 0);
        lock.unlockWrite();
      } else {
        lock.readLockSync();
        if (Atomics.add(extra, INSIDE, 1) < 0) Atomics.add(extra, VIOLATIONS, 1);
        Atomics.sub(extra, INSIDE, 1);
        lock.unlockRead();
      }
    }
    parentPort.postMessage({ done: true });
    break;
  }
  case 'read-then-cross': {
    // holds a read share of lock 0 and the write lock of lock 1; on GO, lets go of the share and
    // asks lock 0 for another one synchronously (bounded), then releases lock 1
    const other = space.lock(1);
    lock.readLockSync();
    other.writeLockSync();
    parentPort.postMessage({ ready: true });
    Atomics.wait(extra, GO, 0, 5000);
    lock.unlockRead();
    const started = performance.now();
    let error;
    try {
      lock.readLockSync(workerData.timeout);
      lock.unlockRead();
    } catch (failure) {
      error = failure.code;
    }
    const readMs = performance.now() - started;
    other.unlockWrite();
    parentPort.postMessage({ done: true, readMs, error });
    break;
  }
  case 'hold-write':
  case 'hold-read': {
    // Takes the lock, says so, and keeps it until GO is set (or it is terminated).
    if (task === 'hold-write') lock.writeLockSync();
    else lock.readLockSync();
    if (workerData.dirty) extra[COUNTER] = -1; // a write half done
    parentPort.postMessage({ held: true, threadId });
    while (Atomics.load(extra, GO) === 0) Atomics.wait(extra, GO, 0, 1000);
    if (task === 'hold-write') lock.unlockWrite();
    else lock.unlockRead();
    parentPort.postMessage({ done: true });
    break;
  }
  case 'hold-write-busy': {
    // Takes the write lock, then keeps its event loop busy (no heartbeat) until terminated.
    lock.writeLockSync();
    parentPort.postMessage({ held: true, threadId });
    for (;;) sleep(1000);
  }
  case 'try-write': {
    // one attempt; a lock whose writer died is recovered by the attempt (and then held until exit)
    parentPort.postMessage({ got: lock.tryWriteLock() });
    break;
  }
  case 'try-write-on-go': {
    // waits for GO, tries once, answers in RESULT (1 got, 2 not): the test thread is blocked meanwhile
    parentPort.postMessage({ ready: true });
    while (Atomics.load(extra, GO) === 0) Atomics.wait(extra, GO, 0, 1000);
    Atomics.store(extra, RESULT, lock.tryWriteLock() ? 1 : 2);
    Atomics.notify(extra, RESULT);
    break;
  }
  case 'try-read': {
    const got = lock.tryReadLock();
    if (got) lock.unlockRead();
    parentPort.postMessage({ got });
    break;
  }
  default:
    throw new Error(`lock-worker: unknown task ${task}`);
}
