/**
 * The stress harness the shared-map tests run their workers with (tests/helpers/shared-stress.ts):
 * its operation sequences replay from a seed and follow the mix, it refuses options it could only
 * misread, and on a real GoMap.shared (the built runtime, dist/: run `npm run build` first) its
 * workers share the map, start together and report what they did and what was thrown at them.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type * as Runtime from '../../../lib/runtime/index.js';
import { STRESS_OPS, stressKey, stressOperations, stressValue, runSharedStress } from '../../helpers/shared-stress.js';

const built = new URL('../../../dist/runtime/index.js', import.meta.url);
let runtime: typeof Runtime;

beforeAll(async () => {
  if (!existsSync(fileURLToPath(built))) throw new Error('tests/runtime/shared/stress-harness.test.ts needs the built runtime: run `npm run build` first');
  runtime = (await import(built.href)) as typeof Runtime;
});

const countKinds = (kinds: Uint8Array) =>
  Object.fromEntries(STRESS_OPS.map((op, k) => [op, kinds.filter((kind) => kind === k).length])) as Record<(typeof STRESS_OPS)[number], number>;

describe('stressOperations', () => {
  // a failing stress run replays: its seed decides every worker's operations
  it('draws the same operations from the same seed, other ones from another seed or worker', () => {
    const options = { mix: { get: 9, set: 1 }, keys: 1000, ops: 5000, seed: 42 };
    const first = stressOperations(options, 0);
    expect(stressOperations(options, 0)).toEqual(first);
    expect(stressOperations({ ...options, seed: 43 }, 0).keyIndexes).not.toEqual(first.keyIndexes);
    expect(stressOperations(options, 1).keyIndexes).not.toEqual(first.keyIndexes);
  });

  it('follows the mix: weights as shares, weight 0 never drawn, keys within range', () => {
    const { kinds, keyIndexes } = stressOperations({ mix: { get: 6, increment: 3, delete: 1, set: 0 }, keys: 7, ops: 100_000 }, 0);
    const counts = countKinds(kinds);
    expect(counts.set).toBe(0);
    expect(counts.has).toBe(0);
    expect(counts.get / 100_000).toBeCloseTo(0.6, 1);
    expect(counts.increment / 100_000).toBeCloseTo(0.3, 1);
    expect(counts.delete / 100_000).toBeCloseTo(0.1, 1);
    expect(new Set(keyIndexes)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6]));
  });

  it.each([
    [{ put: 1 }, /mix: unknown operation put/u],
    [{ get: -1 }, /mix.get must be a non-negative number, not -1/u],
    [{ get: Number.NaN }, /mix.get must be a non-negative number, not NaN/u],
    [{ get: 0 }, /mix: every weight is 0/u],
  ])('rejects the mix %o with a TypeError naming the fault', (mix, message) => {
    expect(() => stressOperations({ mix: mix as never, keys: 10, ops: 10 }, 0)).toThrow(message);
  });
});

describe('stress keys and values', () => {
  it('spells key i for each key kind, distinct keys for distinct indexes', () => {
    expect([0, 1].map((i) => stressKey('integer', i))).toEqual([0, 1]);
    expect(stressKey('float', 3)).toBe(3.5);
    expect(stressKey('string', 3)).toBe('key:3');
    expect(stressKey('bigint', 3)).toBe(2n ** 64n + 3n);
  });

  // a reader tells a value written for another key: every value for key i is i modulo the key count
  it('gives every worker its own value for a key, congruent to the key index', () => {
    expect([0, 1, 2].map((w) => stressValue('number', 100, w, 7))).toEqual([107, 207, 307]);
    expect(stressValue('string', 100, 0, 7)).toBe('value:107');
    expect(stressValue('object', 100, 1, 7)).toEqual({ n: 207 });
  });
});

describe('runSharedStress options', () => {
  it.each([
    [{ workers: 0 }, /workers must be a positive integer, not 0/u],
    [{ ops: 1.5 }, /ops must be a positive integer, not 1.5/u],
    [{ keys: -1 }, /keys must be a positive integer, not -1/u],
    [{ valueKind: 'string', mix: { increment: 1 } }, /mix.increment needs valueKind 'number', not 'string'/u],
  ])('rejects %o before starting a worker', async (bad, message) => {
    const options = { handle: {}, type: 'SafeMap' as const, workers: 2, ops: 10, keys: 10, mix: { get: 1 }, ...bad };
    await expect(runSharedStress(options as never)).rejects.toThrow(message);
  });
});

describe('runSharedStress on GoMap.shared', () => {
  // one writer is what a Go map allows: every operation completes and every read is a value written for its key
  it("runs one worker's mixed operations on the shared map, counting each kind", async () => {
    const keys = 200;
    const map = runtime.GoMap.shared<string, { n: number }>({ name: 'stress one writer' });
    const [result] = await runSharedStress({
      handle: map.handle,
      type: 'GoMap',
      workers: 1,
      ops: 20_000,
      mix: { get: 5, has: 1, set: 3, delete: 1 },
      keys,
      keyKind: 'string',
      valueKind: 'object',
      seed: 7,
    });
    const { kinds } = stressOperations({ mix: { get: 5, has: 1, set: 3, delete: 1 }, keys, ops: 20_000, seed: 7 }, 0);
    expect(result!.counts).toEqual(countKinds(kinds));
    expect(result!).toMatchObject({ worker: 0, seed: 7, badReads: 0, errorCount: 0, errors: [] });
    map.checkInvariants();
    for (const [key, value] of map) expect(value.n % keys).toBe(Number(key.slice('key:'.length)));
  });

  // the barrier makes the workers overlap for real: two writers of a Go map collide within a few runs
  it('reports the concurrent-writes panic a worker gets, with its code, operation and key', async () => {
    let collided: Awaited<ReturnType<typeof runSharedStress>> | undefined;
    for (let trial = 0; trial < 20 && collided === undefined; trial++) {
      const map = runtime.GoMap.shared<number, number>({ name: 'stress writers' });
      const results = await runSharedStress({ handle: map.handle, type: 'GoMap', workers: 2, ops: 50_000, mix: { set: 1 }, keys: 1000, seed: trial, stopOnError: true });
      if (results.some((r) => r.errorCount > 0)) collided = results;
    }
    expect(collided).toBeDefined();
    const errors = collided!.flatMap((r) => r.errors);
    expect(errors[0]).toMatchObject({ op: 'set', name: 'ConcurrentMapError', code: 'ERR_CONCURRENT_MAP_WRITES' });
    expect(errors[0]!.message).toMatch(/concurrent map writes/u);
    expect(Number(errors[0]!.key)).toBeLessThan(1000);
    // stopOnError: a worker stops at its first error
    for (const r of collided!) expect(r.errorCount).toBeLessThanOrEqual(1);
  });

  it('rejects naming the worker when the handle is not one the type attaches', async () => {
    const map = runtime.GoMap.shared();
    await expect(runSharedStress({ handle: map.handle, type: 'ShardedMap', workers: 1, ops: 10, mix: { get: 1 }, keys: 10 })).rejects.toThrow(/stress worker 0 \(ShardedMap\) failed/u);
  });
});

describe('runSharedStress on ShardedMap.shared', () => {
  // increments are counted per key, so a caller can check that none was lost
  it("reports each worker's increments per key; their sums are the counters, and the workers detach", async () => {
    const keys = 16;
    const map = runtime.ShardedMap.shared<number, number>({ name: 'stress counters', shards: 4 });
    const results = await runSharedStress({ handle: map.handle, type: 'ShardedMap', workers: 3, ops: 3000, mix: { increment: 3, get: 1 }, keys, seed: 11 });
    for (const r of results) expect(r).toMatchObject({ badReads: 0, errorCount: 0, detached: true });
    const total = results.reduce((sum, r) => sum + r.counts.increment, 0);
    expect(results.flatMap((r) => r.increments).reduce((a, b) => a + b, 0)).toBe(total);
    for (let i = 0; i < keys; i++) expect(map.get(i)).toBe(results.reduce((sum, r) => sum + r.increments[i]!, 0));
    expect(map.attachedThreads()).not.toContain(results[0]!.threadId);
    map.checkInvariants();
  });
});
