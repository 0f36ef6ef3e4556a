/**
 * ShardedMap: the shared guarded-map suite (tests/helpers/guarded-map-scenarios.ts) with the
 * default 32 shards and with a few shards over GoMaps, then what sharding adds: the shard count,
 * where keys go, per-shard numbers, sections spread over shards, and iteration shard by shard.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ShardedMap } from '../../lib/runtime/sharded-map.js';
import { gate, Occupancy, randomPauses, seededRandom, settle, withinWatchdog } from '../helpers/async.js';
import { describeGuardedMapScenarios } from '../helpers/guarded-map-scenarios.js';

describeGuardedMapScenarios({
  label: 'ShardedMap (32 shards)',
  toStringTag: 'ShardedMap',
  insertionOrdered: false,
  create: (entries) => new ShardedMap(entries),
  construct: (...args) => new ShardedMap(...(args as [])),
});

describeGuardedMapScenarios({
  label: "ShardedMap({ shards: 4, store: 'go' })",
  toStringTag: 'ShardedMap',
  insertionOrdered: false,
  create: (entries) => new ShardedMap(entries, { shards: 4, store: 'go' }),
  construct: (...args) => new ShardedMap(...(args as [])),
});

// the shard count is a power of two, 32 unless told otherwise
describe('ShardedMap shard count', () => {
  it('has 32 shards by default', () => {
    expect(new ShardedMap().shardStats()).toHaveLength(32);
  });

  it.each([1, 2, 8, 64, 1024])('accepts %i shards', (shards) => {
    const map = new ShardedMap<string, number>({ shards });
    expect(map.shardStats().map((stats) => stats.shard)).toEqual(Array.from({ length: shards }, (_, i) => i));
    expect(new ShardedMap([['a', 1]], { shards }).get('a')).toBe(1);
  });

  it.each([0, 3, 6, 12, 100, -4, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('rejects %s shards with a RangeError naming the option', (shards) => {
    expect(() => new ShardedMap({ shards })).toThrow(RangeError);
    expect(() => new ShardedMap([], { shards })).toThrow(/shards/u);
  });

  // a shard count that is not a number is a TypeError that names what it got, never the default
  it.each([
    ['32', /string '32'/u],
    [null, /got null/u],
    [{}, /got an object/u],
    [32n, /bigint 32/u],
    [true, /boolean true/u],
    [[32], /got an Array/u],
  ])('rejects shards: %o with a TypeError naming its type', (shards, got) => {
    for (const make of [() => new ShardedMap({ shards } as never), () => new ShardedMap([['a', 1]], { shards } as never)]) {
      let thrown: unknown;
      try {
        make();
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(TypeError);
      expect((thrown as Error).message).toMatch(/option 'shards' must be a number/u);
      expect((thrown as Error).message).toMatch(got);
    }
  });

  it('takes shards: undefined as the default', () => {
    expect(new ShardedMap({ shards: undefined }).shardStats()).toHaveLength(32);
  });
});

// shardOf says where a key lives: in range, the same every time, equal for SameValueZero-equal keys
describe('ShardedMap.shardOf', () => {
  it('is in range and stable for keys of every type', () => {
    const map = new ShardedMap<unknown, number>({ shards: 16 });
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.double(), fc.string(), fc.bigInt(), fc.boolean(), fc.constantFrom(null, undefined)), (key) => {
        const shard = map.shardOf(key);
        expect(Number.isInteger(shard) && shard >= 0 && shard < 16).toBe(true);
        expect(map.shardOf(key)).toBe(shard);
      }),
    );
    const object = {};
    expect(map.shardOf(object)).toBe(map.shardOf(object));
  });

  it('puts SameValueZero-equal keys in one shard, where Map semantics need them', () => {
    const map = new ShardedMap<number, string>({ shards: 64 });
    expect(map.shardOf(-0)).toBe(map.shardOf(0));
    expect(map.shardOf(Number.NaN)).toBe(map.shardOf(-Number.NaN));
    map.set(-0, 'zero').set(Number.NaN, 'nan');
    expect([map.get(0), map.get(Number.NaN), map.size]).toEqual(['zero', 'nan', 2]);
  });

  it('spreads keys over every shard', () => {
    const map = new ShardedMap<string, number>();
    for (let i = 0; i < 2000; i++) map.set(`user:${i}`, i);
    const sizes = map.shardStats().map((stats) => stats.size);
    expect(Math.min(...sizes)).toBeGreaterThan(0);
    for (let i = 0; i < 2000; i += 97) {
      expect(map.shardStats()[map.shardOf(`user:${i}`)]!.size).toBeGreaterThan(0);
    }
  });
});

// shardStats: sizes that sum to size, and the locks held and waited for right now
describe('ShardedMap.shardStats', () => {
  it('reports sizes that sum to size', () => {
    const map = new ShardedMap<number, number>({ shards: 8 });
    for (let i = 0; i < 500; i++) map.set(i, i);
    for (let i = 0; i < 500; i += 3) map.delete(i);
    const stats = map.shardStats();
    expect(stats.reduce((sum, s) => sum + s.size, 0)).toBe(map.size);
    for (let shard = 0; shard < 8; shard++) {
      expect(stats[shard]!.size).toBe([...map.keys()].filter((key) => map.shardOf(key) === shard).length);
    }
  });

  it('counts locked keys and waiting requests in the key\'s shard', async () => {
    const map = new ShardedMap([['k', 1]], { shards: 8 });
    const shard = map.shardOf('k');
    const hold = gate();
    const holder = map.withLock('k', () => hold.promise);
    const waiter = map.update('k', (n) => n! + 1);
    await settle();
    const stats = map.shardStats();
    expect(stats[shard]).toMatchObject({ shard, lockedKeys: 1, waiting: 1 });
    expect(stats.filter((s) => s.shard !== shard).every((s) => s.lockedKeys === 0 && s.waiting === 0)).toBe(true);
    hold.open();
    await Promise.all([holder, waiter]);
    expect(map.shardStats()[shard]).toMatchObject({ lockedKeys: 0, waiting: 0 });
  });
});

// sections whose keys span several shards, taken in random orders, never deadlock or overlap
describe('ShardedMap sections across shards', () => {
  it('runs random multi-shard scopes and whole-map sections from many tasks to the end', async () => {
    const map = new ShardedMap<string, number>({ shards: 4 });
    const keys = Array.from({ length: 12 }, (_, i) => `key${i}`);
    expect(new Set(keys.map((key) => map.shardOf(key))).size).toBeGreaterThan(1);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.option(fc.shuffledSubarray(keys, { minLength: 2, maxLength: 6 }), { freq: 10, nil: null }), { minLength: 100, maxLength: 200 }),
        fc.integer(),
        async (scopes, seed) => {
          map.clear();
          const pause = randomPauses(seededRandom(seed));
          const occupancy = new Occupancy<string>();
          const sections = scopes.map(async (scope, i) => {
            await pause();
            return map.withLock(scope, async (view) => {
              const leave = occupancy.enter(scope, true, `section ${i}`);
              for (const key of scope ?? keys) {
                const old = view.get(key) ?? 0;
                await pause();
                view.set(key, old + 1);
              }
              leave();
            });
          });
          await withinWatchdog(`${scopes.length} multi-shard sections`, Promise.all(sections), 3000);
          expect(occupancy.violations).toEqual([]);
          const expected: Record<string, number> = {};
          for (const key of scopes.flatMap((scope) => scope ?? keys)) expected[key] = (expected[key] ?? 0) + 1;
          expect(Object.fromEntries(map)).toEqual(expected);
        },
      ),
      // endOnFailure: shrinking a deadlock would wait out the watchdog on every attempt
      { numRuns: 6, endOnFailure: true },
    );
  });

  // withLock(null) holds every shard: key sections in any shard wait, plain writes anywhere throw
  it('excludes key sections of every shard during withLock(null)', async () => {
    const map = new ShardedMap<number, number>({ shards: 8 });
    for (let i = 0; i < 64; i++) map.set(i, 0);
    const hold = gate();
    const whole = map.withLock(null, () => hold.promise);
    await settle();
    const shardsTried = new Set<number>();
    const waiting = [];
    for (let i = 0; i < 64; i++) {
      shardsTried.add(map.shardOf(i));
      expect(() => map.set(i, 1)).toThrow('concurrent map writes');
      waiting.push(map.update(i, (n) => n! + 1));
    }
    expect(shardsTried.size).toBe(8);
    await settle();
    expect([...map.values()].every((n) => n === 0)).toBe(true);
    hold.open();
    await whole;
    await Promise.all(waiting);
    expect([...map.values()].every((n) => n === 1)).toBe(true);
  });
});

// iteration walks the shards one by one and, with no writes, yields every entry exactly once
describe('ShardedMap iteration', () => {
  it('yields every entry once from every iteration method', () => {
    const map = new ShardedMap<number, string>({ shards: 16 });
    for (let i = 0; i < 1000; i++) map.set(i, `v${i}`);
    const entries = [...map];
    expect(entries).toHaveLength(1000);
    expect(new Set(entries.map(([key]) => key)).size).toBe(1000);
    for (const [key, value] of entries) expect(value).toBe(`v${key}`);
    expect([...map.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(new Set(map.values()).size).toBe(1000);
    let visits = 0;
    map.forEach(() => visits++);
    expect(visits).toBe(1000);
  });

  it('clears every shard', () => {
    const map = new ShardedMap<number, number>({ shards: 8 });
    for (let i = 0; i < 100; i++) map.set(i, i);
    map.clear();
    expect(map.size).toBe(0);
    expect(map.shardStats().every((stats) => stats.size === 0)).toBe(true);
  });
});
