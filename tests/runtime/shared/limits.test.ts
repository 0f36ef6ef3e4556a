/**
 * Memory limits of a shared GoMap: a write that needs more than maxByteLength throws MapFullError
 * and leaves the map exactly as it was; deletes always work, and free room for later writes; long
 * churn of varied-length strings stays within a fixed maxByteLength (the heap reuses what it frees).
 */
import { describe, expect, it } from 'vitest';
import { MapFullError } from '../../../lib/runtime/errors.js';
import { GoMap } from '../../../lib/runtime/go-map.js';
import type { SharedGoMap } from '../../../lib/runtime/shared/go-map-shared.js';
import { SharedStore } from '../../../lib/runtime/shared/store.js';
import { seededUint32 } from '../../helpers/random.js';

function snapshot<K, V>(map: SharedGoMap<K & (string | number | bigint), V>): Map<K, V> {
  return new Map(map.entries() as Iterable<[K, V]>);
}

/** Sets key-0, key-1, … until the map is full; returns the error and how many fit. */
function fillUntilFull(map: SharedGoMap<string, string>, valueLength: number): { error: unknown; stored: number } {
  for (let n = 0; ; n++) {
    const before = map.size;
    try {
      map.set(`key-${n}`, 'v'.repeat(valueLength + (n % 7)));
    } catch (error) {
      expect(map.size).toBe(before);
      return { error, stored: n };
    }
  }
}

describe('a full map', () => {
  it('throws MapFullError past maxByteLength and keeps every entry it had', () => {
    const map = GoMap.shared<string, string>({ name: 'small', byteLength: 4096, maxByteLength: 64 * 1024 });
    const { error, stored } = fillUntilFull(map, 20);
    expect(stored).toBeGreaterThan(100);
    expect(error).toBeInstanceOf(MapFullError);
    expect(error).toBeInstanceOf(RangeError);
    expect(error).toMatchObject({ code: 'ERR_MAP_FULL', mapName: "GoMap.shared 'small'", key: `key-${stored}`, maxByteLength: 65536 });
    expect((error as Error).message).toMatch(
      new RegExp(`^GoMap.shared 'small': no room to set key 'key-${stored}': the SharedArrayBuffer is at its maxByteLength \\(65536 bytes`, 'u'),
    );
    const before = snapshot(map);
    map.checkInvariants();
    // Writes that do not fit keep failing the same way; the map is unchanged by each of them.
    expect(() => map.set(`key-${stored}`, 'x'.repeat(30))).toThrow(MapFullError);
    expect(() => map.set('key-0', 'y'.repeat(40_000))).toThrow(MapFullError); // a replace that does not fit
    expect(snapshot(map)).toEqual(before);
    map.checkInvariants();
    expect(map.stats().bytesTotal).toBeLessThanOrEqual(64 * 1024);
    // Deletes always work, and make room.
    for (let n = 0; n < stored; n += 2) expect(map.delete(`key-${n}`)).toBe(true);
    map.checkInvariants();
    map.set(`key-${stored}`, 'fits now');
    expect(map.get(`key-${stored}`)).toBe('fits now');
    map.checkInvariants();
  });

  it('deletes every key of a full map, mid-grow or not, without needing memory', () => {
    for (const valueLength of [0, 10, 100]) {
      const map = GoMap.shared<string, string>({ byteLength: 4096, maxByteLength: 32 * 1024 });
      const { stored } = fillUntilFull(map, valueLength);
      for (let n = stored - 1; n >= 0; n--) {
        expect(map.delete(`key-${n}`)).toBe(true);
        if (n % 50 === 0) map.checkInvariants();
      }
      expect(map.size).toBe(0);
      map.checkInvariants();
      expect(map.stats().arenaBlocks).toBe(0);
    }
  });

  it('deletes in place, without evacuating, when a grow is under way and there is no room for its evacuation', () => {
    // Reachable only when the new array's spare buckets are used up and the heap is full: forced
    // here by refusing every reservation, which is what a full heap does.
    const store = SharedStore.create<number, string>({}, 'GoMap.shared');
    const model = new Map<number, string>();
    let k = 0;
    // 1664 keys fill 256 buckets to 6.5: the next insert starts a grow to 512.
    while (k <= 1664) {
      store.set(k, `v${k}`);
      model.set(k, `v${k++}`);
    }
    expect(store.stats()).toMatchObject({ B: 9, growing: true });
    (store as unknown as { reserve: () => boolean }).reserve = () => false;
    for (let n = 0; n < k; n += 3) {
      expect(store.delete(n)).toBe(true);
      model.delete(n);
      expect(store.delete(n)).toBe(false);
    }
    expect(store.stats().growing).toBe(true);
    store.checkInvariants();
    expect(new Map(store.entries())).toEqual(model);
    delete (store as unknown as { reserve?: unknown }).reserve; // the prototype's again: the grow completes
    for (let n = 1; n < k; n += 3) {
      expect(store.delete(n)).toBe(true);
      model.delete(n);
    }
    store.checkInvariants();
    expect(new Map(store.entries())).toEqual(model);
  });

  it('refuses a value larger than the whole buffer may grow to', () => {
    const map = GoMap.shared<string, unknown>({ maxByteLength: 1 << 20 });
    map.set('a', 1);
    expect(() => map.set('big', 'x'.repeat(1 << 20))).toThrow(MapFullError);
    expect(() => map.set('big', new Uint8Array(1 << 21))).toThrow(MapFullError);
    expect(snapshot(map)).toEqual(new Map([['a', 1]]));
    map.checkInvariants();
  });

  it('refuses a hint whose bucket array cannot fit', () => {
    expect(() => GoMap.shared({ name: 'huge', hint: 10_000_000, maxByteLength: 1 << 20 })).toThrow(MapFullError);
    expect(() => GoMap.shared({ name: 'huge', hint: 10_000_000, maxByteLength: 1 << 20 })).toThrow(
      /^GoMap.shared 'huge': the bucket array for hint 10000000 \(\d+ bytes\) does not fit in maxByteLength \(1048576 bytes\)/u,
    );
  });
});

describe('churn', () => {
  it('runs 1e5 sets and deletes of varied-length strings within a fixed maxByteLength', () => {
    const random = seededUint32(12);
    const maxByteLength = 2 * 1024 * 1024;
    const map = GoMap.shared<string, string>({ maxByteLength });
    const live: string[] = [];
    const model = new Map<string, string>();
    const text = (length: number): string => String.fromCharCode(...Array.from({ length }, (_, i) => 0x61 + ((i * 7 + length) % 26)));
    let peakUsed = 0;
    for (let n = 0; n < 100_000; n++) {
      if (live.length < 1000 && (live.length < 500 || random() % 2 === 0)) {
        const key = `${n}:${text(random() % 120)}`;
        const value = text(random() % 300);
        map.set(key, value);
        model.set(key, value);
        live.push(key);
      } else {
        const i = random() % live.length;
        const key = live[i]!;
        live[i] = live[live.length - 1]!;
        live.pop();
        expect(map.delete(key)).toBe(true);
        model.delete(key);
      }
      if (n % 10_000 === 0) {
        map.checkInvariants();
        peakUsed = Math.max(peakUsed, map.stats().bytesUsed);
      }
    }
    map.checkInvariants();
    const stats = map.stats();
    expect(stats.bytesTotal).toBeLessThanOrEqual(maxByteLength);
    expect(stats.count).toBe(model.size);
    // The buffer stopped growing early: what churn frees is reused.
    expect(stats.bytesTotal).toBeLessThan(maxByteLength / 2);
    expect(snapshot(map)).toEqual(model);
  });
});
