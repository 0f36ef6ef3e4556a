/**
 * The shared store against the native Map, in one thread: random sets, deletes, reads and loops
 * with keys of every supported type, the layout checked (checkInvariants) after every batch. Key
 * spaces are small so that grows, deletes, re-inserts and long chains are frequent; a churn phase
 * (delete the oldest key, insert a new one, the count flat) drives same-size grows.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { GoMap } from '../../../lib/runtime/go-map.js';
import type { SharedGoMap } from '../../../lib/runtime/shared/go-map-shared.js';
import { hFlags, hWriteSeq } from '../../../lib/runtime/shared/layout.js';
import { SharedStore } from '../../../lib/runtime/shared/store.js';
import { seededUint32 } from '../../helpers/random.js';

type Key = number | string | bigint;

/** A key of one of the supported kinds, from a space of `space` keys per kind. */
function keyOf(n: number, space: number): Key {
  const i = n % space;
  switch ((n >>> 16) % 4) {
    case 0:
      return i;
    case 1:
      return `key-${'x'.repeat(i % 23)}${i}`;
    case 2:
      return BigInt(i) * (i % 2 === 0 ? 1n : 2n ** 70n);
    default:
      return i + 0.5;
  }
}

function valueOf(n: number): unknown {
  switch (n % 6) {
    case 0:
      return n;
    case 1:
      return `value ${n} ${'y'.repeat(n % 50)}`;
    case 2:
      return { n, list: [n, String(n)] };
    case 3:
      return n % 4 === 3 ? null : undefined;
    case 4:
      return n % 8 === 4;
    default:
      return BigInt(n) << 80n;
  }
}

function expectSameContents(map: SharedGoMap<Key, unknown>, model: Map<Key, unknown>): void {
  expect(map.size).toBe(model.size);
  const seen = new Map<Key, unknown>();
  for (const [key, value] of map) {
    expect(seen.has(key), `key ${String(key)} returned twice`).toBe(false);
    seen.set(key, value);
  }
  expect(seen).toEqual(model);
}

describe('GoMap.shared against Map (one thread)', () => {
  for (const seed of [1, 2, 3]) {
    it(`agrees on random operations, layout checked after each batch (seed ${seed})`, () => {
      const random = seededUint32(seed);
      const map = GoMap.shared<Key, unknown>({ byteLength: 4096, maxByteLength: 32 << 20 });
      const model = new Map<Key, unknown>();
      let grewBigger = false;
      for (let batch = 0; batch < 60; batch++) {
        const space = batch < 30 ? 40 + batch * 40 : 400;
        for (let n = 0; n < 300; n++) {
          const r = random();
          const key = keyOf(random(), space);
          const op = r % 100;
          if (op < 55) {
            const value = valueOf(random());
            expect(map.set(key, value)).toBe(map);
            model.set(key, value);
          } else if (op < 85) {
            expect(map.delete(key)).toBe(model.delete(key));
          } else if (op < 95) {
            expect(map.get(key)).toEqual(model.get(key));
          } else {
            expect(map.has(key)).toBe(model.has(key));
          }
        }
        map.checkInvariants();
        if (map.stats().B > 3) grewBigger = true;
        if (batch % 10 === 9) expectSameContents(map, model);
        if (batch === 45) {
          map.clear();
          model.clear();
          map.checkInvariants();
          expect(map.stats().arenaBlocks).toBe(0);
        }
      }
      expectSameContents(map, model);
      expect(grewBigger).toBe(true);
    });
  }

  it('makes same-size grows under churn and stays consistent through them', () => {
    const map = GoMap.shared<number, number>({ byteLength: 4096 });
    const model = new Map<number, number>();
    for (let k = 0; k < 1600; k++) {
      map.set(k, k);
      model.set(k, k);
    }
    let next = 1600;
    let oldest = 0;
    let sameSizeGrows = 0;
    let wasSameSize = false;
    for (let n = 0; n < 40_000; n++) {
      expect(map.delete(oldest)).toBe(true);
      model.delete(oldest++);
      map.set(next, next);
      model.set(next, next++);
      const { sameSizeGrow } = map.stats();
      if (sameSizeGrow && !wasSameSize) sameSizeGrows++;
      wasSameSize = sameSizeGrow;
      if (n % 4000 === 0) map.checkInvariants();
    }
    map.checkInvariants();
    expect(sameSizeGrows).toBeGreaterThan(0);
    expectSameContents(map as SharedGoMap<Key, unknown>, model);
  });

  it('keeps Go loop semantics when the loop writes, growing the table', () => {
    for (const seed of [7, 8, 9, 10]) {
      const random = seededUint32(seed);
      const map = GoMap.shared<number, number>();
      const model = new Map<number, number>();
      for (let k = 0; k < 50; k++) {
        map.set(k, k);
        model.set(k, k);
      }
      const present = new Set(model.keys());
      const returned = new Set<number>();
      let added = 1000;
      for (const [key, value] of map) {
        // Whatever is returned is in the map, with its current value.
        expect(model.get(key)).toBe(value);
        expect(returned.has(key)).toBe(false);
        returned.add(key);
        // Deletes of keys not reached yet, and inserts enough to grow (twice over).
        const victim = random() % 50;
        if (victim !== key && map.delete(victim)) {
          model.delete(victim);
          present.delete(victim);
        }
        for (let j = 0; j < 8; j++) {
          map.set(added, added);
          model.set(added, added++);
        }
      }
      // A key present for the whole loop is returned exactly once.
      for (const key of present) expect(returned.has(key)).toBe(true);
      map.checkInvariants();
      // What the loop's writes released is freed by the first write after it.
      map.set(-1, -1);
      expect(map.stats().deferredBytes).toBe(0);
      map.checkInvariants();
    }
  });

  it('frees what a loop held back once the loop ends, also when it is left by break', () => {
    const map = GoMap.shared<string, string>();
    for (let k = 0; k < 200; k++) map.set(`k${k}`, `v${k}`.repeat(5));
    for (const [key] of map) {
      map.delete(key);
      break;
    }
    const it = map.keys();
    it.next();
    for (let k = 0; k < 100; k++) map.delete(`k${k}`);
    expect(map.stats().deferredBytes).toBeGreaterThan(0);
    map.checkInvariants();
    it.return!();
    map.set('after', 'loops'); // the first write with no loop running frees the deferred blocks
    expect(map.stats().deferredBytes).toBe(0);
    map.checkInvariants();
  });

  it('ends a loop of this thread when the map is cleared, as a Map loop ends', () => {
    const map = GoMap.shared<number, number>();
    for (let k = 0; k < 100; k++) map.set(k, k);
    const seen: number[] = [];
    map.forEach((_value, key) => {
      seen.push(key);
      if (seen.length === 3) map.clear();
    });
    expect(seen).toHaveLength(3);
    expect(map.size).toBe(0);
    map.checkInvariants();
  });

  it('ends a loop with Go\'s iteration error when another attachment of the buffer writes between its steps', () => {
    const map = GoMap.shared<number, number>({ name: 'twice' });
    for (let k = 0; k < 100; k++) map.set(k, k);
    const other = GoMap.attach<number, number>(map.handle);
    const it = map.keys();
    it.next();
    other.set(1000, 1000); // as another thread would: it may free what the loop stands in
    expect(() => it.next()).toThrow(expect.objectContaining({ code: 'ERR_CONCURRENT_MAP_ITERATION_AND_MAP_WRITE', message: 'concurrent map iteration and map write', mapName: 'twice' }));
    expect(it.next()).toEqual({ value: undefined, done: true });
    // Reads and new loops are fine: nothing was in progress.
    expect(map.get(1000)).toBe(1000);
    expect([...map.keys()]).toHaveLength(101);
    map.checkInvariants();
  });

  it('stays shut after a writer died mid-write, until resetWriteFlag (the lock layer\'s recovery) reopens it', () => {
    const store = SharedStore.create<string, number>({ name: 'orphan' }, 'SafeMap.shared');
    store.set('a', 1);
    // What a thread terminated inside set() leaves: hashWriting set and the sequence word odd.
    const header = new Int32Array(store.buffer, 0, 16);
    Atomics.or(header, hFlags, 4);
    Atomics.add(header, hWriteSeq, 1);
    expect(() => store.get('a')).toThrow(expect.objectContaining({ code: 'ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE', mapName: 'orphan' }));
    expect(() => store.set('b', 2)).toThrow(expect.objectContaining({ code: 'ERR_CONCURRENT_MAP_WRITES' }));
    expect(() => store.checkInvariants()).toThrow(expect.objectContaining({ code: 'ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE' }));
    expect(store.resetWriteFlag()).toBe(true);
    expect(store.resetWriteFlag()).toBe(false);
    store.checkInvariants();
    expect(store.get('a')).toBe(1);
    store.set('b', 2);
    expect(store.size).toBe(2);
  });

  it('starts loops at random places, like GoMap', () => {
    const map = GoMap.shared<number, number>();
    for (let k = 0; k < 100; k++) map.set(k, k);
    const firsts = new Set<number>();
    for (let n = 0; n < 40; n++) firsts.add(map.keys().next().value!);
    expect(firsts.size).toBeGreaterThan(5);
  });

  it('is Map-like: forEach with thisArg and the map, keys/values/entries, toStringTag, JSON', () => {
    const map = GoMap.shared<string, number>({ name: 'hits' });
    map.set('a', 1).set('b', 2);
    const calls: unknown[] = [];
    const self = {};
    map.forEach(function (this: unknown, value, key, m) {
      calls.push([this === self, value, key, m === map]);
    }, self);
    expect(calls.sort()).toEqual([[true, 1, 'a', true], [true, 2, 'b', true]]);
    expect([...map.keys()].sort()).toEqual(['a', 'b']);
    expect([...map.values()].sort()).toEqual([1, 2]);
    expect(new Map(map.entries())).toEqual(new Map([['a', 1], ['b', 2]]));
    expect(Object.prototype.toString.call(map)).toBe('[object SharedGoMap]');
    expect(JSON.stringify(map)).toBe('{}');
    expect(map.name).toBe('hits');
    expect(map.handle).toMatchObject({ kind: 'maprace.shared', version: 1, type: 'GoMap', name: 'hits' });
    expect(() => map.forEach(42 as never)).toThrow(TypeError);
    expect(inspect(map)).toMatch(/^SharedGoMap\(2\) \{ '(a' => 1, 'b' => 2|b' => 2, 'a' => 1) \}$/u);
    expect(inspect({ nested: { deeper: map } }, { depth: 1 })).toBe('{ nested: { deeper: [SharedGoMap] } }');
  });
});
