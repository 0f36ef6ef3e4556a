// One client thread of bench/shared-map.bench.js: it attaches to the map under test, warms up on
// it, waits at the barrier, runs its operations and reports when it finished.
//
// workerData: { contender, keyKind, keyCount, worker, ops, warmup, control, target }
// - ops: Uint32Array, one operation per element, (keyIndex << 1) | isSet (the main thread draws
//   them from a seeded PRNG, so every contender runs the same sequence);
// - warmup: how many operations to run before the barrier, going through ops as many times as it
//   takes (on the same map: a set writes a key that is already there, so the map's shape does not
//   change);
// - control: Int32Array over a SharedArrayBuffer; control[0] turns 1 at the barrier's release;
// - target: what to attach, by contender.kind: a runtime map's handle, sharedmap's object, or a
//   MessagePort to the owner thread (for 'private', nothing: the worker fills a Map of its own).
//
// A set writes keyIndex + keyCount × (worker + 1), so every value ever in the map is congruent to
// its key's index modulo keyCount; every get checks that (a torn or misplaced value is counted in
// badReads, and the main thread refuses a measurement with any).
import { parentPort, workerData } from 'node:worker_threads';

const { contender, keyKind, keyCount, worker, ops, warmup, control, target } = workerData;
const setBase = keyCount * (worker + 1);

/** The keys as this contender takes them: sharedmap takes only strings (integers go as decimals). */
function keysFor() {
  const keys = new Array(keyCount);
  for (let i = 0; i < keyCount; i++) keys[i] = keyKind === 'integer' ? i : `key:${i}`;
  return contender.kind === 'sharedmap' ? keys.map(String) : keys;
}

/** A synchronous map's loop over ops[from, to): sets and checked gets; returns the bad reads. */
function runSync(map, keys, from, to) {
  let badReads = 0;
  for (let i = from; i < to; i++) {
    const op = ops[i];
    const k = op >>> 1;
    if ((op & 1) === 1) map.set(keys[k], k + setBase);
    else if (map.get(keys[k]) % keyCount !== k) badReads++;
  }
  return badReads;
}

/**
 * The owner-thread pattern, client side, as people write it: every get or set is one message
 * `{ id, op, key, value }` to the owner and one reply `{ id, value }`, matched by id; the caller
 * awaits the reply. `depth` requests may be in flight at once (1: each operation awaits the last).
 */
function ownerClient(port) {
  const pending = new Map();
  let nextId = 0;
  port.on('message', (reply) => {
    const resolve = pending.get(reply.id);
    pending.delete(reply.id);
    resolve(reply.value);
  });
  const request = (message) =>
    new Promise((resolve) => {
      pending.set(message.id, resolve);
      port.postMessage(message);
    });
  return {
    get: (key) => request({ id: nextId++, op: 'get', key }),
    set: (key, value) => request({ id: nextId++, op: 'set', key, value }),
    close: () => port.close(),
  };
}

async function runOwner(client, keys, from, to, depth) {
  let badReads = 0;
  let next = from;
  const lane = async () => {
    while (next < to) {
      const op = ops[next++];
      const k = op >>> 1;
      if ((op & 1) === 1) await client.set(keys[k], k + setBase);
      else if ((await client.get(keys[k])) % keyCount !== k) badReads++;
    }
  };
  await Promise.all(Array.from({ length: depth }, lane));
  return badReads;
}

async function attach() {
  switch (contender.kind) {
    case 'runtime': {
      const runtime = await import(contender.runtime);
      return runtime[contender.type].attach(target);
    }
    case 'sharedmap': {
      const { default: SharedMap } = await import('sharedmap');
      // sharedmap's README: a map that crossed postMessage or workerData gets its prototype back by hand.
      return Object.setPrototypeOf(target, SharedMap.prototype);
    }
    case 'owner':
      return ownerClient(target);
    case 'private':
      return new Map(keys.map((key, i) => [key, i]));
    default:
      throw new TypeError(`unknown contender kind ${contender.kind}`);
  }
}

const keys = keysFor();
const map = await attach();
const run = contender.kind === 'owner' ? (from, to) => runOwner(map, keys, from, to, contender.depth) : (from, to) => runSync(map, keys, from, to);

let badReads = 0;
for (let done = 0; done < warmup; done += ops.length) badReads += await run(0, Math.min(ops.length, warmup - done));
parentPort.postMessage({ ready: true });
Atomics.wait(control, 0, 0);
badReads += await run(0, ops.length);
const finished = process.hrtime.bigint();
if (contender.kind === 'owner') map.close();
parentPort.postMessage({ finished, badReads });
