// A worker that uses one GoMap.shared with no lock, at the same time as others: writes (set and
// delete), reads (get), or loops. It reports Go's concurrent-access error if it ran into one, and
// any value it read that was not one a writer stored for that key (there must be none).
import { parentPort, workerData } from 'node:worker_threads';
import { ConcurrentMapError, GoMap } from '../../../../dist/runtime/index.js';

const { handle, control, id, mode, ops, keys } = workerData;
const map = GoMap.attach(handle);
// control: [workers ready, go, writers finished]
const words = new Int32Array(control);
Atomics.add(words, 0, 1);
Atomics.notify(words, 0);
while (Atomics.load(words, 1) === 0) Atomics.wait(words, 1, 0, 1000);

const isValueOf = (key, value) => typeof value === 'string' && value.startsWith(`v:${key}:`);
let error = null;
let bad = null;
let done = 0;
try {
  if (mode === 'write') {
    for (; done < ops; done++) {
      const key = `k${done % keys}`;
      if (done % 5 === 4) map.delete(key);
      else map.set(key, `v:${key}:${id}:${done}${'.'.repeat(done % 30)}`);
    }
  } else {
    while (Atomics.load(words, 2) === 0 && done < ops && bad === null) {
      if (mode === 'read') {
        const key = `k${done % keys}`;
        const value = map.get(key);
        if (value !== undefined && !isValueOf(key, value)) bad = { key, value };
      } else {
        for (const [key, value] of map) if (!isValueOf(key, value)) bad = { key, value };
      }
      done++;
    }
  }
} catch (caught) {
  if (!(caught instanceof ConcurrentMapError)) throw caught;
  error = { code: caught.code, message: caught.message, mapName: caught.mapName, cause: caught.cause?.message };
}
if (mode === 'write') {
  Atomics.add(words, 2, 1);
  Atomics.notify(words, 2);
}
parentPort.postMessage({ id, mode, error, bad, done });
