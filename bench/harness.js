// What the benchmark scripts in bench/ share: setup checks, garbage collection, deterministic key
// orders, paired sampling, the statistics of paired ratios, and the report's table and JSON file.
//
// Paired sampling is the method of every script here (go-map.bench.js explains why): the sides
// being compared take turns sample by sample, a few milliseconds apart, each sample going first in
// turn, and a comparison is the median of the ratios of samples taken back to back.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';

/** Exits with a hint unless node runs with --expose-gc (the scripts collect between measurements). */
export function requireExposedGc(script) {
  if (typeof global.gc === 'function') return;
  console.error(`${script} needs a full GC between measurements: run it with \`node --expose-gc\`.`);
  process.exit(1);
}

/** The built runtime (dist/runtime/index.js); exits with a hint when an export is missing. */
export async function importRuntime(names) {
  const runtime = await import(new URL('../dist/runtime/index.js', import.meta.url));
  for (const name of names) {
    if (typeof runtime[name] !== 'function') {
      console.error(`dist/runtime/index.js does not export ${name}: run \`npm run build\` first.`);
      process.exit(1);
    }
  }
  return runtime;
}

/** The value of a command-line flag that takes a positive integer; exits with a message otherwise. */
export function positiveInt(flag, text) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`${flag} takes a positive integer, not ${text}`);
    process.exit(1);
  }
  return n;
}

/** A progress line on stderr, so that stdout holds only the report. */
export function progressReporter(benchmark) {
  return (message) => process.stderr.write(`[${benchmark} bench] ${message}\n`);
}

export function collectGarbage() {
  global.gc();
  global.gc();
}

/** The node, V8 and machine a report was measured on. */
export function machine() {
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform}-${process.arch}`,
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
  };
}

// ---------------------------------------------------------------------------------------------
// Keys

/** A deterministic PRNG (mulberry32), so that every run walks the same key orders. */
export function random32(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

export function shuffled(values, seed) {
  const next = random32(seed);
  const out = values.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = next() % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** A fast wrong answer is no result: spot-checks a full map before anything is timed on it. */
export function checkContents(id, map, keys, absentKeys) {
  const n = keys.length;
  const step = Math.max(1, Math.floor(n / 997));
  for (let i = 0; i < n; i += step) {
    if (map.get(keys[i]) !== i) throw new Error(`${id}: get(${String(keys[i])}) returned ${map.get(keys[i])}, not ${i}`);
  }
  if (map.size !== n) throw new Error(`${id}: size is ${map.size}, not ${n}`);
  if (map.get(absentKeys[0]) !== undefined) throw new Error(`${id}: get(${String(absentKeys[0])}) found a key never set`);
  let entries = 0;
  for (const entry of map) if (map.get(entry[0]) === entry[1]) entries++;
  if (entries !== n) throw new Error(`${id}: iteration yielded ${entries} consistent entries, not ${n}`);
}

// ---------------------------------------------------------------------------------------------
// Paired sampling

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/**
 * The order the sides run in for each sample while `more(samplesSoFar)`: each sample starts one
 * side further along, so every side goes first equally often ([a, b], [b, a], ... for two sides).
 */
export function* rotations(sides, more) {
  for (let i = 0; more(i); i++) {
    const first = i % sides.length;
    yield [...sides.slice(first), ...sides.slice(0, first)];
  }
}

/**
 * Paired samples of synchronous tasks, in ns per operation: { [id]: [...] }. Each side is
 * `{ id, timeCalls, task }`, where timeCalls(task, calls) returns the ns spent in `calls` calls and
 * task.opsPerCall says how many operations one call performs (see go-map.ops.js). `budget` is
 * { warmupMs, warmupCalls, timeMs, minSamples, sampleMs }: warm-up time and least calls, sampling
 * time and least samples per side, and how long one sample should last.
 */
export function samplePairedCalls(sides, budget) {
  collectGarbage();

  // Warm up every side (V8 optimizes the loops on the way), then size a sample from the slowest.
  const warmupEnd = nowMs() + budget.warmupMs;
  for (const order of rotations(sides, (i) => i < budget.warmupCalls || nowMs() < warmupEnd)) {
    for (const { timeCalls, task } of order) timeCalls(task, 1);
  }
  const nsPerCall = Math.max(...sides.map(({ timeCalls, task }) => timeCalls(task, 1)));
  const callsPerSample = Math.max(1, Math.floor((budget.sampleMs * 1e6) / nsPerCall));

  const samples = Object.fromEntries(sides.map(({ id }) => [id, []]));
  const sampleEnd = nowMs() + budget.timeMs;
  for (const order of rotations(sides, (i) => i < budget.minSamples || nowMs() < sampleEnd)) {
    for (const { id, timeCalls, task } of order) {
      samples[id].push(timeCalls(task, callsPerSample) / (callsPerSample * task.opsPerCall));
    }
  }
  return samples;
}

/**
 * Paired samples of asynchronous workloads, in ns per operation: { samples: { [id]: [...] }, size }.
 * Each side is `{ id, sample(size) }`, where sample runs one workload of `size` units (preparing and
 * checking it untimed) and resolves to `{ ns, ops }`, its timed nanoseconds and the operations
 * completed in them. After warm-up at budget.startSize, the size is scaled once so that the slowest
 * side's sample lasts about budget.sampleMs, but never below budget.minSize; it is returned.
 * `budget` also holds warmupMs, warmupSamples, timeMs and minSamples, as for samplePairedCalls.
 */
export async function samplePairedWorkloads(sides, budget) {
  collectGarbage();

  let size = budget.startSize;
  const warmupEnd = nowMs() + budget.warmupMs;
  for (const order of rotations(sides, (i) => i < budget.warmupSamples || nowMs() < warmupEnd)) {
    for (const side of order) await side.sample(size);
  }
  let slowest = 0;
  for (const side of sides) slowest = Math.max(slowest, (await side.sample(size)).ns);
  size = Math.max(budget.minSize, Math.round((size * budget.sampleMs * 1e6) / slowest));

  const samples = Object.fromEntries(sides.map(({ id }) => [id, []]));
  const sampleEnd = nowMs() + budget.timeMs;
  for (const order of rotations(sides, (i) => i < budget.minSamples || nowMs() < sampleEnd)) {
    for (const side of order) {
      const { ns, ops } = await side.sample(size);
      samples[side.id].push(ns / ops);
    }
  }
  return { samples, size };
}

export function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const below = Math.floor(at);
  return sorted[below] + (sorted[Math.ceil(at)] - sorted[below]) * (at - below);
}

export const median = (values) => quantile(values, 0.5);

export function round4(x) {
  return Number(x.toPrecision(4));
}

/**
 * subject against baseline over rounds of paired samples ({ [id]: [...] } per round). A round's
 * figures are the medians of its samples and of its per-pair ratios subject/baseline; the
 * comparison's are the medians over rounds. ratioIqr is the interquartile range of all per-pair
 * ratios, the noise within rounds. `exactRatio` is the unrounded ratio, for judging targets.
 */
export function comparePaired(rounds, subjectId, baselineId) {
  const summaries = rounds.map((samples) => {
    const ratios = samples[baselineId].map((b, i) => samples[subjectId][i] / b);
    return { subject: median(samples[subjectId]), baseline: median(samples[baselineId]), ratio: median(ratios), ratios };
  });
  const ratio = median(summaries.map((s) => s.ratio));
  const allRatios = summaries.flatMap((s) => s.ratios);
  return {
    subject: round4(median(summaries.map((s) => s.subject))),
    baseline: round4(median(summaries.map((s) => s.baseline))),
    ratio: round4(ratio),
    exactRatio: ratio,
    ratioIqr: [round4(quantile(allRatios, 0.25)), round4(quantile(allRatios, 0.75))],
    pairs: allRatios.length,
    rounds: summaries.map((s) => ({ subject: round4(s.subject), baseline: round4(s.baseline), ratio: round4(s.ratio) })),
  };
}

/** PASS when ratio ≤ target as printed (two decimals), so a row never reads "1.00× ≤ 1.0× MISS". */
export function judge(ratio, target) {
  if (target === null) return null;
  return Math.round(ratio * 100) / 100 <= target ? 'PASS' : 'MISS';
}

// ---------------------------------------------------------------------------------------------
// Report

export const times = (x) => `${x.toFixed(2)}×`;

/** Aligned plain-text columns: `format(cells)` pads a line; `rule` goes under the header. */
export function columns(header, lines, rightAligned) {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => line[i].length)));
  const pad = (cell, i) => (rightAligned.has(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i]));
  return {
    format: (cells) => cells.map(pad).join('  ').trimEnd(),
    rule: widths.map((w) => '-'.repeat(w)).join('  '),
  };
}

/**
 * Writes a report to bench/results/<benchmark>.json, or for a --quick run to
 * <benchmark>.quick.tmp.json, which git ignores, so a smoke run never replaces the real results.
 * Returns the file's path.
 */
export function writeResults(benchmark, quick, report) {
  const resultsDir = new URL('./results/', import.meta.url);
  mkdirSync(resultsDir, { recursive: true });
  const file = new URL(quick ? `${benchmark}.quick.tmp.json` : `${benchmark}.json`, resultsDir);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file.pathname;
}

/** The key kinds the map benchmarks measure: present keys 0..n-1 (or key:i) and absent ones. */
export const KEY_KINDS = [
  {
    id: 'integer',
    keys: (n) => Array.from({ length: n }, (_, i) => i),
    absentKeys: (n, count) => Array.from({ length: count }, (_, i) => n + i),
  },
  {
    id: 'string',
    keys: (n) => Array.from({ length: n }, (_, i) => `key:${i}`),
    absentKeys: (n, count) => Array.from({ length: count }, (_, i) => `miss:${i}`),
  },
];
