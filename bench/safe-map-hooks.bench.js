// What SafeMap's re-entry check costs the rest of the process: the price of one `await` before
// any SafeMap lock, while a lock is held, and once every lock was released.
//
//   npm run bench:safe-map-hooks             about 20 seconds
//   npm run bench:safe-map-hooks -- --quick  fewer samples (a smoke run)
//
// SafeMap refuses re-entry (ERR_LOCK_REENTRY) by keeping the sections of each async context in an
// AsyncLocalStorage. On Node 20 an enabled AsyncLocalStorage installs promise hooks for the whole
// process, so every promise, SafeMap's or not, costs more while it is on. SafeMap switches its
// storage on when a lock is first held or waited for, and off (AsyncLocalStorage.disable(), after
// which Node removes the hooks when no other storage is enabled) at the next turn of the event
// loop after the last lock was released (docs/runtime.md, SafeMap, "Cost").
//
// How it measures: a sample is a loop of 1e6 `await null` in one async function, timed with
// hrtime, in ns per await. First, samples before anything touched a SafeMap lock. Then rounds of
// paired samples, the two states taking turns and each going first in turn: "held" (a lock()
// handle is held and bound, so the storage is on) and "released" (the handle was released and a
// turn of the event loop has passed, so it is off again); the ratio is the median of the ratios of
// samples taken back to back. Each state is checked, not assumed: a probe reads
// executionAsyncId() after an await, which is 0 when no promise hook tracks it.
//
// Then the reason the switch-off waits for a turn: one switch off and on (disable() then
// enterWith(), on a storage of the script's own) against one uncontended `await map.update(...)`,
// both in ns per call, paired the same way.
import { AsyncLocalStorage, executionAsyncId } from 'node:async_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { columns, comparePaired, importRuntime, machine, median, progressReporter, rotations, round4, writeResults } from './harness.js';

const quick = process.argv.includes('--quick');
const AWAITS = 1e6;
const SAMPLES = quick ? 3 : 7;
const PAIRS = quick ? 4 : 12;
const SWITCHES = 1e5;

const progress = progressReporter('safe-map-hooks');
const { SafeMap } = await importRuntime(['SafeMap']);

async function awaitLoop(n) {
  for (let i = 0; i < n; i++) await null;
}

/** ns per `await null` over one loop of AWAITS. */
async function sampleAwait() {
  const start = process.hrtime.bigint();
  await awaitLoop(AWAITS);
  return Number(process.hrtime.bigint() - start) / AWAITS;
}

/** Whether promise hooks track continuations now: an untracked one runs with async id 0. */
async function promiseHooksOn() {
  await null;
  return executionAsyncId() !== 0;
}

const states = {};
function record(id, hooksOn) {
  states[id] ??= { hooksOn, samples: [] };
  if (states[id].hooksOn !== hooksOn) throw new Error(`promise hooks were ${hooksOn ? 'on' : 'off'} in one '${id}' sample and not in another`);
}

// ---- before any SafeMap lock ------------------------------------------------------------------

progress('await cost before any SafeMap lock');
await awaitLoop(2e5); // warm-up
const before = [];
record('before', await promiseHooksOn());
for (let i = 0; i < SAMPLES; i++) before.push(await sampleAwait());

// ---- held and released, taking turns ----------------------------------------------------------

progress('await cost while a lock is held and after it was released, taking turns');
const map = new SafeMap([['k', 0]]);
const sides = {
  async held() {
    const lock = await map.lock('k');
    lock.view.set('k', lock.view.get('k') + 1); // bound to this task, as `using` would
    record('held', await promiseHooksOn());
    const ns = await sampleAwait();
    lock.release();
    return ns;
  },
  async released() {
    await nextTurn(); // the turn that switches the storage off
    record('released', await promiseHooksOn());
    return sampleAwait();
  },
};
await sides.held(); // warm-up of both states
await sides.released();
const pairedAwaits = { held: [], released: [] };
for (const order of rotations(['held', 'released'], (i) => i < PAIRS)) {
  for (const id of order) pairedAwaits[id].push(await sides[id]());
}
if (map.get('k') !== PAIRS + 1) throw new Error(`the held side locked ${map.get('k')} times, expected ${PAIRS + 1}`);
const awaitComparison = comparePaired([pairedAwaits], 'held', 'released');

// ---- why the switch-off waits for a turn ------------------------------------------------------

progress('one switch off and on against one uncontended update');
await nextTurn();
const own = new AsyncLocalStorage();
const switchPairs = { switch: [], update: [] };
const counter = new SafeMap([['n', 0]]);
const switchSides = {
  async switch() {
    await nextTurn(); // SafeMap's storage is off: disable() removes the hooks, enterWith() installs them
    const start = process.hrtime.bigint();
    for (let i = 0; i < SWITCHES; i++) {
      own.enterWith(i);
      own.disable();
    }
    return Number(process.hrtime.bigint() - start) / SWITCHES;
  },
  async update() {
    await nextTurn(); // the storage is off: the first update switches it on, as in an application
    const start = process.hrtime.bigint();
    for (let i = 0; i < SWITCHES; i++) await counter.update('n', (n) => n + 1);
    return Number(process.hrtime.bigint() - start) / SWITCHES;
  },
};
for (const id of ['switch', 'update']) await switchSides[id](); // warm-up
for (const order of rotations(['switch', 'update'], (i) => i < (quick ? 2 : 6))) {
  for (const id of order) switchPairs[id].push(await switchSides[id]());
}
const switchComparison = comparePaired([switchPairs], 'switch', 'update');

// ---- report ----------------------------------------------------------------------------------

const rows = [
  { state: 'before any SafeMap lock', nsPerAwait: round4(median(before)), hooksOn: states.before.hooksOn },
  { state: 'while a lock is held', nsPerAwait: awaitComparison.subject, hooksOn: states.held.hooksOn },
  { state: 'after release (next turn)', nsPerAwait: awaitComparison.baseline, hooksOn: states.released.hooksOn },
];
const metadata = { ...machine(), awaitsPerSample: AWAITS, samplesBefore: SAMPLES, pairs: PAIRS };

console.log(`SafeMap's re-entry storage and the cost of an await: Node ${metadata.node}, ${metadata.cpu}, ${metadata.cores} cores${quick ? ' (--quick)' : ''}`);
console.log(`A sample is a loop of ${AWAITS.toExponential(0)} \`await null\`; held and released take turns (${PAIRS} pairs).\n`);
{
  const header = ['state', 'ns per await', 'promise hooks'];
  const lines = rows.map((row) => [row.state, row.nsPerAwait.toFixed(1), row.hooksOn ? 'on' : 'off']);
  const { format, rule } = columns(header, lines, new Set([1]));
  console.log(format(header));
  console.log(rule);
  for (const line of lines) console.log(format(line));
}
console.log(
  `\nheld / released: ${awaitComparison.ratio.toFixed(2)}× (median of paired ratios, IQR ` +
    `${awaitComparison.ratioIqr[0].toFixed(2)}–${awaitComparison.ratioIqr[1].toFixed(2)})`,
);
console.log(
  `one switch off and on: ${switchComparison.subject.toFixed(0)} ns; one uncontended await map.update(): ` +
    `${switchComparison.baseline.toFixed(0)} ns (switch / update ${switchComparison.ratio.toFixed(2)}×, paired)`,
);

const file = writeResults('safe-map-hooks', quick, {
  ...metadata,
  rows,
  heldOverReleased: { ratio: awaitComparison.ratio, iqr: awaitComparison.ratioIqr },
  switchNs: switchComparison.subject,
  updateNs: switchComparison.baseline,
  switchOverUpdate: switchComparison.ratio,
});
progress(`wrote ${file}`);
