// The owner thread of the pattern people use today to share a map between worker_threads: one
// thread owns a plain Map and answers get/set requests that arrive over MessagePorts (one port per
// client). Used by bench/shared-map.bench.js.
//
// workerData: { keyKind, keyCount }. The first message brings the client ports ({ ports }); the
// owner fills its Map with keys 0..keyCount-1 (value = index, as the shared maps are filled) and
// answers { ready: true }. Requests are { id, op: 'get' | 'set', key, value }; replies { id, value }.
import { parentPort, workerData } from 'node:worker_threads';

const { keyKind, keyCount } = workerData;
const map = new Map();
for (let i = 0; i < keyCount; i++) map.set(keyKind === 'integer' ? i : `key:${i}`, i);

parentPort.once('message', ({ ports }) => {
  for (const port of ports) {
    port.on('message', (request) => {
      if (request.op === 'get') {
        port.postMessage({ id: request.id, value: map.get(request.key) });
      } else {
        map.set(request.key, request.value);
        port.postMessage({ id: request.id });
      }
    });
  }
  parentPort.postMessage({ ready: true });
});
