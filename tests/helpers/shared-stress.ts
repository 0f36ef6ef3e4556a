/**
 * Stress runs of a shared map from real worker_threads: K workers attach one map's handle
 * (`X.attach(handle)` from the built runtime), wait at a barrier so that they really start
 * together, and run N mixed operations each, drawn from a seeded PRNG, so a failing run replays.
 * Each worker reports what it did and detaches the map if it can (`detach()`); the caller checks
 * the map afterwards (counters, invariants).
 *
 * The worker is tests/runtime/shared/workers/stress-worker.mjs; it imports the runtime from
 * `runtime` (dist/runtime/index.js by default: run `npm run build` first).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { seededUint32 } from './random.js';
import { repoRoot } from './run.js';

/** The operations a stress worker runs; `increment` is `update(key, n => (n ?? 0) + 1)`. */
export const STRESS_OPS = ['get', 'has', 'set', 'delete', 'increment', 'getOrCompute'] as const;
export type StressOp = (typeof STRESS_OPS)[number];

export type StressKeyKind = 'integer' | 'float' | 'string' | 'bigint';
/** `object` values are `{ n }` records, which a shared map stores as bytes (v8.serialize). */
export type StressValueKind = 'number' | 'string' | 'object';

export interface StressOptions {
  /** The map's `handle`, as it goes through postMessage. */
  handle: unknown;
  /** Which class attaches it: `runtime[type].attach(handle)`. */
  type: 'GoMap' | 'SafeMap' | 'ShardedMap';
  /** How many workers (K). */
  workers: number;
  /** Operations per worker (N). */
  ops: number;
  /** Relative weights of the operations, e.g. `{ get: 9, set: 1 }`. */
  mix: Partial<Record<StressOp, number>>;
  /** How many distinct keys the operations draw from (uniformly). */
  keys: number;
  keyKind?: StressKeyKind;
  valueKind?: StressValueKind;
  /** Worker w draws from seededUint32(seed + w); default 1. */
  seed?: number;
  /** Module path or URL of the built runtime; default dist/runtime/index.js. */
  runtime?: string;
  /** A worker stops at its first error (for a test waiting for a panic); default false. */
  stopOnError?: boolean;
  /** Workers still running after this are terminated and the run rejects, naming them; default 60 s. */
  timeoutMs?: number;
}

export interface StressError {
  op: StressOp;
  /** The operation's index in the worker's sequence. */
  index: number;
  key: string;
  name: string;
  code: string | undefined;
  message: string;
}

export interface StressWorkerResult {
  worker: number;
  threadId: number;
  /** This worker's PRNG seed: seed + worker. */
  seed: number;
  /** Operations completed without error, by kind. */
  counts: Record<StressOp, number>;
  /** Per key index: the increments this worker made (update calls that resolved). */
  increments: number[];
  /**
   * Reads that returned a value no worker writes for that key (a torn or misplaced value); with
   * increments in the mix, a value that is not a non-negative integer.
   */
  badReads: number;
  /** The first 20 errors thrown by operations; errorCount counts them all. */
  errors: StressError[];
  errorCount: number;
  /** From the barrier's release to this worker's last operation. */
  ms: number;
  /** Whether the worker detached the map at the end (maps that have `detach()`). */
  detached: boolean;
}

/** The key with index i, as the workers spell it: read counters back with `map.get(stressKey(...))`. */
export function stressKey(kind: StressKeyKind, i: number): number | string | bigint {
  switch (kind) {
    case 'integer':
      return i;
    case 'float':
      return i + 0.5;
    case 'string':
      return `key:${i}`;
    case 'bigint':
      return BigInt(i) + 2n ** 64n;
  }
}

/**
 * The value worker w writes for key i (by set or getOrCompute): congruent to i modulo the key
 * count, so a reader can tell a value written for another key.
 */
export function stressValue(kind: StressValueKind, keys: number, worker: number, i: number): number | string | { n: number } {
  const n = i + keys * (worker + 1);
  return kind === 'number' ? n : kind === 'string' ? `value:${n}` : { n };
}

/** Worker w's operations: op kinds (indexes into STRESS_OPS) and key indexes, from seededUint32(seed + w). */
export function stressOperations(options: Pick<StressOptions, 'mix' | 'keys' | 'ops' | 'seed'>, worker: number): { kinds: Uint8Array; keyIndexes: Uint32Array } {
  const weights = STRESS_OPS.map((op) => options.mix[op] ?? 0);
  for (const [op, weight] of Object.entries(options.mix)) {
    if (!(STRESS_OPS as readonly string[]).includes(op)) throw new TypeError(`mix: unknown operation ${op} (expected one of ${STRESS_OPS.join(', ')})`);
    if (!(typeof weight === 'number' && weight >= 0 && Number.isFinite(weight))) throw new TypeError(`mix.${op} must be a non-negative number, not ${String(weight)}`);
  }
  const total = weights.reduce((a, b) => a + b, 0);
  if (total === 0) throw new TypeError('mix: every weight is 0');
  const cumulative = weights.map((_, k) => weights.slice(0, k + 1).reduce((a, b) => a + b, 0));
  const next = seededUint32((options.seed ?? 1) + worker);
  const kinds = new Uint8Array(options.ops);
  const keyIndexes = new Uint32Array(options.ops);
  for (let i = 0; i < options.ops; i++) {
    const draw = (next() / 2 ** 32) * total;
    kinds[i] = cumulative.findIndex((c) => draw < c);
    keyIndexes[i] = next() % options.keys;
  }
  return { kinds, keyIndexes };
}

const workerScript = path.join(repoRoot, 'tests/runtime/shared/workers/stress-worker.mjs');
const defaultRuntime = pathToFileURL(path.join(repoRoot, 'dist/runtime/index.js')).href;

function positive(name: string, value: number): void {
  if (!(Number.isInteger(value) && value >= 1)) throw new TypeError(`${name} must be a positive integer, not ${String(value)}`);
}

/** Runs the stress workers to completion; resolves to one result per worker, in worker order. */
export async function runSharedStress(options: StressOptions): Promise<StressWorkerResult[]> {
  positive('workers', options.workers);
  positive('ops', options.ops);
  positive('keys', options.keys);
  const keyKind = options.keyKind ?? 'integer';
  const valueKind = options.valueKind ?? 'number';
  if (valueKind !== 'number' && (options.mix.increment ?? 0) > 0) throw new TypeError(`mix.increment needs valueKind 'number', not '${valueKind}'`);
  const runtime = options.runtime === undefined ? defaultRuntime : options.runtime.includes('://') ? options.runtime : pathToFileURL(path.resolve(options.runtime)).href;
  const seed = options.seed ?? 1;
  // control[0]: the barrier (0 until release); control[1 + w]: worker w's operations done so far.
  const control = new Int32Array(new SharedArrayBuffer(4 * (1 + options.workers)));
  const keyList = Array.from({ length: options.keys }, (_, i) => stressKey(keyKind, i));
  const written = Array.from({ length: options.workers }, (_, w) => keyList.map((_, i) => stressValue(valueKind, options.keys, w, i)));

  const workers = Array.from({ length: options.workers }, (_, w) => {
    const { kinds, keyIndexes } = stressOperations(options, w);
    const workerData = {
      runtime,
      type: options.type,
      handle: options.handle,
      worker: w,
      seed: seed + w,
      kinds,
      keyIndexes,
      keyList,
      written,
      counters: (options.mix.increment ?? 0) > 0,
      stopOnError: options.stopOnError ?? false,
      control,
    };
    return watch(new Worker(workerScript, { workerData }), `stress worker ${w} (${options.type})`);
  });

  const timeoutMs = options.timeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const stuck = workers
        .map((_, w) => ({ w, done: Atomics.load(control, 1 + w) }))
        .filter(({ done }) => done < options.ops)
        .map(({ w, done }) => `worker ${w} after ${done} of ${options.ops} operations`);
      reject(new Error(`stress run of ${options.type} did not finish in ${timeoutMs} ms: ${stuck.join('; ') || 'every worker past its last operation'}`));
    }, timeoutMs);
  });
  const finished = Promise.all(workers.map((w) => w.result));
  try {
    // A worker that fails while attaching rejects `finished` before every worker is ready.
    await Promise.race([Promise.all(workers.map((w) => w.ready)), finished, timeout]);
    Atomics.store(control, 0, 1);
    Atomics.notify(control, 0);
    return await Promise.race([finished, timeout]);
  } finally {
    clearTimeout(timer);
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }
}

/** A worker's two reports: ready (attached, at the barrier) and its result (or why it has none). */
function watch(worker: Worker, name: string): { worker: Worker; ready: Promise<void>; result: Promise<StressWorkerResult> } {
  let onReady!: () => void;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const result = new Promise<StressWorkerResult>((resolve, reject) => {
    let reported: StressWorkerResult | undefined;
    worker.on('message', (message: { ready?: true; result?: StressWorkerResult }) => {
      if (message.ready) onReady();
      else reported = message.result;
    });
    worker.on('error', (error) => reject(new Error(`${name} failed: ${error.stack ?? String(error)}`)));
    worker.on('exit', (code) => (reported ? resolve(reported) : reject(new Error(`${name} exited with code ${code} before reporting`))));
  });
  result.catch(() => {}); // a run that already failed or timed out terminates the rest: no unhandled rejection
  return { worker, ready, result };
}
