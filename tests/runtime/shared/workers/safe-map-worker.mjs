// A worker for tests/runtime/shared/safe-map-shared.test.ts: attaches the shared map of
// workerData.handle from the built runtime (dist/, `npm run build` first), runs one task, and
// reports through postMessage.
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { SafeMap, ShardedMap } from '../../../../dist/runtime/index.js';

const { handle, task } = workerData;
const map = handle.type === 'ShardedMap' ? ShardedMap.attach(handle) : SafeMap.attach(handle);
const words = workerData.words === undefined ? undefined : new Int32Array(workerData.words);

/** A small deterministic generator, seeded per worker. */
function random(seed) {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

const never = new Promise(() => {});

switch (task) {
  case 'mixed': {
    // Counters: update(+1) on counter keys, and withLock transfers between two counters (the sum
    // stays); plain get/set/delete and getOrCompute on scratch keys. Every increment is counted.
    const { ops, counters, seed } = workerData;
    const next = random(seed);
    let increments = 0;
    let pending = [];
    for (let i = 0; i < ops; i++) {
      const r = next();
      const counter = `c${Math.floor(next() * counters)}`;
      if (r < 0.6) {
        pending.push(map.update(counter, (v) => (v ?? 0) + 1));
        increments++;
      } else if (r < 0.7) {
        const other = `c${Math.floor(next() * counters)}`;
        pending.push(
          map.withLock([counter, other], (view) => {
            const from = view.get(counter) ?? 0;
            if (from === 0 || other === counter) return;
            view.set(counter, from - 1);
            view.set(other, (view.get(other) ?? 0) + 1);
          }),
        );
      } else if (r < 0.85) {
        map.get(counter);
        map.has(`s${i % 50}`);
      } else if (r < 0.93) {
        map.set(`s${i % 50}`, { worker: threadId, i });
      } else if (r < 0.97) {
        map.delete(`s${i % 50}`);
      } else {
        pending.push(map.getOrCompute(`g${i % 97}`, async (key) => `${key} by ${threadId}`));
      }
      // keep a bounded number of operations in flight: some tasks of this thread overlap
      if (pending.length >= 8) {
        await Promise.all(pending);
        pending = [];
      }
    }
    await Promise.all(pending);
    parentPort.postMessage({ done: true, increments });
    break;
  }
  case 'compute-once': {
    // getOrCompute of every key; fn counts its runs per key in shared memory.
    const { keys } = workerData;
    const results = await Promise.all(
      Array.from({ length: keys }, (_, k) =>
        map.getOrCompute(k, async (key) => {
          Atomics.add(words, key, 1);
          await new Promise((resolve) => setTimeout(resolve, 1));
          return `value ${key} from ${threadId}`;
        }),
      ),
    );
    parentPort.postMessage({ done: true, results });
    break;
  }
  case 'compute-fail': {
    // claims `key`, tells the test, then fails once the test says go (words[0] = 1)
    const outcome = map.getOrCompute(workerData.key, async () => {
      parentPort.postMessage({ claimed: true });
      while (Atomics.load(words, 0) === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      throw new RangeError(`no value for ${workerData.key} (thread ${threadId})`);
    });
    try {
      await outcome;
    } catch (error) {
      parentPort.postMessage({ done: true, message: error.message });
    }
    break;
  }
  case 'compute-wait': {
    // asks for `key` (another thread computes it), reports what it got
    parentPort.postMessage({ asking: true });
    try {
      const value = await map.getOrCompute(workerData.key, async () => `computed by ${threadId}`);
      parentPort.postMessage({ done: true, value });
    } catch (error) {
      parentPort.postMessage({ done: true, error: { name: error.name, message: error.message } });
    }
    break;
  }
  case 'compute-hang': {
    // claims `key` and never finishes (the test terminates it)
    void map.getOrCompute(workerData.key, () => {
      parentPort.postMessage({ claimed: true, threadId });
      return never;
    });
    break;
  }
  case 'hold-section': {
    // holds `key` in a section that has written to its view, until terminated
    void map.withLock(workerData.key, async (view) => {
      view.set(workerData.key, 'uncommitted');
      parentPort.postMessage({ held: true, threadId });
      await never;
    });
    break;
  }
  case 'cross-shard': {
    // a section on `mine` held across an await until both workers hold theirs (words[0] counts
    // them), then, still inside it, a plain get and a plain set of `theirs` (the other's shard)
    const { mine, theirs } = workerData;
    let report;
    await map.withLock(mine, async (view) => {
      view.set(mine, `staged by ${threadId}`);
      Atomics.add(words, 0, 1);
      while (Atomics.load(words, 0) < 2) await new Promise((resolve) => setTimeout(resolve, 5));
      let started = performance.now();
      const got = map.get(theirs);
      const gotMs = performance.now() - started;
      started = performance.now();
      let setError;
      try {
        map.set(theirs, `plain set by ${threadId}`);
      } catch (error) {
        setError = { code: error.code, message: error.message };
      }
      report = { done: true, got, gotMs, setMs: performance.now() - started, setError };
    });
    parentPort.postMessage(report);
    break;
  }
  case 'die-mid-write': {
    // holds the map's lock and leaves its store as a thread killed inside a store write would:
    // the write flag set (workerData.damage 'flag'), or the header's count wrong ('count')
    void map.withLock(workerData.key, async () => {
      const header = new Int32Array(handle.buffers[1], 0, 8);
      if (workerData.damage === 'flag') Atomics.or(header, 3, 4); // hmap.flags |= hashWriting
      else Atomics.add(header, 2, 5); // hmap.count += 5
      parentPort.postMessage({ held: true, threadId });
      await never;
    });
    break;
  }
  case 'plain-set': {
    // a plain set, which waits for another thread's section on the shard
    const started = Date.now();
    map.set(workerData.key, workerData.value);
    parentPort.postMessage({ done: true, waited: Date.now() - started });
    break;
  }
  case 'attach-detach': {
    // attach (done above), work, report who is attached, detach
    for (let i = 0; i < 1000; i++) await map.update(`w${threadId}`, (v) => (v ?? 0) + 1);
    parentPort.postMessage({ attached: map.attachedThreads() });
    await new Promise((resolve) => parentPort.once('message', resolve));
    map.detach();
    parentPort.postMessage({ done: true });
    break;
  }
  default:
    throw new Error(`safe-map-worker: unknown task ${task}`);
}
