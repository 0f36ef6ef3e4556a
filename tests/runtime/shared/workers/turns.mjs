// One of several workers that take turns writing one GoMap.shared (attached from workerData):
// in its turn it checks that it sees every entry the others wrote (and the layout), then adds its own.
import { parentPort, workerData } from 'node:worker_threads';
import { GoMap } from '../../../../dist/runtime/index.js';

const { handle, control, id, workers, rounds, perTurn } = workerData;
const map = GoMap.attach(handle);
const turnWord = new Int32Array(control);

function waitForTurn(turn) {
  for (;;) {
    const current = Atomics.load(turnWord, 0);
    if (current === turn) return;
    if (current < 0) throw new Error(`worker ${id}: another worker failed`);
    if (Atomics.wait(turnWord, 0, current, 20_000) === 'timed-out') throw new Error(`worker ${id}: turn ${turn} never came (at ${current})`);
  }
}

try {
  let stats;
  for (let round = 0; round < rounds; round++) {
    const turn = round * workers + id;
    waitForTurn(turn);
    if (map.size !== turn * perTurn + workerData.preset) throw new Error(`worker ${id}: size ${map.size} at turn ${turn}`);
    for (let t = 0; t < turn; t++) {
      for (let i = 0; i < perTurn; i += 37) {
        const value = map.get(`t${t}:${i}`);
        if (value?.turn !== t || value.i !== i) throw new Error(`worker ${id}: t${t}:${i} is ${JSON.stringify(value)}`);
      }
    }
    if (map.get('from main') !== 'hello') throw new Error(`worker ${id}: the entry main wrote is missing`);
    for (let i = 0; i < perTurn; i++) map.set(`t${turn}:${i}`, { turn, i, by: id, text: 'x'.repeat(i % 40) });
    map.checkInvariants();
    stats = map.stats(); // inside the turn: no other worker writes now
    Atomics.store(turnWord, 0, turn + 1);
    Atomics.notify(turnWord, 0);
  }
  parentPort.postMessage({ id, stats });
} catch (error) {
  Atomics.store(turnWord, 0, -1);
  Atomics.notify(turnWord, 0);
  throw error;
}
