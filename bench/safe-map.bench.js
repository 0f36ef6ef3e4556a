// SafeMap and ShardedMap against the libraries they replace, side by side in one process.
//
//   npm run bench:safe-map             about a minute on 2 cores
//   npm run bench:safe-map -- --quick  short budgets (a smoke run)
//
// Three comparisons, each printed as a table, written as JSON rows (bench/results/safe-map.json; a
// --quick run writes safe-map.quick.tmp.json, which git ignores) and ended by a Markdown table for
// the README between the safe-map-bench markers:
//
// 1. update: read-modify-write of a counter across an await (`await Promise.resolve()` between the
//    read and the write), by SafeMap.update, ShardedMap.update, one async-mutex Mutex around a Map
//    (`mutex.runExclusive(...)`) and async-lock per key (`lock.acquire(key, ...)`), under 1, 10 and
//    1,000 concurrent tasks, on one hot key and on 1,000 keys (each call picks one at random,
//    seeded). Target: SafeMap no slower than async-mutex and than async-lock.
// 2. getOrCompute: SafeMap.getOrCompute against lru-cache's fetch (with fetchMethod) and
//    p-memoize, 1, 10 and 1,000 concurrent callers asking for the same key at a time, once for
//    missing keys (single flight: the loader must run once per key) and once for present keys.
//    Target: no slower than lru-cache's fetch.
// 3. Uncontended synchronous get and set against native Map: go-map.ops.js's operations, integer
//    and string keys, 1e3 and 1e5 entries, measured exactly as bench/go-map.bench.js measures GoMap.
//    Target: get within 1.2× of Map.
//
// How it measures (go-map.bench.js explains paired sampling):
// - A sample of parts 1 and 2 is one workload: `tasks` tasks started together, each awaiting
//   `perTask` calls one after another (safe-map.ops.js); time per call is the workload's time over
//   tasks × perTask. The contenders take turns sample by sample, each going first in turn, and each
//   comparison is the median of the ratios of samples taken back to back. perTask is sized after
//   warm-up so that the slowest contender's sample lasts a few milliseconds (at least 2 calls per
//   task).
// - Fresh state for every sample, built untimed: a new map (counters at 0; for hits, every key
//   present; for misses, none), a new lock, a new cache. A minor GC before each timed workload, so
//   that no sample starts with another's garbage in the young generation.
// - Checked, not assumed. Before anything is timed, each contender runs the workloads with every
//   result checked: counters end exact, every caller gets its key's value, the loader runs once
//   per missing key and never on a hit. An unguarded Map under the same update workload must lose
//   updates, or the workload would not be testing the locks. Every timed sample is checked the same
//   way afterwards (untimed), so a contender that broke under load cannot report a time.
// - Promise hooks. On Node 20, AsyncLocalStorage.run (SafeMap uses it to refuse re-entry) turns on
//   promise hooks for the whole process, so every promise costs more while they are on, the
//   competitors' included. SafeMap keeps them on while a lock is held or waited for and switches
//   them off at the next turn of the event loop after (docs/runtime.md, "Cost";
//   bench/safe-map-hooks.bench.js measures that). This script never yields a turn from the checks
//   to the end, and the checks run SafeMap first, so every contender is timed in the same process
//   state, that of an application busy with SafeMap sections; the report gives the cost of an
//   `await` before and after.
// - Dead code. Every workload folds its results into a sink that is printed at the end.
import AsyncLock from 'async-lock';
import { Mutex } from 'async-mutex';
import { LRUCache } from 'lru-cache';
import pMemoize from 'p-memoize';
import {
  checkContents,
  columns,
  comparePaired,
  importRuntime,
  judge,
  KEY_KINDS,
  machine,
  median,
  progressReporter,
  random32,
  requireExposedGc,
  samplePairedCalls,
  samplePairedWorkloads,
  shuffled,
  times,
  writeResults,
} from './harness.js';
import { countingLoader, valueOf } from './safe-map.ops.js';

const quick = process.argv.includes('--quick');

const TASKS = [1, 10, 1000];
// The "many keys" workload of part 1 and the present keys of part 2's hits.
const MANY_KEYS = 1000;
const SYNC_SIZES = [1e3, 1e5];
const SYNC_ROUNDS = quick ? 2 : 3;
// Operations per call of the synchronous part (see go-map.bench.js).
const BATCH = 1000;

// The targets: SafeMap's time as a multiple of each baseline's.
const TARGETS = {
  update: { baselines: ['asyncMutex', 'asyncLock'], ratio: 1.0 },
  getOrCompute: { baselines: ['lruCacheFetch'], ratio: 1.0 },
  get: { baselines: ['map'], ratio: 1.2 },
};

/** Parts 1 and 2: warm-up, sampling, and the size of a sample (perTask, see the header). */
const ASYNC_BUDGET = quick
  ? { warmupMs: 30, warmupSamples: 2, timeMs: 150, minSamples: 4, sampleMs: 2, startSize: 4, minSize: 2 }
  : { warmupMs: 300, warmupSamples: 5, timeMs: 2500, minSamples: 20, sampleMs: 5, startSize: 4, minSize: 2 };
/** Part 3, per operation and round, as go-map.bench.js times its per-key operations. */
const SYNC_BUDGET = quick
  ? { warmupMs: 20, warmupCalls: 2, timeMs: 40, minSamples: 3, sampleMs: 0.5 }
  : { warmupMs: 50, warmupCalls: 10, timeMs: 350, minSamples: 10, sampleMs: 2 };

const progress = progressReporter('safe-map');

// ---------------------------------------------------------------------------------------------
// Setup

requireExposedGc('safe-map.bench.js');
const { SafeMap, ShardedMap } = await importRuntime(['SafeMap', 'ShardedMap']);
const minorGc = () => global.gc({ type: 'minor' });
const sinks = [];

/** A private copy of the workload code per contender (see safe-map.ops.js). */
async function workloadModule(part, contenderId) {
  const module = await import(new URL(`./safe-map.ops.js?part=${part}&contender=${contenderId}`, import.meta.url).href);
  sinks.push(module.readSink);
  return module;
}

/** Cost of one `await Promise.resolve()` in a loop, in ns: shows whether promise hooks are on. */
async function awaitCost() {
  const loop = async (n) => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += await Promise.resolve(i);
    return sum;
  };
  await loop(1e5);
  const runs = [];
  for (let r = 0; r < 5; r++) {
    const start = process.hrtime.bigint();
    await loop(2e5);
    runs.push(Number(process.hrtime.bigint() - start) / 2e5);
  }
  return median(runs);
}

const keyName = (i) => `key:${i}`;

// ---------------------------------------------------------------------------------------------
// Part 1: update

/** The read-modify-write that SafeMap.update and ShardedMap.update are given. */
async function incremented(count) {
  await Promise.resolve();
  return count + 1;
}

/** The same read-modify-write on a plain Map, for the locks to guard. */
async function increment(map, key) {
  const count = map.get(key);
  await Promise.resolve();
  map.set(key, count + 1);
  return count + 1;
}

/**
 * A read-modify-write contender. create() gives one instance whose state reset(keys) replaces
 * (every counter at 0); call(key) adds one to key's counter across an await and resolves to the new
 * count; count(key) reads a counter back.
 */
function guardedMapContender(id, label, MapClass) {
  return {
    id,
    label,
    create() {
      let map;
      return {
        reset(keys) {
          map = new MapClass(keys.map((key) => [key, 0]));
        },
        call: (key) => map.update(key, incremented),
        count: (key) => map.get(key),
      };
    },
  };
}

/** A Map guarded by a lock: newGuard() makes a fresh lock and returns (map, key) => locked increment. */
function lockedMapContender(id, label, newGuard) {
  return {
    id,
    label,
    create() {
      let map;
      let guard;
      return {
        reset(keys) {
          map = new Map(keys.map((key) => [key, 0]));
          guard = newGuard();
        },
        call: (key) => guard(map, key),
        count: (key) => map.get(key),
      };
    },
  };
}

const UPDATE_CONTENDERS = [
  guardedMapContender('safeMap', 'SafeMap', SafeMap),
  guardedMapContender('shardedMap', 'ShardedMap', ShardedMap),
  lockedMapContender('asyncMutex', 'async-mutex', () => {
    const mutex = new Mutex();
    return (map, key) => mutex.runExclusive(() => increment(map, key));
  }),
  lockedMapContender('asyncLock', 'async-lock', () => {
    // async-lock rejects a 1,001st waiter on one key by default.
    const lock = new AsyncLock({ maxPending: Infinity });
    return (map, key) => lock.acquire(key, () => increment(map, key));
  }),
];

/** The control: no lock at all, which loses updates when tasks overlap. */
const UNGUARDED = lockedMapContender('unguardedMap', 'Map without a lock', () => increment);

const UPDATE_WORKLOADS = [
  { id: 'hot-key', label: '1 hot key', keys: 1 },
  { id: 'many-keys', label: `${MANY_KEYS.toLocaleString('en-US')} keys`, keys: MANY_KEYS },
];

/** Which key each call of an update workload uses: always the one key, or one picked at random. */
function updateSchedule(keys, calls, seed) {
  if (keys.length === 1) return new Array(calls).fill(keys[0]);
  const next = random32(seed);
  return Array.from({ length: calls }, () => keys[next() % keys.length]);
}

/** How many updates the schedule makes to each key. */
function expectedCounts(keys, schedule) {
  const expected = new Map(keys.map((key) => [key, 0]));
  for (const key of schedule) expected.set(key, expected.get(key) + 1);
  return expected;
}

/** Throws unless every counter equals the number of calls the schedule made to its key. */
function checkCounts(label, instance, keys, schedule) {
  for (const [key, count] of expectedCounts(keys, schedule)) {
    const actual = instance.count(key);
    if (actual !== count) throw new Error(`${label}: counter ${key} is ${actual} after ${count} updates`);
  }
}

/** Counters lost by one untimed run of the workload, with every result checked. */
async function lostUpdates(contender, keys, tasks, perTask) {
  const instance = contender.create();
  instance.reset(keys);
  const schedule = updateSchedule(keys, tasks * perTask, tasks);
  const results = new Array(schedule.length);
  await Promise.all(
    Array.from({ length: tasks }, async (_, t) => {
      for (let i = t * perTask; i < (t + 1) * perTask; i++) results[i] = await instance.call(schedule[i]);
    }),
  );
  let lost = 0;
  for (const [key, count] of expectedCounts(keys, schedule)) lost += count - instance.count(key);
  // Each call's result is the count it wrote: with no update lost, every count appears once per key.
  const seen = new Set(schedule.map((key, i) => `${key}#${results[i]}`));
  if (lost === 0 && seen.size !== schedule.length) throw new Error(`${contender.label}: two updates returned the same count`);
  return lost;
}

async function checkUpdates() {
  for (const workload of UPDATE_WORKLOADS) {
    const keys = Array.from({ length: workload.keys }, (_, i) => keyName(i));
    for (const contender of UPDATE_CONTENDERS) {
      const lost = await lostUpdates(contender, keys, 100, 20);
      if (lost !== 0) throw new Error(`${contender.label}: lost ${lost} of 2000 updates (${workload.label})`);
    }
  }
  const lost = await lostUpdates(UNGUARDED, [keyName(0)], 100, 20);
  if (lost === 0) throw new Error('the unguarded control lost no update: the workload does not interleave tasks');
  return `${UNGUARDED.label} lost ${lost} of 2000 updates on 1 hot key, 100 tasks; every lock lost none`;
}

async function measureUpdate(workload, tasks) {
  const keys = Array.from({ length: workload.keys }, (_, i) => keyName(i));
  const schedules = new Map();
  const scheduleFor = (perTask) => {
    if (!schedules.has(perTask)) schedules.set(perTask, updateSchedule(keys, tasks * perTask, tasks * 7919 + perTask));
    return schedules.get(perTask);
  };
  const sides = [];
  for (const contender of UPDATE_CONTENDERS) {
    const { timeTasks } = await workloadModule(`update-${workload.id}-${tasks}`, contender.id);
    const instance = contender.create();
    sides.push({
      id: contender.id,
      async sample(perTask) {
        const schedule = scheduleFor(perTask);
        instance.reset(keys);
        minorGc();
        const ns = await timeTasks(instance.call, schedule, tasks, perTask);
        checkCounts(contender.label, instance, keys, schedule);
        return { ns, ops: schedule.length };
      },
    });
  }
  return samplePairedWorkloads(sides, ASYNC_BUDGET);
}

// ---------------------------------------------------------------------------------------------
// Part 2: getOrCompute

/**
 * The single-flight contenders. reset(capacity, present) builds a fresh cache holding `present`
 * keys; call(key) resolves to key's value, loading it when absent with `load`, which counts its
 * runs per key in `loads` and crosses an await like a real fetch.
 */

const GET_OR_COMPUTE_CONTENDERS = [
  {
    id: 'safeMap',
    label: 'SafeMap.getOrCompute',
    create() {
      const { loads, load } = countingLoader();
      let map;
      return {
        loads,
        reset(capacity, present) {
          loads.clear();
          map = new SafeMap(present.map((key) => [key, valueOf(key)]));
        },
        call: (key) => map.getOrCompute(key, load),
        cached: (key) => map.get(key),
      };
    },
  },
  {
    id: 'lruCacheFetch',
    label: 'lru-cache fetch',
    create() {
      const { loads, load } = countingLoader();
      const fetchMethod = (key) => load(key);
      let cache;
      return {
        loads,
        reset(capacity, present) {
          loads.clear();
          cache = new LRUCache({ max: capacity, fetchMethod });
          for (const key of present) cache.set(key, valueOf(key));
        },
        call: (key) => cache.fetch(key),
        cached: (key) => cache.get(key),
      };
    },
  },
  {
    id: 'pMemoize',
    label: 'p-memoize',
    create() {
      const { loads, load } = countingLoader();
      let cache;
      let memoized;
      return {
        loads,
        reset(capacity, present) {
          loads.clear();
          cache = new Map(present.map((key) => [key, valueOf(key)]));
          memoized = pMemoize(load, { cache });
        },
        call: (key) => memoized(key),
        cached: (key) => cache.get(key),
      };
    },
  },
];

const GET_OR_COMPUTE_WORKLOADS = [
  { id: 'miss', label: 'missing key', present: false },
  { id: 'hit', label: 'present key', present: true },
];

// Keys for the missing-key workload: a sample asks for perTask of them, so this caps perTask.
const MISS_KEYS = Array.from({ length: 1 << 16 }, (_, i) => keyName(i));
const PRESENT_KEYS = MISS_KEYS.slice(0, MANY_KEYS);

/**
 * Every task asks for the same key at a time: call j of each task is for keys[j % keys.length]. For
 * missing keys, perTask keys in all, each asked for by every task, so loads must be 1 per key.
 */
function computeSchedule(keys, tasks, perTask) {
  const schedule = new Array(tasks * perTask);
  for (let t = 0; t < tasks; t++) for (let j = 0; j < perTask; j++) schedule[t * perTask + j] = keys[j % keys.length];
  return schedule;
}

/** Throws unless the loader ran once per asked-for missing key (never on a hit) and values are cached. */
function checkLoads(label, instance, asked, present) {
  const expected = present ? 0 : asked.size;
  let loads = 0;
  for (const [key, count] of instance.loads) {
    if (count !== 1 || present) throw new Error(`${label}: the loader ran ${count} times for ${key}`);
    loads += count;
  }
  if (loads !== expected) throw new Error(`${label}: the loader ran ${loads} times for ${asked.size} keys, not ${expected}`);
  for (const key of asked) {
    if (instance.cached(key) !== valueOf(key)) throw new Error(`${label}: ${key} is cached as ${instance.cached(key)}`);
  }
}

async function checkGetOrCompute() {
  for (const contender of GET_OR_COMPUTE_CONTENDERS) {
    for (const workload of GET_OR_COMPUTE_WORKLOADS) {
      const instance = contender.create();
      const keys = PRESENT_KEYS.slice(0, 20);
      instance.reset(MANY_KEYS, workload.present ? PRESENT_KEYS : []);
      const schedule = computeSchedule(keys, 100, 20);
      const values = await Promise.all(schedule.map((key) => instance.call(key)));
      values.forEach((value, i) => {
        if (value !== valueOf(schedule[i])) throw new Error(`${contender.label}: a caller of ${schedule[i]} got ${value}`);
      });
      checkLoads(contender.label, instance, new Set(keys), workload.present);
    }
  }
  return 'every loader ran once per missing key for 100 concurrent callers, never on a hit';
}

async function measureGetOrCompute(workload, tasks) {
  const keys = workload.present ? PRESENT_KEYS : MISS_KEYS;
  const sides = [];
  for (const contender of GET_OR_COMPUTE_CONTENDERS) {
    const { timeTasks } = await workloadModule(`getOrCompute-${workload.id}-${tasks}`, contender.id);
    const instance = contender.create();
    sides.push({
      id: contender.id,
      async sample(size) {
        const perTask = Math.min(size, MISS_KEYS.length);
        const schedule = computeSchedule(keys, tasks, perTask);
        instance.reset(workload.present ? PRESENT_KEYS.length : perTask, workload.present ? PRESENT_KEYS : []);
        minorGc();
        const ns = await timeTasks(instance.call, schedule, tasks, perTask);
        checkLoads(contender.label, instance, new Set(schedule.slice(0, perTask)), workload.present);
        return { ns, ops: schedule.length };
      },
    });
  }
  return samplePairedWorkloads(sides, ASYNC_BUDGET);
}

// ---------------------------------------------------------------------------------------------
// Part 3: synchronous get and set


const SYNC_OPERATIONS = [
  { id: 'get-hit', label: 'get (hit)', target: 'get', task: (ops, f) => ops.get(f.full, f.hitOrder, BATCH) },
  { id: 'get-miss', label: 'get (miss)', target: 'get', task: (ops, f) => ops.get(f.full, f.missOrder, BATCH) },
  { id: 'set-overwrite', label: 'set (overwrite)', target: null, task: (ops, f) => ops.overwrite(f.full, f.hitOrder, BATCH) },
];

const SYNC_IMPLEMENTATIONS = [
  { id: 'map', MapClass: Map },
  { id: 'safeMap', MapClass: SafeMap },
];

/** A private copy of go-map.ops.js per (implementation, key type), as go-map.bench.js does. */
async function syncSideFor(implementation, keyKind) {
  const url = new URL(`./go-map.ops.js?impl=${implementation.id}&keys=${keyKind.id}`, import.meta.url);
  const module = await import(url.href);
  sinks.push(module.readSink);
  return { id: implementation.id, ops: module.operationsFor(implementation.MapClass), timeCalls: module.timeCalls };
}

// ---------------------------------------------------------------------------------------------
// Run

const started = process.hrtime.bigint();
const rows = [];

/** Time per call of every contender and the ratios of each subject to each baseline. */
function compareAll(samples, subjects, baselines) {
  const ns = {};
  const ratios = {};
  let pairs = 0;
  for (const subject of subjects) {
    for (const baseline of baselines) {
      const c = comparePaired([samples], subject, baseline);
      ns[subject] = c.subject;
      ns[baseline] = c.baseline;
      ratios[`${subject}/${baseline}`] = { ratio: c.ratio, exactRatio: c.exactRatio, iqr: c.ratioIqr };
      pairs = c.pairs;
    }
  }
  return { ns, ratios, pairs };
}

/** PASS when SafeMap meets the target against every baseline. */
function judgeAll(ratios, target) {
  const results = target.baselines.map((b) => judge(ratios[`safeMap/${b}`].exactRatio, target.ratio));
  return results.every((r) => r === 'PASS') ? 'PASS' : 'MISS';
}

const withoutExact = (ratios) =>
  Object.fromEntries(Object.entries(ratios).map(([pair, { ratio, iqr }]) => [pair, { ratio, iqr }]));

progress('await cost before SafeMap runs');
const awaitNsBefore = await awaitCost();
progress('checking every contender');
const checks = { update: await checkUpdates(), getOrCompute: await checkGetOrCompute() };
const awaitNsAfter = await awaitCost();

for (const workload of UPDATE_WORKLOADS) {
  for (const tasks of TASKS) {
    progress(`update, ${workload.label}, ${tasks} tasks`);
    const { samples, size } = await measureUpdate(workload, tasks);
    const { ns, ratios, pairs } = compareAll(samples, ['safeMap', 'shardedMap'], TARGETS.update.baselines);
    rows.push({
      part: 'update',
      workload: workload.id,
      label: workload.label,
      keys: workload.keys,
      tasks,
      unit: 'ns/op',
      callsPerSample: tasks * size,
      pairs,
      ns,
      ratios: withoutExact(ratios),
      target: TARGETS.update.ratio,
      result: judgeAll(ratios, TARGETS.update),
    });
  }
}

for (const workload of GET_OR_COMPUTE_WORKLOADS) {
  for (const tasks of TASKS) {
    progress(`getOrCompute, ${workload.label}, ${tasks} callers`);
    const { samples, size } = await measureGetOrCompute(workload, tasks);
    const { ns, ratios, pairs } = compareAll(samples, ['safeMap'], ['lruCacheFetch', 'pMemoize']);
    rows.push({
      part: 'getOrCompute',
      workload: workload.id,
      label: workload.label,
      tasks,
      unit: 'ns/op',
      callsPerSample: tasks * size,
      // Checked after every sample: one load per missing key whatever the number of callers.
      loadsPerKey: workload.present ? 0 : 1,
      pairs,
      ns,
      ratios: withoutExact(ratios),
      target: TARGETS.getOrCompute.ratio,
      result: judgeAll(ratios, TARGETS.getOrCompute),
    });
  }
}

for (const keyKind of KEY_KINDS) {
  const sides = [];
  for (const implementation of SYNC_IMPLEMENTATIONS) sides.push(await syncSideFor(implementation, keyKind));
  for (const n of SYNC_SIZES) {
    progress(`sync get/set, ${keyKind.id} keys, ${n.toLocaleString('en-US')} entries`);
    const keys = keyKind.keys(n);
    const hitOrder = shuffled(keys, n);
    const missOrder = shuffled(keyKind.absentKeys(n, Math.min(n, 1 << 16)), n + 1);
    const rounds = new Map(SYNC_OPERATIONS.map((operation) => [operation.id, []]));
    for (let round = 0; round < SYNC_ROUNDS; round++) {
      // Fresh maps for every round, built in alternating order, so that they land somewhere new.
      const fixtures = new Map();
      for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
        const full = side.ops.fill(keys, n);
        checkContents(side.id, full, keys, missOrder);
        fixtures.set(side.id, { full, hitOrder, missOrder });
      }
      for (const operation of SYNC_OPERATIONS) {
        const tasks = sides.map(({ id, ops, timeCalls }) => ({ id, timeCalls, task: operation.task(ops, fixtures.get(id)) }));
        rounds.get(operation.id).push(samplePairedCalls(tasks, SYNC_BUDGET));
      }
    }
    for (const operation of SYNC_OPERATIONS) {
      const c = comparePaired(rounds.get(operation.id), 'safeMap', 'map');
      const target = operation.target === null ? null : TARGETS[operation.target].ratio;
      rows.push({
        part: 'sync',
        keys: keyKind.id,
        size: n,
        operation: operation.id,
        label: operation.label,
        unit: 'ns/op',
        pairs: c.pairs,
        ns: { safeMap: c.subject, map: c.baseline },
        ratios: { 'safeMap/map': { ratio: c.ratio, iqr: c.ratioIqr } },
        rounds: c.rounds.map((r) => ({ safeMap: r.subject, map: r.baseline, ratio: r.ratio })),
        target,
        result: judge(c.exactRatio, target),
      });
    }
  }
}
const elapsedSeconds = Number(process.hrtime.bigint() - started) / 1e9;
progress(`done in ${elapsedSeconds.toFixed(0)} s`);

// ---------------------------------------------------------------------------------------------
// Report

const metadata = {
  benchmark: 'safe-map',
  quick,
  ...machine(),
  method: {
    async: 'tasks started together, each awaiting perTask calls in turn; ns per completed call; contenders take turns',
    ratio: 'median over pairs of back-to-back samples of subject / baseline; iqr: IQR of those ratios',
    sync: `as bench/go-map.bench.js: median over ${SYNC_ROUNDS} rounds (fresh maps each), ${BATCH} operations per call`,
    budget: { async: ASYNC_BUDGET, sync: SYNC_BUDGET },
  },
  checks,
  awaitNs: { beforeSafeMap: Number(awaitNsBefore.toFixed(1)), afterSafeMap: Number(awaitNsAfter.toFixed(1)) },
  targets: TARGETS,
};

const nanoseconds = (x) => `${x.toFixed(x < 10 ? 2 : x < 100 ? 1 : 0)} ns`;
const count = (n) => n.toLocaleString('en-US');
const goal = (target) => `≤ ${target.toFixed(1)}×`;

/** The three parts' tables: a title, then header and lines for each, shared by both reports. */
function tables() {
  const ratioOf = (r, pair) => times(r.ratios[pair].ratio);
  const iqrOf = (r, pair) => r.ratios[pair].iqr.map((x) => x.toFixed(2)).join('–');
  const update = rows.filter((r) => r.part === 'update');
  const compute = rows.filter((r) => r.part === 'getOrCompute');
  const sync = rows.filter((r) => r.part === 'sync');
  return [
    {
      title:
        'update: read-modify-write of a counter across an await; ns per completed update. ' +
        `Target: SafeMap ${goal(TARGETS.update.ratio)} async-mutex and async-lock.`,
      header: [
        ...['keys', 'tasks', 'SafeMap', 'ShardedMap', 'async-mutex', 'async-lock'],
        ...['SafeMap/async-mutex', 'SafeMap/async-lock', 'ShardedMap/async-mutex', 'ShardedMap/async-lock'],
        ...['result', 'IQR (SafeMap/async-mutex, /async-lock)'],
      ],
      rightAligned: new Set([1, 2, 3, 4, 5, 6, 7, 8, 9]),
      lines: update.map((r) => [
        r.label,
        count(r.tasks),
        ...['safeMap', 'shardedMap', 'asyncMutex', 'asyncLock'].map((id) => nanoseconds(r.ns[id])),
        ...['safeMap/asyncMutex', 'safeMap/asyncLock'].map((pair) => ratioOf(r, pair)),
        ...['shardedMap/asyncMutex', 'shardedMap/asyncLock'].map((pair) => ratioOf(r, pair)),
        r.result,
        `${iqrOf(r, 'safeMap/asyncMutex')}, ${iqrOf(r, 'safeMap/asyncLock')}`,
      ]),
    },
    {
      title:
        'getOrCompute: callers asking for the same key at a time; ns per call; the loader ran once per missing key in ' +
        `every sample. Target: SafeMap ${goal(TARGETS.getOrCompute.ratio)} lru-cache fetch.`,
      header: [
        ...['key', 'callers', 'SafeMap', 'lru-cache fetch', 'p-memoize', 'SafeMap/lru-cache', 'SafeMap/p-memoize'],
        ...['loads per key', 'result', 'IQR (SafeMap/lru-cache)'],
      ],
      rightAligned: new Set([1, 2, 3, 4, 5, 6, 7]),
      lines: compute.map((r) => [
        r.label,
        count(r.tasks),
        ...['safeMap', 'lruCacheFetch', 'pMemoize'].map((id) => nanoseconds(r.ns[id])),
        ratioOf(r, 'safeMap/lruCacheFetch'),
        ratioOf(r, 'safeMap/pMemoize'),
        String(r.loadsPerKey),
        r.result,
        iqrOf(r, 'safeMap/lruCacheFetch'),
      ]),
    },
    {
      title: `Synchronous get and set, uncontended; ns per operation. Target: get ${goal(TARGETS.get.ratio)} Map.`,
      header: ['keys', 'entries', 'operation', 'SafeMap', 'Map', 'SafeMap/Map', 'result', 'by round', 'IQR'],
      rightAligned: new Set([1, 3, 4, 5]),
      lines: sync.map((r) => [
        r.keys,
        count(r.size),
        r.label,
        nanoseconds(r.ns.safeMap),
        nanoseconds(r.ns.map),
        ratioOf(r, 'safeMap/map'),
        r.result ?? '',
        r.rounds.map((x) => x.ratio.toFixed(2)).join(' '),
        iqrOf(r, 'safeMap/map'),
      ]),
    },
  ];
}

function printTables() {
  console.log(
    'SafeMap vs async-mutex, async-lock, lru-cache, p-memoize and Map: ' +
      `Node ${metadata.node}, ${metadata.cpu}, ${metadata.cores} cores${quick ? ' (--quick)' : ''}`,
  );
  console.log('Ratios: median over pairs of back-to-back samples (contenders take turns); IQR: spread of those ratios.');
  console.log(`Checks: ${checks.update}; ${checks.getOrCompute}; every timed sample checked after.`);
  console.log(
    `One await costs ${metadata.awaitNs.beforeSafeMap} ns before SafeMap's first section and ` +
      `${metadata.awaitNs.afterSafeMap} ns after ` +
      '(AsyncLocalStorage turns on promise hooks process-wide while a lock is held, and until the next turn of the ' +
      'event loop; this script never yields one); every contender is timed after.',
  );
  for (const { title, header, rightAligned, lines } of tables()) {
    const { format, rule } = columns(header, lines, rightAligned);
    console.log(`\n${title}\n`);
    console.log(format(header));
    console.log(rule);
    lines.forEach((line, i) => {
      const previous = lines[i - 1];
      if (i > 0 && line[0] !== previous[0]) console.log('');
      console.log(format(line));
    });
  }
  const judged = rows.filter((r) => r.result !== null);
  console.log(`\n${judged.filter((r) => r.result === 'PASS').length}/${judged.length} targets met.`);
}

/** The README's view: the same three tables in Markdown, times in brackets. */
function markdownTable() {
  const md = (cells) => `| ${cells.join(' | ')} |`;
  const cell = (r, pair, subject, baseline) =>
    `${times(r.ratios[pair].ratio)} (${nanoseconds(r.ns[subject])} / ${nanoseconds(r.ns[baseline])})`;
  const out = [
    '<!-- safe-map-bench:start -->',
    "SafeMap's time as a multiple of each competitor's, median of paired samples; " +
      'in brackets SafeMap / competitor, per completed call. ' +
      `Node ${metadata.node}, ${metadata.cpu}, \`npm run bench:safe-map${quick ? ' -- --quick' : ''}\`. ` +
      `Correctness is checked in every sample: counters exact, one load per missing key.`,
    '',
    `**\`update\`** (read-modify-write across an \`await\`); target: SafeMap ${goal(TARGETS.update.ratio)} both locks.`,
    '',
    md(['Keys', 'Tasks', 'vs async-mutex', 'vs async-lock', 'Result', 'ShardedMap vs async-mutex', 'ShardedMap vs async-lock']),
    md(['---', '---:', '---:', '---:', '---', '---:', '---:']),
  ];
  for (const r of rows.filter((x) => x.part === 'update')) {
    out.push(
      md([
        r.label,
        count(r.tasks),
        cell(r, 'safeMap/asyncMutex', 'safeMap', 'asyncMutex'),
        cell(r, 'safeMap/asyncLock', 'safeMap', 'asyncLock'),
        r.result,
        cell(r, 'shardedMap/asyncMutex', 'shardedMap', 'asyncMutex'),
        cell(r, 'shardedMap/asyncLock', 'shardedMap', 'asyncLock'),
      ]),
    );
  }
  out.push(
    '',
    '**`getOrCompute`** (callers asking for the same key at a time); ' +
      `target: ${goal(TARGETS.getOrCompute.ratio)} lru-cache \`fetch\`.`,
    '',
    md(['Key', 'Callers', 'vs lru-cache `fetch`', 'Result', 'vs p-memoize']),
    md(['---', '---:', '---:', '---', '---:']),
  );
  for (const r of rows.filter((x) => x.part === 'getOrCompute')) {
    const vsLruCache = cell(r, 'safeMap/lruCacheFetch', 'safeMap', 'lruCacheFetch');
    out.push(md([r.label, count(r.tasks), vsLruCache, r.result, cell(r, 'safeMap/pMemoize', 'safeMap', 'pMemoize')]));
  }
  out.push('', `**Synchronous \`get\` / \`set\`**, uncontended; target: \`get\` ${goal(TARGETS.get.ratio)} \`Map\`.`, '');
  out.push(md(['Keys', 'Operation', ...SYNC_SIZES.map((n) => `${count(n)} entries`)]));
  out.push(md(['---', '---', ...SYNC_SIZES.map(() => '---:')]));
  for (const keyKind of KEY_KINDS) {
    for (const operation of SYNC_OPERATIONS) {
      const cells = SYNC_SIZES.map((n) => {
        const r = rows.find((x) => x.part === 'sync' && x.keys === keyKind.id && x.operation === operation.id && x.size === n);
        return `${cell(r, 'safeMap/map', 'safeMap', 'map')}${r.result ? ` ${r.result}` : ''}`;
      });
      out.push(md([keyKind.id, operation.label, ...cells]));
    }
  }
  out.push('<!-- safe-map-bench:end -->');
  return out.join('\n');
}

printTables();
const resultsFile = writeResults('safe-map', quick, { ...metadata, rows });
console.log(`\nRows written to ${resultsFile}`);
console.log(`Sink (keeps the measured work observable): ${sinks.reduce((sum, read) => (sum + read()) | 0, 0)}\n`);
console.log(markdownTable());
