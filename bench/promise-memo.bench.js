// SafeMap.getOrCompute against the plain promise memo it is most often compared with:
//
//   const memo = new Map<K, Promise<V>>();
//   function get(key) { let p = memo.get(key); if (!p) { p = load(key); memo.set(key, p); } return p; }
//
// The same workloads as part 2 of safe-map.bench.js (every task asks for the same key at a time;
// missing keys are loaded once, present keys never), timed by the same code (safe-map.ops.js) and
// paired the same way (harness.js). docs/runtime.md quotes the results.
//
// Run after a build: `npm run build && node --expose-gc bench/promise-memo.bench.js` (`--quick`
// for a smoke run, written to a git-ignored .quick.tmp.json).
import {
  columns,
  comparePaired,
  importRuntime,
  machine,
  progressReporter,
  requireExposedGc,
  samplePairedWorkloads,
  times,
  writeResults,
} from './harness.js';
import { countingLoader, valueOf } from './safe-map.ops.js';

const quick = process.argv.includes('--quick');
const TASKS = [1, 10, 1000];
const KEYS = 1000;
const BUDGET = quick
  ? { warmupMs: 30, warmupSamples: 2, timeMs: 150, minSamples: 4, sampleMs: 2, startSize: 4, minSize: 2 }
  : { warmupMs: 300, warmupSamples: 5, timeMs: 2500, minSamples: 20, sampleMs: 5, startSize: 4, minSize: 2 };

requireExposedGc('promise-memo.bench.js');
const progress = progressReporter('promise-memo');
const { SafeMap } = await importRuntime(['SafeMap']);
const minorGc = () => global.gc({ type: 'minor' });
const sinks = [];

const keyName = (i) => `key:${i}`;
const MISS_KEYS = Array.from({ length: 1 << 16 }, (_, i) => keyName(i));
const PRESENT_KEYS = MISS_KEYS.slice(0, KEYS);

const CONTENDERS = [
  {
    id: 'safeMap',
    label: 'SafeMap.getOrCompute',
    create() {
      const { loads, load } = countingLoader();
      let map;
      return {
        loads,
        reset(present) {
          loads.clear();
          map = new SafeMap(present.map((key) => [key, valueOf(key)]));
        },
        call: (key) => map.getOrCompute(key, load),
        cached: (key) => map.get(key),
      };
    },
  },
  {
    id: 'promiseMemo',
    label: 'Map<K, Promise<V>> memo',
    create() {
      const { loads, load } = countingLoader();
      let memo;
      return {
        loads,
        reset(present) {
          loads.clear();
          memo = new Map(present.map((key) => [key, Promise.resolve(valueOf(key))]));
        },
        call(key) {
          let pending = memo.get(key);
          if (pending === undefined) {
            pending = load(key);
            memo.set(key, pending);
          }
          return pending;
        },
        // the memo holds promises: what a synchronous reader gets is a promise, settled or not
        cached: (key) => memo.get(key),
      };
    },
  },
];

/** Call j of each task asks for keys[j % keys.length]: every task asks for the same key at a time. */
function schedule(keys, tasks, perTask) {
  const out = new Array(tasks * perTask);
  for (let t = 0; t < tasks; t++) for (let j = 0; j < perTask; j++) out[t * perTask + j] = keys[j % keys.length];
  return out;
}

/** Throws unless the loader ran once per asked-for missing key and never for a present one. */
function checkLoads(label, instance, asked, present) {
  for (const [key, count] of instance.loads) {
    if (count !== 1 || present) throw new Error(`${label}: the loader ran ${count} times for ${key}`);
  }
  const loads = [...instance.loads.values()].reduce((a, b) => a + b, 0);
  if (loads !== (present ? 0 : asked.size)) throw new Error(`${label}: ${loads} loads for ${asked.size} keys`);
}

async function measure(present, tasks) {
  const keys = present ? PRESENT_KEYS : MISS_KEYS;
  const sides = [];
  for (const contender of CONTENDERS) {
    const ops = await import(new URL(`./safe-map.ops.js?part=memo-${present}-${tasks}&contender=${contender.id}`, import.meta.url).href);
    sinks.push(ops.readSink);
    const instance = contender.create();
    sides.push({
      id: contender.id,
      async sample(size) {
        const perTask = Math.min(size, MISS_KEYS.length);
        const asked = schedule(keys, tasks, perTask);
        instance.reset(present ? PRESENT_KEYS : []);
        minorGc();
        const ns = await ops.timeTasks(instance.call, asked, tasks, perTask);
        checkLoads(contender.label, instance, new Set(asked.slice(0, perTask)), present);
        return { ns, ops: asked.length };
      },
    });
  }
  return samplePairedWorkloads(sides, BUDGET);
}

const rows = [];
for (const present of [false, true]) {
  for (const tasks of TASKS) {
    const label = present ? 'present key' : 'missing key';
    progress(`${label}, ${tasks} callers`);
    const { samples } = await measure(present, tasks);
    const c = comparePaired([samples], 'safeMap', 'promiseMemo');
    rows.push({ workload: label, tasks, ns: { safeMap: c.subject, promiseMemo: c.baseline }, ratio: c.ratio, iqr: c.ratioIqr, pairs: c.pairs });
  }
}

const header = ['key', 'callers', 'SafeMap ns/call', 'memo ns/call', 'SafeMap/memo'];
const lines = rows.map((r) => [r.workload, String(r.tasks), String(r.ns.safeMap), String(r.ns.promiseMemo), `${times(r.ratio)} (IQR ${times(r.iqr[0])}–${times(r.iqr[1])})`]);
const table = columns(header, lines, new Set([1, 2, 3, 4]));
console.log(table.format(header));
console.log(table.rule);
for (const line of lines) console.log(table.format(line));
const file = writeResults('promise-memo', quick, {
  benchmark: 'SafeMap.getOrCompute vs a plain Map<K, Promise<V>> memo',
  quick,
  ...machine(),
  method: 'as part 2 of safe-map.bench.js: tasks started together, each awaiting perTask calls in turn; ns per completed call; paired samples, median of the per-pair ratios',
  rows,
});
console.log(`\nwritten to ${file}; sink ${sinks.reduce((sum, read) => sum + read(), 0)}`);
