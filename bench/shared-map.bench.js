// The shared-memory maps against the ways threads share a map without them: operations per second
// by thread count, on a 90/10 get/set mix.
//
//   npm run bench:shared-map                       about 3 minutes on 2 cores
//   npm run bench:shared-map -- --quick            a smoke run
//   npm run bench:shared-map -- --threads 1,2,4    other thread counts (more than the cores time-slice)
//   npm run bench:shared-map -- --sets 0           another share of sets, in percent (0: reads only,
//                                                  where GoMap.shared runs on every thread count too)
//
// Contenders (each thread runs the same seeded sequence of operations on every contender):
// - ShardedMap.shared, SafeMap.shared: the runtime's locked shared maps, get and set from every
//   thread (the threads attach the map's handle, as docs/runtime.md shows);
// - GoMap.shared: unguarded, like a Go map, so one thread only (a second writer would panic, by
//   design): the reference for what the locks cost;
// - the owner thread, the pattern people use today: one more thread owns a plain Map and answers
//   get/set requests over a MessagePort per client, one message and one reply per operation (no
//   batching, which would change the API the clients see). Measured twice: each operation awaits
//   the last (what `await map.get(key)` in a loop does), and with 16 requests in flight per client
//   (what a client that fires requests from concurrent tasks gets at best), so the target is
//   judged against the baseline's stronger form too. With k clients it uses k + 1 threads.
// - sharedmap (npm), a SharedArrayBuffer hash map with per-line locks: string keys and values only,
//   so integer keys go as their decimal strings and values come back as strings.
// - a Map per thread, not shared: each thread runs the same operations on a private Map. No
//   contender can scale better than this control; on a machine whose cores are busy with other
//   work, its own 2 / 1 ratio shows how much a second thread could gain at all.
//
// A measurement: the main thread builds a fresh map of 10,000 keys (integer or `key:i` strings,
// value = index) and starts k worker threads that attach it and warm up on it; the workers wait
// at a barrier (Atomics.wait on a SharedArrayBuffer), the main thread releases them all at once,
// each runs its fixed count of operations (90% get, 10% set of a key drawn uniformly) and notes
// when it finished. ops/s = k × count / (last finish − release). Every get checks its value (see
// shared-map.worker.js) and the map is checked after the run; a measurement with one wrong value
// is an error, not a number.
//
// The count per worker is set once per contender by a calibration run (one thread, integer keys)
// so that a one-thread measurement lasts about MEASURE_MS; it stays fixed for every round and
// thread count. A round measures every contender × key kind × thread count once, in an order
// rotated round by round; each figure is the median over rounds, and each ratio (2 threads / 1,
// ShardedMap / owner thread) is the median of the ratios of measurements made in the same round.
// The machine's cores are shared with whatever else runs: the load average is reported. On busy
// cores, 2 / 1 measures the machine more than the map (the unshared control shows how much), so
// the table adds 2 / 1 by CPU time: k × (process CPU time per operation with 1 thread) / (with k
// threads), the speed-up k free cores would give if each operation cost what it cost here.
// Contention that burns CPU (cache lines bouncing between cores, atomics retried, spinning) shows
// in it; time asleep in Atomics.wait does not, so it is an upper bound, not the target's measure.
import { MessageChannel, Worker } from 'node:worker_threads';
import os from 'node:os';
import { columns, KEY_KINDS, machine, median, positiveInt, progressReporter, random32, round4, times, writeResults } from './harness.js';

const quick = process.argv.includes('--quick');
const threadsFlag = process.argv.indexOf('--threads');
const cores = os.availableParallelism();
const THREADS =
  threadsFlag === -1
    ? Array.from({ length: Math.max(2, cores) }, (_, i) => i + 1).filter((k) => k <= 2 || k === cores || k % 2 === 0)
    : (process.argv[threadsFlag + 1] ?? '').split(',').map((text) => positiveInt('--threads', text));
const ROUNDS = quick ? 2 : 5;
const MEASURE_MS = quick ? 60 : 250;
const KEY_COUNT = 10_000;
const WARMUP_OPS = { sync: 50_000, owner: 2000 };
/** At most this many operations per worker (8 MB of them), whatever the calibration says. */
const MAX_OPS = 2_000_000;
const setsFlag = process.argv.indexOf('--sets');
const SET_PERCENT = setsFlag === -1 ? 10 : Number(process.argv[setsFlag + 1]);
if (!(Number.isInteger(SET_PERCENT) && SET_PERCENT >= 0 && SET_PERCENT <= 100)) {
  console.error(`--sets takes a percentage from 0 to 100, not ${process.argv[setsFlag + 1]}`);
  process.exit(1);
}
const SET_SHARE = SET_PERCENT / 100;
const TARGETS = { vsOwner: 20, scaling: 1.6 };
const RUNTIME = new URL('../dist/runtime/index.js', import.meta.url).href;

const progress = progressReporter('shared-map');

// ---------------------------------------------------------------------------------------------
// Contenders

const runtime = await import(RUNTIME).catch((error) => {
  console.error(`cannot import dist/runtime/index.js (${error.message}): run \`npm run build\` first.`);
  process.exit(1);
});

/** Why a contender cannot run here, or undefined when it can. */
function runtimeMissing(type) {
  return typeof runtime[type]?.shared === 'function' && typeof runtime[type]?.attach === 'function'
    ? undefined
    : `dist/runtime/index.js has no ${type}.shared / ${type}.attach`;
}

async function sharedmapMissing() {
  try {
    const { default: SharedMap } = await import('sharedmap');
    const probe = new SharedMap(64, 32, 16);
    probe.set('1', 1);
    return probe.get('1') === '1' ? undefined : `sharedmap's probe read back ${probe.get('1')}`;
  } catch (error) {
    return `sharedmap did not load (${error.message}); \`npm i -D sharedmap\``;
  }
}

const CONTENDERS = [
  { id: 'ShardedMap.shared', kind: 'runtime', type: 'ShardedMap', runtime: RUNTIME, missing: runtimeMissing('ShardedMap') },
  { id: 'SafeMap.shared', kind: 'runtime', type: 'SafeMap', runtime: RUNTIME, missing: runtimeMissing('SafeMap') },
  SET_SHARE === 0
    ? { id: 'GoMap.shared (readers only)', kind: 'runtime', type: 'GoMap', runtime: RUNTIME, missing: runtimeMissing('GoMap') }
    : { id: 'GoMap.shared (1 writer)', kind: 'runtime', type: 'GoMap', runtime: RUNTIME, singleThread: true, missing: runtimeMissing('GoMap') },
  { id: 'owner thread, 1 in flight', kind: 'owner', depth: 1 },
  { id: 'owner thread, 16 in flight', kind: 'owner', depth: 16 },
  { id: 'sharedmap (npm)', kind: 'sharedmap', missing: await sharedmapMissing() },
  { id: 'Map per thread (not shared)', kind: 'private' },
];
const OWNER_IDS = CONTENDERS.filter((c) => c.kind === 'owner').map((c) => c.id);
const running = CONTENDERS.filter((c) => c.missing === undefined);

// ---------------------------------------------------------------------------------------------
// One measurement

/** Operations per worker: (keyIndex << 1) | isSet, the same for every contender (seeded per worker). */
const opsCache = new Map();
function operations(worker, count) {
  const cacheKey = `${worker}:${count}`;
  let ops = opsCache.get(cacheKey);
  if (ops === undefined) {
    const next = random32(0x5eed + 7919 * worker);
    const setBelow = Math.round(SET_SHARE * 2 ** 32);
    ops = new Uint32Array(count);
    for (let i = 0; i < count; i++) ops[i] = ((next() % KEY_COUNT) << 1) | (next() < setBelow ? 1 : 0);
    opsCache.set(cacheKey, ops);
  }
  return ops;
}

const keyOf = (keyKind, i) => (keyKind === 'integer' ? i : `key:${i}`);

function onceMessage(worker, what) {
  return new Promise((resolve, reject) => {
    const onMessage = (message) => {
      worker.off('error', reject);
      resolve(message);
    };
    worker.once('message', onMessage);
    worker.once('error', (error) => {
      worker.off('message', onMessage);
      reject(new Error(`${what}: ${error.stack ?? error}`));
    });
  });
}

/**
 * The map under test, filled with keys 0..KEY_COUNT-1 (value = index); what each worker attaches
 * (`targets[i]`, and the transfer list for it); and how to check and dispose of it after the run.
 */
async function setUp(contender, keyKind, threads) {
  switch (contender.kind) {
    case 'runtime': {
      const map = runtime[contender.type].shared({ name: `bench ${contender.type}`, hint: KEY_COUNT });
      for (let i = 0; i < KEY_COUNT; i++) map.set(keyOf(keyKind, i), i);
      return { targets: Array(threads).fill(map.handle), transfer: () => [], check: () => checkMap(contender.id, map, keyKind), dispose: async () => {} };
    }
    case 'sharedmap': {
      const { default: SharedMap } = await import('sharedmap');
      // 16,384 lines for 10,000 keys (61% full); keys up to 32 UTF-16 units, values up to 16.
      const map = new SharedMap(16_384, 32, 16);
      for (let i = 0; i < KEY_COUNT; i++) map.set(String(keyOf(keyKind, i)), i);
      const check = () => checkMap(contender.id, { get: (key) => Number(map.get(String(key))), size: map.length }, keyKind);
      return { targets: Array(threads).fill(map), transfer: () => [], check, dispose: async () => {} };
    }
    case 'private':
      return { targets: Array(threads).fill(null), transfer: () => [], check: () => {}, dispose: async () => {} };
    case 'owner': {
      const owner = new Worker(new URL('./shared-map.owner.js', import.meta.url), { workerData: { keyKind, keyCount: KEY_COUNT } });
      const channels = Array.from({ length: threads }, () => new MessageChannel());
      const ready = onceMessage(owner, 'owner thread');
      const ports = channels.map((c) => c.port1);
      owner.postMessage({ ports }, ports);
      await ready;
      return {
        targets: channels.map((c) => c.port2),
        transfer: (target) => [target],
        check: () => {},
        dispose: () => owner.terminate(),
      };
    }
    default:
      throw new TypeError(`unknown contender kind ${contender.kind}`);
  }
}

/** A fast wrong answer is no result: every key present, every value congruent to its index. */
function checkMap(id, map, keyKind) {
  if (map.size !== KEY_COUNT) throw new Error(`${id}: size is ${map.size} after the run, not ${KEY_COUNT}`);
  for (let i = 0; i < KEY_COUNT; i++) {
    const value = map.get(keyOf(keyKind, i));
    if (value % KEY_COUNT !== i) throw new Error(`${id}: get(${String(keyOf(keyKind, i))}) is ${value} after the run`);
  }
}

/**
 * One measurement of `threads` workers running `perWorker` operations each: ops/s, and the
 * process's CPU time per operation from the release to the end (every thread's: the workers', an
 * owner thread's, V8's helpers'; the main thread only waits).
 */
async function measure(contender, keyKind, threads, perWorker) {
  const { targets, transfer, check, dispose } = await setUp(contender, keyKind, threads);
  const control = new Int32Array(new SharedArrayBuffer(4));
  // Enough for V8 to optimize the worker's loop: about half a measurement, at least WARMUP_OPS.
  const warmup = Math.max(contender.kind === 'owner' ? WARMUP_OPS.owner : WARMUP_OPS.sync, Math.floor(perWorker / 2));
  const workers = targets.map(
    (target, worker) =>
      new Worker(new URL('./shared-map.worker.js', import.meta.url), {
        workerData: { contender, keyKind, keyCount: KEY_COUNT, worker, ops: operations(worker, perWorker), warmup, control, target },
        transferList: transfer(target),
      }),
  );
  try {
    await Promise.all(workers.map((w, i) => onceMessage(w, `${contender.id} worker ${i} (warm-up)`)));
    const done = workers.map((w, i) => onceMessage(w, `${contender.id} worker ${i}`));
    const cpuAtRelease = process.cpuUsage();
    const released = process.hrtime.bigint();
    Atomics.store(control, 0, 1);
    Atomics.notify(control, 0);
    const results = await Promise.all(done);
    const last = results.reduce((max, r) => (r.finished > max ? r.finished : max), released);
    const badReads = results.reduce((sum, r) => sum + r.badReads, 0);
    if (badReads > 0) throw new Error(`${contender.id}: ${badReads} gets returned a value another key was given, or none`);
    check();
    const cpu = process.cpuUsage(cpuAtRelease);
    return { opsPerSecond: (threads * perWorker) / (Number(last - released) / 1e9), cpuNsPerOp: ((cpu.user + cpu.system) * 1000) / (threads * perWorker) };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
    await dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// Rounds

const threadsOf = (contender) => (contender.singleThread ? THREADS.filter((k) => k === 1) : THREADS);

async function calibrate() {
  const perWorker = {};
  for (const contender of running) {
    const start = contender.kind === 'owner' ? 2000 : 50_000;
    const { opsPerSecond } = await measure(contender, 'integer', 1, start);
    perWorker[contender.id] = Math.min(MAX_OPS, Math.max(1000, Math.round((opsPerSecond * MEASURE_MS) / 1000)));
    progress(`calibrated ${contender.id}: ${perWorker[contender.id]} ops per worker`);
  }
  return perWorker;
}

const loadBefore = os.loadavg();
progress(`${cores} cores; threads ${THREADS.join(', ')}; ${ROUNDS} rounds; skipped: ${CONTENDERS.filter((c) => c.missing).map((c) => c.id).join(', ') || 'none'}`);
const perWorker = await calibrate();
const configs = running.flatMap((contender) => KEY_KINDS.flatMap(({ id: keyKind }) => threadsOf(contender).map((threads) => ({ contender, keyKind, threads }))));
/** opsPerSecond[contender][keyKind][threads] = one figure per round; cpuNsPerOp likewise. */
const opsPerSecond = {};
const cpuNsPerOp = {};
for (let round = 0; round < ROUNDS; round++) {
  progress(`round ${round + 1}/${ROUNDS}`);
  const shift = Math.floor((round * configs.length) / ROUNDS);
  for (const { contender, keyKind, threads } of [...configs.slice(shift), ...configs.slice(0, shift)]) {
    const figure = await measure(contender, keyKind, threads, perWorker[contender.id]);
    (((opsPerSecond[contender.id] ??= {})[keyKind] ??= {})[threads] ??= [])[round] = figure.opsPerSecond;
    (((cpuNsPerOp[contender.id] ??= {})[keyKind] ??= {})[threads] ??= [])[round] = figure.cpuNsPerOp;
  }
}
const loadAfter = os.loadavg();

// ---------------------------------------------------------------------------------------------
// Report

const figures = (id, keyKind, threads) => opsPerSecond[id]?.[keyKind]?.[threads];
/** The median over rounds of a / b, each ratio taken within one round. */
function pairedRatio(a, b) {
  if (a === undefined || b === undefined) return undefined;
  return median(a.map((x, round) => x / b[round]));
}

const rows = [];
for (const { id: keyKind } of KEY_KINDS) {
  for (const contender of running) {
    const row = { keyKind, contender: contender.id, opsPerSecond: {}, vsOneThread: {}, byCpuTime: {} };
    for (const threads of threadsOf(contender)) {
      row.opsPerSecond[threads] = Math.round(median(figures(contender.id, keyKind, threads)));
      if (threads > 1) {
        row.vsOneThread[threads] = round4(pairedRatio(figures(contender.id, keyKind, threads), figures(contender.id, keyKind, 1)));
        const cpu = cpuNsPerOp[contender.id][keyKind];
        row.byCpuTime[threads] = round4(threads * pairedRatio(cpu[1], cpu[threads]));
      }
    }
    rows.push(row);
  }
}

const judgements = [];
const judge = (what, ratio, target) => {
  if (ratio === undefined) return;
  judgements.push({ what, ratio: round4(ratio), target, result: ratio >= target ? 'PASS' : 'MISS' });
};
for (const { id: keyKind } of KEY_KINDS) {
  for (const threads of THREADS) {
    for (const owner of OWNER_IDS) {
      judge(
        `ShardedMap.shared / ${owner}, ${keyKind} keys, ${threads} thread${threads > 1 ? 's' : ''}`,
        pairedRatio(figures('ShardedMap.shared', keyKind, threads), figures(owner, keyKind, threads)),
        TARGETS.vsOwner,
      );
    }
  }
  for (const id of ['ShardedMap.shared', 'SafeMap.shared']) {
    judge(`${id} 2 threads / 1 thread, ${keyKind} keys`, pairedRatio(figures(id, keyKind, 2), figures(id, keyKind, 1)), TARGETS.scaling);
  }
}

/** What a second thread could gain at all on this machine now: the unshared control's 2 / 1. */
const CONTROL = 'Map per thread (not shared)';
const ceiling = KEY_KINDS.map(({ id: keyKind }) => ({ keyKind, ratio: pairedRatio(figures(CONTROL, keyKind, 2), figures(CONTROL, keyKind, 1)) })).filter((c) => c.ratio !== undefined);
const ceilingLine =
  ceiling.length === 0
    ? undefined
    : `machine's ceiling, ${CONTROL} 2 threads / 1 thread: ${ceiling.map((c) => `${times(c.ratio)} (${c.keyKind} keys)`).join(', ')}` +
      (ceiling.some((c) => c.ratio < TARGETS.scaling) ? ` — below ${TARGETS.scaling}×: the cores were not free, so no map could meet the scaling target in this run` : '');

const count = (n) => n.toLocaleString('en-US');
const metadata = {
  ...machine(),
  loadAverage: { before: loadBefore.map(round4), after: loadAfter.map(round4) },
  threads: THREADS,
  rounds: ROUNDS,
  keyCount: KEY_COUNT,
  setShare: SET_SHARE,
  opsPerWorker: perWorker,
  skipped: CONTENDERS.filter((c) => c.missing !== undefined).map((c) => ({ contender: c.id, why: c.missing })),
};

const command = `npm run bench:shared-map${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
const load = (l) => l.map((x) => x.toFixed(2)).join(' ');
console.log(
  `Operations per second on a map shared by worker threads, ${count(KEY_COUNT)} keys, ${100 - SET_PERCENT}% get / ${SET_PERCENT}% set, ` +
    `median of ${ROUNDS} rounds. ${cores} cores (os.availableParallelism()): ${THREADS.some((k) => k > cores) ? 'thread counts above it time-slice' : `thread counts ${THREADS.join(', ')}`}; ` +
    `the owner-thread pattern uses one more thread than its clients. Load average ${load(loadBefore)} before, ${load(loadAfter)} after (other work shared the cores).`,
);
for (const skipped of metadata.skipped) console.log(`not measured: ${skipped.contender}: ${skipped.why}`);
const header = ['keys', 'contender', ...THREADS.map((k) => `${k} thread${k > 1 ? 's' : ''}`), ...THREADS.filter((k) => k > 1).map((k) => `${k} / 1`), ...THREADS.filter((k) => k > 1).map((k) => `${k} / 1 by CPU time`)];
const lines = rows.map((row) => [
  row.keyKind,
  row.contender,
  ...THREADS.map((k) => (row.opsPerSecond[k] === undefined ? '-' : count(row.opsPerSecond[k]))),
  ...THREADS.filter((k) => k > 1).map((k) => (row.vsOneThread[k] === undefined ? '-' : times(row.vsOneThread[k]))),
  ...THREADS.filter((k) => k > 1).map((k) => (row.byCpuTime[k] === undefined ? '-' : times(row.byCpuTime[k]))),
]);
const { format, rule } = columns(header, lines, new Set(header.map((_, i) => i).filter((i) => i >= 2)));
console.log('');
console.log(format(header));
console.log(rule);
lines.forEach((line, i) => {
  if (i > 0 && line[0] !== lines[i - 1][0]) console.log('');
  console.log(format(line));
});
console.log('');
for (const j of judgements) console.log(`target ${j.what} ≥ ${j.target}×: ${times(j.ratio)} ${j.result}`);
if (ceilingLine !== undefined) console.log(ceilingLine);
if (judgements.length === 0) console.log('targets: not judged (ShardedMap.shared / SafeMap.shared not measured)');

// The README's view.
const md = (cells) => `| ${cells.join(' | ')} |`;
console.log('');
console.log('<!-- shared-map-bench:start -->');
console.log(
  `Operations per second (median of ${ROUNDS} rounds), ${count(KEY_COUNT)} keys, ${100 - SET_PERCENT}% get / ${SET_PERCENT}% set; ` +
    `2 / 1 is the median of the per-round ratios, so it need not equal the ratio of the medians; ` +
    `2 / 1 by CPU time is 2 × (CPU time per operation with 1 thread) / (with 2), what a second free core would give if the ` +
    `CPU time per operation stayed as measured (time asleep waiting for a lock is not CPU time, so it is an upper bound). ` +
    `Node ${metadata.node}, ${metadata.cpu}, ${cores} cores, load average ${load(loadBefore)} at the start, \`${command}\`.`,
);
console.log('');
console.log(md(header.map((h, i) => (i === 0 ? 'Keys' : i === 1 ? 'Map' : h))));
console.log(md(header.map((_, i) => (i < 2 ? '---' : '---:'))));
for (const line of lines) console.log(md(line));
console.log('');
for (const j of judgements) console.log(`- ${j.what}: ${times(j.ratio)} (target ≥ ${j.target}×) **${j.result}**`);
if (ceilingLine !== undefined) console.log(`- ${ceilingLine}`);
console.log('<!-- shared-map-bench:end -->');

// Another mix is another benchmark: it never replaces the 90/10 results.
const file = writeResults(SET_PERCENT === 10 ? 'shared-map' : `shared-map.sets-${SET_PERCENT}`, quick, { ...metadata, rows, judgements, ceiling, opsPerSecond, cpuNsPerOp });
progress(`wrote ${file}`);
