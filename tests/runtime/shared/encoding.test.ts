/**
 * What a shared GoMap can hold, exactly as it was given, and the TypeErrors for what it cannot:
 * keys of each supported kind (SameValueZero: -0 is 0, NaN is one key), values of each kind
 * (primitives in their slots, objects through v8.serialize), options and handles.
 */
import { describe, expect, it } from 'vitest';
import { GoMap } from '../../../lib/runtime/go-map.js';
import { SafeMap } from '../../../lib/runtime/safe-map.js';

const nonBmp = '𝄞 music, 😀 face, 𠮷 kanji';
const loneSurrogates = 'a\uD800b\uDC00c\uDBFF';
const long = 'long string '.repeat(20_000); // 240k code units: more than one fromCharCode chunk

describe('keys', () => {
  it('keeps every supported key kind apart and finds each again', () => {
    const keys = [
      0, 1, -1, 2 ** 31, -(2 ** 31) - 1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 0.5, -1e-300, 1e300,
      Infinity, -Infinity, Number.MIN_VALUE, NaN,
      '', '0', '1', 'a', nonBmp, loneSurrogates, long,
      0n, 1n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 63n, -(2n ** 63n) - 1n, 2n ** 200n + 12345n, -(3n ** 150n),
    ];
    const map = GoMap.shared<number | string | bigint, number>();
    keys.forEach((key, i) => map.set(key, i));
    expect(map.size).toBe(keys.length);
    keys.forEach((key, i) => {
      expect(map.get(key)).toBe(i);
      expect(map.has(key)).toBe(true);
    });
    const returned = [...map.keys()];
    expect(returned).toHaveLength(keys.length);
    for (const key of keys) expect(returned.some((r) => Object.is(r, key))).toBe(true);
    map.checkInvariants();
    // 1 and 1n and '1' are three keys.
    expect([map.get(1), map.get(1n), map.get('1')]).toEqual([keys.indexOf(1), keys.indexOf(1n), keys.indexOf('1')]);
  });

  it('treats -0 as 0 and every NaN as one key (SameValueZero), as Map does', () => {
    const map = GoMap.shared<number, string>();
    map.set(-0, 'minus zero');
    expect(map.get(0)).toBe('minus zero');
    expect(Object.is([...map.keys()][0], 0)).toBe(true);
    map.set(0, 'zero');
    expect(map.size).toBe(1);
    map.set(NaN, 'nan');
    map.set(Number('not a number'), 'other nan');
    expect(map.size).toBe(2);
    expect(map.get(NaN)).toBe('other nan');
    expect(map.delete(-0)).toBe(true);
    expect(map.delete(NaN)).toBe(true);
    expect(map.size).toBe(0);
  });

  it('throws a TypeError naming the type of an unsupported key, for reads and writes', () => {
    const map = GoMap.shared<never, unknown>({ name: 'cache' });
    for (const [key, type] of [[{}, 'an object'], [[1], 'an Array'], [Symbol('s'), 'Symbol(s)'], [() => 1, 'a function'], [true, 'boolean true'], [null, 'null'], [undefined, 'undefined']] as const) {
      for (const op of [() => map.set(key as never, 1), () => map.get(key as never), () => map.has(key as never), () => map.delete(key as never)]) {
        expect(op).toThrow(TypeError);
        expect(op).toThrow(`GoMap.shared 'cache': a key must be a number, a string or a bigint, got ${type}`);
      }
    }
    expect(map.size).toBe(0);
  });
});

describe('values', () => {
  it('returns every primitive exactly, -0 and NaN included', () => {
    const values = [undefined, null, true, false, 0, -0, NaN, 1.5, -Infinity, '', 'text', nonBmp, loneSurrogates, long, 0n, -(2n ** 63n), 2n ** 64n, -(5n ** 90n)];
    const map = GoMap.shared<number, unknown>();
    values.forEach((value, i) => map.set(i, value));
    values.forEach((value, i) => {
      expect(Object.is(map.get(i), value), `value ${i}`).toBe(true);
      expect(map.has(i)).toBe(true);
    });
    map.checkInvariants();
  });

  it('stores structured-clone-able objects as copies (v8.serialize)', () => {
    const date = new Date(1_700_000_000_000);
    const value = {
      date,
      nested: { list: [1, 'two', { three: 3n }], set: new Set([1, 2]), map: new Map([['k', 'v']]) },
      bytes: new Uint8Array([1, 2, 3]),
      regexp: /a+b/giu,
      text: nonBmp,
    };
    const map = GoMap.shared<string, typeof value>();
    map.set('v', value);
    const copy = map.get('v')!;
    expect(copy).toEqual(value);
    expect(copy).not.toBe(value);
    expect(map.get('v')).not.toBe(copy); // every get deserializes a new copy
    value.text = 'changed after set';
    expect(map.get('v')!.text).toBe(nonBmp);
    const error = new RangeError('boom');
    map.set('e', error as never);
    expect(map.get('e')).toBeInstanceOf(RangeError);
  });

  it('throws a TypeError naming the type of a value structured clone refuses, and changes nothing', () => {
    const map = GoMap.shared<string, unknown>({ name: 'cache' });
    map.set('kept', 'old');
    expect(() => map.set('kept', () => 1)).toThrow("GoMap.shared 'cache': cannot store a function as a value");
    expect(() => map.set('kept', Symbol('s'))).toThrow(TypeError);
    expect(() => map.set('kept', { f: () => 1 })).toThrow(/cannot store an object as a value: structured clone refused it/u);
    expect(() => map.set('new', new WeakMap())).toThrow(/cannot store a WeakMap as a value/u);
    expect(map.get('kept')).toBe('old');
    expect(map.has('new')).toBe(false);
    map.checkInvariants();
  });

  it('replaces values of every kind in place, freeing what they held', () => {
    const map = GoMap.shared<string, unknown>();
    const kinds = ['short', long, { o: 1 }, 12, null, 2n ** 100n, true];
    for (let round = 0; round < 50; round++) {
      for (const [i, value] of kinds.entries()) map.set(`k${i}`, kinds[(i + round) % kinds.length] ?? value);
    }
    map.checkInvariants();
    const { arenaBlocks } = map.stats();
    expect(arenaBlocks).toBeLessThanOrEqual(kinds.length * 2);
  });
});

describe('options and handles', () => {
  it('refuses unknown options and bad option values with a TypeError naming the option', () => {
    expect(() => GoMap.shared({ size: 10 } as never)).toThrow("GoMap.shared: unknown option 'size'");
    expect(() => GoMap.shared({ name: 1 } as never)).toThrow("GoMap.shared: option 'name' must be a string, got number 1");
    expect(() => GoMap.shared({ hint: '10' } as never)).toThrow("GoMap.shared: option 'hint' must be a number");
    expect(() => GoMap.shared({ byteLength: 100 })).toThrow("GoMap.shared: option 'byteLength' must be an integer from 4096 to 1073741824");
    expect(() => GoMap.shared({ maxByteLength: 2 ** 31 })).toThrow("GoMap.shared: option 'maxByteLength' must be an integer");
    expect(() => GoMap.shared({ byteLength: 1.5 })).toThrow(TypeError);
    expect(() => GoMap.shared({ byteLength: 1 << 20, maxByteLength: 1 << 16 })).toThrow("GoMap.shared: option 'byteLength' (1048576) is larger than option 'maxByteLength' (65536)");
    expect(() => GoMap.shared(null as never)).toThrow('GoMap.shared: options must be a plain object, got null');
  });

  it('uses the defaults the docs state, and sizes the table for a hint', () => {
    const plain = GoMap.shared();
    expect(plain.stats()).toMatchObject({ bytesTotal: 64 * 1024, maxByteLength: 64 * 1024 * 1024, B: 0, count: 0 });
    const hinted = GoMap.shared({ hint: 10_000 });
    expect(hinted.stats().B).toBe(11); // as make(map, 10000) in Go
    for (let k = 0; k < 10_000; k++) hinted.set(k, k);
    expect(hinted.stats()).toMatchObject({ B: 11, growing: false });
  });

  it('attaches only a GoMap handle, with TypeErrors naming what it got', () => {
    const map = GoMap.shared({ name: 'jobs' });
    map.set('a', 1);
    const again = GoMap.attach<string, number>(map.handle);
    expect(again.get('a')).toBe(1);
    expect(again.name).toBe('jobs');
    again.set('b', 2);
    expect(map.get('b')).toBe(2);
    expect(() => GoMap.attach({ ...map.handle, type: 'SafeMap' } as never)).toThrow(
      'GoMap.attach: this is the handle of a SafeMap, not of a GoMap: attach it with SafeMap.attach(handle)',
    );
    expect(() => GoMap.attach(map as never)).toThrow(/GoMap.attach: expected the handle of a shared map .*got a SharedGoMap/u);
    expect(() => GoMap.attach(new SafeMap() as never)).toThrow(/got a SafeMap/u);
    expect(() => GoMap.attach({ ...map.handle, buffers: [new SharedArrayBuffer(1024)] })).toThrow(
      'GoMap.attach: this SharedArrayBuffer does not hold a shared map (it is not growable or too small)',
    );
    expect(() => GoMap.attach({ ...map.handle, version: 2 } as never)).toThrow('GoMap.attach: the handle has version 2, this runtime reads version 1');
    // The handle is plain data: structured clone keeps it whole.
    expect(structuredClone(map.handle)).toMatchObject({ kind: 'maprace.shared', type: 'GoMap', name: 'jobs' });
  });
});
