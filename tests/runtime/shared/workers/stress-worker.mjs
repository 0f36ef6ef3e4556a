// One worker of a stress run (tests/helpers/shared-stress.ts, which documents workerData): attach
// the shared map, wait at the barrier, run this worker's operations, report what it did.
import { isDeepStrictEqual } from 'node:util';
import { parentPort, threadId, workerData } from 'node:worker_threads';

const { runtime, type, handle, worker, seed, kinds, keyIndexes, keyList, written, counters, stopOnError, control } = workerData;
const OPS = ['get', 'has', 'set', 'delete', 'increment', 'getOrCompute'];
const MAX_ERRORS = 20;

const { [type]: MapClass } = await import(runtime);
if (typeof MapClass?.attach !== 'function') throw new TypeError(`${runtime} has no ${type}.attach`);
const map = MapClass.attach(handle);
const mine = written[worker];

/** Whether a read of key i returned something a worker writes for it (or nothing). */
function plausible(value, i) {
  if (value === undefined) return true;
  if (counters) return Number.isSafeInteger(value) && value >= 0;
  for (const values of written) if (values[i] === value || isDeepStrictEqual(values[i], value)) return true;
  return false;
}

const increment = (n) => (n ?? 0) + 1;

/** One operation; a promise when the map's method returns one (SafeMap's compound operations). */
function apply(op, key, i) {
  switch (op) {
    case 'get':
      return map.get(key);
    case 'has':
      return map.has(key);
    case 'set':
      return map.set(key, mine[i]);
    case 'delete':
      return map.delete(key);
    case 'increment':
      return map.update(key, increment);
    case 'getOrCompute':
      return map.getOrCompute(key, () => mine[i]);
  }
}

const counts = Object.fromEntries(OPS.map((op) => [op, 0]));
const increments = new Array(keyList.length).fill(0);
const errors = [];
let errorCount = 0;
let badReads = 0;

parentPort.postMessage({ ready: true });
Atomics.wait(control, 0, 0);
const started = performance.now();
for (let n = 0; n < kinds.length; n++) {
  const op = OPS[kinds[n]];
  const i = keyIndexes[n];
  const key = keyList[i];
  try {
    let result = apply(op, key, i);
    if (typeof result?.then === 'function') result = await result;
    counts[op]++;
    if (op === 'increment') increments[i]++;
    else if ((op === 'get' || op === 'getOrCompute') && !plausible(result, i)) badReads++;
  } catch (error) {
    errorCount++;
    if (errors.length < MAX_ERRORS) {
      errors.push({ op, index: n, key: String(key), name: error?.name ?? typeof error, code: error?.code, message: error?.message ?? String(error) });
    }
    if (stopOnError) break;
  }
  control[1 + worker] = n + 1;
}
const ms = performance.now() - started;
// A map that can let go of this thread (SafeMap.shared, ShardedMap.shared) does so, freeing its row.
const detached = typeof map.detach === 'function';
if (detached) map.detach();
parentPort.postMessage({ result: { worker, threadId, seed, counts, increments, badReads, errors, errorCount, ms, detached } });
