/**
 * GoMap.shared across real worker_threads (the workers import the built runtime, dist/: run
 * `npm run build` first): attached maps share one memory, growth included; and, unguarded as a Go
 * map is, two threads writing at once get Go's "concurrent map writes", a read or a loop that
 * overlaps another thread's write gets Go's read or iteration error, and no read ever returns a
 * value nobody stored. The races are real, so their errors are looked for over a bounded number
 * of trials; nothing here depends on timing.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { beforeAll, describe, expect, it } from 'vitest';
import type * as Runtime from '../../../lib/runtime/index.js';

const built = new URL('../../../dist/runtime/index.js', import.meta.url);
let runtime: typeof Runtime;

beforeAll(async () => {
  if (!existsSync(fileURLToPath(built))) throw new Error('tests/runtime/shared/workers.test.ts needs the built runtime: run `npm run build` first');
  runtime = (await import(built.href)) as typeof Runtime;
  if (typeof runtime.GoMap.shared !== 'function') throw new Error('dist/runtime is older than GoMap.shared: run `npm run build`');
});

interface WorkerResult {
  id: number;
  mode: string;
  error: { code: string; message: string; mapName: string | undefined; cause: string | undefined } | null;
  bad: { key: string; value: unknown } | null;
  done: number;
}

/** Runs a worker script to its end; resolves with every message it posted, rejects on its error. */
function run<T>(script: string, workerData: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(`./workers/${script}`, import.meta.url), { workerData });
    let result: T | undefined;
    worker.on('message', (message: T) => (result = message));
    worker.on('error', reject);
    worker.on('exit', (code) => (code === 0 && result !== undefined ? resolve(result) : reject(new Error(`${script} exited with ${code}`))));
  });
}

describe('GoMap.shared in several workers', () => {
  it('is one map: workers that attach its handle see and write the same memory as it grows', async () => {
    const workers = 3;
    const rounds = 4;
    const perTurn = 400;
    const map = runtime.GoMap.shared<string, unknown>({ name: 'turns', byteLength: 4096 });
    map.set('from main', 'hello');
    const control = new SharedArrayBuffer(4);
    const results = await Promise.all(
      Array.from({ length: workers }, (_, id) =>
        run<{ id: number; stats: { count: number } }>('turns.mjs', { handle: map.handle, control, id, workers, rounds, perTurn, preset: 1 }),
      ),
    );
    const total = workers * rounds * perTurn + 1;
    expect(results.map((r) => r.stats.count).sort()).toEqual(Array.from({ length: workers }, (_, id) => total - (workers - 1 - id) * perTurn).sort());
    expect(map.size).toBe(total);
    for (let turn = 0; turn < workers * rounds; turn++) {
      expect(map.get(`t${turn}:${perTurn - 1}`)).toMatchObject({ turn, i: perTurn - 1, by: turn % workers });
    }
    map.checkInvariants();
    expect(map.stats().bytesTotal).toBeGreaterThan(100_000); // grown by the workers, seen here
  });

  it("reports Go's concurrent map writes when two workers write at once, within bounded trials, and the map stays whole", async () => {
    const maxTrials = 20;
    let trials = 0;
    let panic: WorkerResult['error'] = null;
    while (panic === null && trials < maxTrials) {
      trials++;
      const map = runtime.GoMap.shared<string, string>({ name: 'racy' });
      const control = new SharedArrayBuffer(12);
      const results = Promise.all([0, 1, 2].map((id) => run<WorkerResult>('racer.mjs', { handle: map.handle, control, id, mode: 'write', ops: 100_000, keys: 512 })));
      await startTogether(control, 3);
      for (const result of await results) {
        if (result.error !== null) {
          expect(result.error.code).toBe('ERR_CONCURRENT_MAP_WRITES');
          panic = result.error;
        }
      }
      // The writer that found the flag set wrote nothing: the layout is intact and every value is one a writer stored.
      map.checkInvariants();
      for (const [key, value] of map) expect(value.startsWith(`v:${key}:`)).toBe(true);
    }
    expect(panic, `no concurrent-writes panic in ${trials} trials`).not.toBeNull();
    expect(panic).toMatchObject({ code: 'ERR_CONCURRENT_MAP_WRITES', message: 'concurrent map writes', mapName: 'racy' });
    expect(panic!.cause).toMatch(/^GoMap.shared 'racy': another thread .* was writing the map at the same time/u);
  });

  it("reports Go's read and iteration errors to readers that overlap a writer, and never returns a torn value", async () => {
    const maxTrials = 20;
    const seen = new Set<string>();
    for (let trial = 0; trial < maxTrials && seen.size < 2; trial++) {
      const map = runtime.GoMap.shared<string, string>({ name: 'feed' });
      for (let k = 0; k < 512; k++) map.set(`k${k}`, `v:k${k}:main`);
      const control = new SharedArrayBuffer(12);
      const workerData = (id: number, mode: string, ops: number): unknown => ({ handle: map.handle, control, id, mode, ops, keys: 512 });
      const results = Promise.all([
        run<WorkerResult>('racer.mjs', workerData(0, 'write', 200_000)),
        run<WorkerResult>('racer.mjs', workerData(1, 'read', 10_000_000)),
        run<WorkerResult>('racer.mjs', workerData(2, 'iterate', 100_000)),
      ]);
      await startTogether(control, 3);
      for (const result of await results) {
        expect(result.bad, `${result.mode} read a value nobody stored`).toBeNull();
        if (result.mode === 'write') expect(result.error).toBeNull();
        if (result.mode === 'read' && result.error !== null) {
          expect(result.error).toMatchObject({ code: 'ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE', message: 'concurrent map read and map write' });
          seen.add(result.error.code);
        }
        if (result.mode === 'iterate' && result.error !== null) {
          expect(result.error).toMatchObject({ code: 'ERR_CONCURRENT_MAP_ITERATION_AND_MAP_WRITE', message: 'concurrent map iteration and map write' });
          seen.add(result.error.code);
        }
      }
      map.checkInvariants();
    }
    expect([...seen].sort()).toEqual(['ERR_CONCURRENT_MAP_ITERATION_AND_MAP_WRITE', 'ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE']);
  });
});

/** Atomics.waitAsync (ES2024; this project's lib is ES2023): a promise, or a string when there was nothing to wait for. */
const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number, timeout: number): { value: Promise<string> | string };
}).waitAsync;

/** Waits until `count` workers are ready, then lets them all go at once. */
async function startTogether(control: SharedArrayBuffer, count: number): Promise<void> {
  const words = new Int32Array(control);
  while (Atomics.load(words, 0) < count) {
    const ready = Atomics.load(words, 0);
    await waitAsync(words, 0, ready, 1000).value;
  }
  Atomics.store(words, 1, 1);
  Atomics.notify(words, 1);
}
