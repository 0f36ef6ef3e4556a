import { afterEach, describe, expect, it, vi } from 'vitest';
import { GoMap } from '../../lib/runtime/go-map.js';
import { hashHigh, hashKey, randomSeed } from '../../lib/runtime/hash.js';

// Fixed seeds keep the statistical tests deterministic; the flooding tests use random ones, as a
// map does.
const seedLo = 0x9e3779b9;
const seedHi = 0x7f4a7c15;

/** The whole 64-bit hash as [low, high], each read as a uint32. */
function hash64(key: unknown, lo = seedLo, hi = seedHi): [number, number] {
  const low = hashKey(key, lo, hi);
  return [low >>> 0, hashHigh >>> 0];
}

/** What GoMap reads from a hash: the bucket among 2^10 (the low 10 bits) and the top byte. */
function bucketOf(key: unknown, lo: number, hi: number): number {
  return hashKey(key, lo, hi) & 1023;
}
function topByteOf(key: unknown, lo: number, hi: number): number {
  hashKey(key, lo, hi);
  return hashHigh >>> 24;
}

function countBy<T>(items: readonly T[], cellOf: (item: T) => number, cells: number): number[] {
  const counts = new Array<number>(cells).fill(0);
  for (const item of items) counts[cellOf(item)]!++;
  return counts;
}

/** Pearson's chi-square statistic of counts against the uniform distribution. */
function chiSquare(counts: readonly number[]): number {
  const expected = counts.reduce((sum, count) => sum + count, 0) / counts.length;
  return counts.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
}

function bitCount(x: number): number {
  let n = 0;
  for (let v = x >>> 0; v !== 0; v &= v - 1) n++;
  return n;
}

/** Bits that differ between two 64-bit hashes. */
function hammingDistance(a: readonly [number, number], b: readonly [number, number]): number {
  return bitCount(a[0] ^ b[0]) + bitCount(a[1] ^ b[1]);
}

/** 32-bit FNV-1a over UTF-16 code units: a fixed, unseeded hash, as a naive hash table would use. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));

/** The inverse of an odd multiplier modulo 2^32 (Newton's iteration doubles the correct bits). */
function inverseOf(odd: number): number {
  let x = odd;
  for (let i = 0; i < 5; i++) x = Math.imul(x, 2 - Math.imul(odd, x));
  return x;
}

// MurmurHash3_x86_32's block step, whose state update carries a difference in bit 18 of a block
// to bit 31 whatever the state: the seed-independent multicollision of Aumasson, Bernstein and
// Boßlet ("Hash-flooding DoS reloaded", 2012).
const murmurC1 = 0xcc9e2d51;
const murmurC2 = 0x1b873593;

/** MurmurHash3_x86_32's state after absorbing `words`; equal states give equal hashes. */
function murmur3State(words: readonly number[], seed: number): number {
  let h = seed | 0;
  for (const word of words) {
    const k = Math.imul(rotl(Math.imul(word, murmurC1), 15), murmurC2);
    h = (Math.imul(rotl(h ^ k, 13), 5) + 0xe6546b64) | 0;
  }
  return h >>> 0;
}

/** The word whose MurmurHash3 block mix is `k`. */
function murmur3WordFor(k: number): number {
  const rotated = Math.imul(k, inverseOf(murmurC2));
  return Math.imul(rotl(rotated, 17), inverseOf(murmurC1)) >>> 0;
}

/**
 * 2^pairs strings that collide under MurmurHash3 for every seed: each block pair is either
 * (k1, k2) or (k1 ^ 2^18, k2 ^ 2^31), and the second cancels the difference the first leaves.
 */
function murmur3Multicollision(pairs: number): { texts: string[]; words: number[][] } {
  const choices = Array.from({ length: pairs }, (_, i) => {
    const k1 = Math.imul(i + 1, 0x9e3779b1);
    const k2 = Math.imul(i + 1, 0x85ebca6b);
    return [[k1, k2], [k1 ^ (1 << 18), k2 ^ (1 << 31)]].map((ks) => ks.map(murmur3WordFor));
  });
  // String n takes the variant of pair i that bit i of n names.
  const words = Array.from({ length: 2 ** pairs }, (_, n) =>
    choices.flatMap((variants, i) => variants[(n >>> i) & 1]!));
  // Each word as two UTF-16 code units, low half first, as hashKey reads a string.
  const texts = words.map((ws) => String.fromCharCode(...ws.flatMap((w) => [w & 0xffff, w >>> 16])));
  return { texts, words };
}

/** The first `count` candidates whose bucket (low 10 bits) under `hash` is 0: a flooding key set. */
function collidingKeys<K>(count: number, candidate: (i: number) => K, hash: (key: K) => number): K[] {
  const keys: K[] = [];
  for (let i = 0; keys.length < count; i++) {
    const key = candidate(i);
    if ((hash(key) & 1023) === 0) keys.push(key);
  }
  return keys;
}

/** The largest number of keys that share one of 1024 buckets. */
function maxBucketLoad(keys: readonly unknown[], lo: number, hi: number): number {
  return Math.max(...countBy(keys, (key) => bucketOf(key, lo, hi), 1024));
}

/** A double with the given IEEE-754 bits. */
function doubleFromBits(hi: number, lo: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setUint32(0, hi);
  view.setUint32(4, lo);
  return view.getFloat64(0);
}

describe('hashKey', () => {
  it('returns the low half and leaves the high half in hashHigh, both as int32 (unboxed on V8)', () => {
    for (const key of [0, -1, 2 ** 31, 0.5, NaN, 'a', '', 1n, true, null, undefined, {}, Symbol('s')]) {
      const low = hashKey(key, seedLo, seedHi);
      for (const half of [low, hashHigh]) expect(half, `${String(key)}: ${half}`).toBe(half | 0);
    }
  });

  it('is deterministic under one seed, whatever was hashed in between', () => {
    const object = {};
    const keys = [42, -7, 2 ** 40, 3.25, 'user:1', 12345678901234567890n, false, null, undefined, object];
    const first = keys.map((key) => hash64(key));
    hash64('something else', 1, 2);
    expect(keys.map((key) => hash64(key))).toEqual(first);
  });

  describe('SameValueZero: equal keys hash equal', () => {
    const object = { a: 1 };
    const fn = (): number => 0;
    const registered = Symbol.for('maprace.test');

    it.each<[string, unknown, unknown]>([
      // SameValueZero's two departures from ===.
      ['+0 and -0', 0, -0],
      ['-0 as a double expression', 0, -1 * 0],
      ['NaN and 0/0', NaN, 0 / 0],
      ['NaN and Math.sqrt(-1)', NaN, Math.sqrt(-1)],
      ['NaN and a negative NaN', NaN, doubleFromBits(0xfff80000, 0)],
      ['NaN and a NaN with a payload', NaN, doubleFromBits(0x7ff00000, 1)],
      // The same value reached by different computations.
      ['an int32', 42, 6 * 7],
      ['the int32 bounds', -(2 ** 31), -2147483648],
      ['a safe integer past int32', 2 ** 40 + 3, 1099511627779],
      ['a negative safe integer', -(2 ** 52) - 1, -4503599627370497],
      ['the largest safe integer', Number.MAX_SAFE_INTEGER, 2 ** 53 - 1],
      ['an integer beyond 2^53', 2 ** 60, 1152921504606846976],
      ['a double', 0.1 + 0.2, 0.30000000000000004],
      ['Infinity', Infinity, 1 / 0],
      ['a string and its concatenation', 'user:1234', ['user', ':', '12', '34'].join('')],
      ['a string and its slice', 'bc', 'abcd'.slice(1, 3)],
      ['the empty string', '', 'x'.slice(1)],
      ['a surrogate pair', '😀', '\uD83D\uDE00'],
      ['a lone surrogate', '\uD800', String.fromCharCode(0xd800)],
      ['a long string', 'x'.repeat(10_000), 'xx'.repeat(5_000)],
      ['a bigint', 1n, BigInt(1)],
      ['a negative bigint', -255n, BigInt(-255)],
      ['a large bigint', 2n ** 200n, BigInt(`0x1${'0'.repeat(50)}`)],
      ['true', true, !false],
      ['null', null, JSON.parse('null')],
      ['undefined', undefined, void 0],
      ['a registered symbol', registered, Symbol.for('maprace.test')],
      ['a well-known symbol', Symbol.iterator, Symbol.iterator],
      ['one object', object, object],
      ['one function', fn, fn],
    ])('%s', (_, a, b) => {
      expect(hash64(a)).toEqual(hash64(b));
    });
  });

  describe('distinct keys hash apart', () => {
    it.each<[string, unknown, unknown]>([
      ['neighbouring integers', 1, 2],
      ['the int32 bounds', 2 ** 31, -(2 ** 31)],
      ['integers equal modulo 2^32', 2 ** 32 + 5, 5],
      ['integers differing in the high word only', 2 ** 52, 2 ** 51],
      ['neighbouring doubles', 0.1, 0.1 + Number.EPSILON],
      ['the infinities', Infinity, -Infinity],
      ['anagrams', 'ab', 'ba'],
      ['a string and itself plus NUL', 'a', 'a\0'],
      ['the empty string and NUL', '', '\0'],
      ['strings differing in their last code unit', 'user:1000', 'user:1001'],
      ['a bigint and its negation', 1n, -1n],
      ['bigints equal modulo 2^64', 2n ** 64n, 0n],
      ['the booleans', true, false],
      ['null and undefined', null, undefined],
      ['two equal-looking objects', { a: 1 }, { a: 1 }],
      ['two empty arrays', [], []],
      ['two equal-looking functions', () => 0, () => 0],
      ['two symbols with one description', Symbol('k'), Symbol('k')],
      ['a registered and an unregistered symbol', Symbol.for('k'), Symbol('k')],
      ['two registered symbols', Symbol.for('a'), Symbol.for('b')],
    ])('%s', (_, a, b) => {
      expect(hash64(a)).not.toEqual(hash64(b));
    });

    it('keeps keys of different types apart even where their values print alike', () => {
      const lookalikes = [1, '1', 1n, true, Symbol.for('1'), 5e-324, 0, '0', 0n, false, null, undefined, ''];
      const hashes = new Set(lookalikes.map((key) => hash64(key).join(':')));
      expect(hashes.size).toBe(lookalikes.length);
    });

    it('gives integers, their strings, their bigints and the doubles with their bits 4000 distinct hashes', () => {
      const keys: unknown[] = [];
      // From 1: the double with the bits of 0 is the number 0.
      for (let i = 1; i <= 1000; i++) keys.push(i, String(i), BigInt(i), doubleFromBits(0, i));
      expect(new Set(keys.map((key) => hash64(key).join(':'))).size).toBe(keys.length);
    });
  });

  describe('objects, functions and symbols hash by identity', () => {
    it('hashes the same object equally however often, and equal-looking ones apart', () => {
      const objects = Array.from({ length: 100 }, () => ({ id: 1 }));
      const hashes = objects.map((object) => hash64(object).join(':'));
      expect(new Set(hashes).size).toBe(objects.length);
      expect(objects.map((object) => hash64(object).join(':'))).toEqual(hashes);
    });

    it('never touches the key: frozen objects, null-prototype objects and proxies hash unchanged', () => {
      const frozen = Object.freeze({ a: 1 });
      const bare = Object.create(null) as object;
      const proxy = new Proxy({}, {
        defineProperty: () => {
          throw new Error('the hash must not define properties on a key');
        },
      });
      for (const key of [frozen, bare, proxy]) {
        expect(hash64(key)).toEqual(hash64(key));
        expect(Reflect.ownKeys(key)).toEqual(Object.is(key, frozen) ? ['a'] : []);
      }
    });
  });

  describe('seeds', () => {
    const intKeys = Array.from({ length: 1000 }, (_, i) => i);
    const stringKeys = Array.from({ length: 1000 }, (_, i) => `user:${i}`);
    const otherSeeds: [string, number, number][] = [
      ['the low seed half one bit away', seedLo ^ 1, seedHi],
      ['the high seed half one bit away', seedLo, (seedHi ^ 0x80000000) >>> 0],
      ['an unrelated seed', 0x243f6a88, 0x85a308d3],
      ['the zero seed', 0, 0],
    ];

    describe.each([
      ['integer keys', intKeys],
      ['string keys', stringKeys],
    ])('%s', (_, keys) => {
      it.each(otherSeeds)('share nothing with their hashes under %s', (__, lo, hi) => {
        const distances = keys.map((key) => hammingDistance(hash64(key), hash64(key, lo, hi)));
        const meanDistance = distances.reduce((sum, d) => sum + d, 0) / keys.length;
        // Unrelated 64-bit values differ in 32 bits on average (standard error here 0.13).
        expect(meanDistance).toBeGreaterThan(31);
        expect(meanDistance).toBeLessThan(33);
        // About one key in 1024 keeps its bucket by chance.
        const sameBucket = keys.filter((key) => bucketOf(key, seedLo, seedHi) === bucketOf(key, lo, hi));
        expect(sameBucket.length).toBeLessThan(8);
      });
    });

    it('hashes the empty string differently under each seed', () => {
      const seeds = [[0, 0], [1, 0], [0, 1], [seedLo, seedHi]] as const;
      expect(new Set(seeds.map(([lo, hi]) => hash64('', lo, hi).join(':'))).size).toBe(seeds.length);
    });
  });

  describe('avalanche: flipping one input bit flips each output bit about half the time', () => {
    const samples = 1000;
    // 6 standard errors of a fair coin over `samples` trials.
    const tolerance = 6 * Math.sqrt(0.25 / samples);

    /** The largest |P(output bit j flips) - 1/2| over all input bits i and output bits j. */
    function worstBias(inputBits: number, flipped: (sample: number, bit: number) => [unknown, unknown]): number {
      let worst = 0;
      for (let bit = 0; bit < inputBits; bit++) {
        const flips = new Array<number>(64).fill(0);
        for (let sample = 0; sample < samples; sample++) {
          const [a, b] = flipped(sample, bit);
          const [aLo, aHi] = hash64(a);
          const [bLo, bHi] = hash64(b);
          for (let j = 0; j < 32; j++) {
            flips[j]! += ((aLo ^ bLo) >>> j) & 1;
            flips[32 + j]! += ((aHi ^ bHi) >>> j) & 1;
          }
        }
        for (const count of flips) worst = Math.max(worst, Math.abs(count / samples - 0.5));
      }
      return worst;
    }

    const scrambled = (i: number): number => Math.imul(i + 1, 0x9e3779b1);

    it('for the bits of an int32', () => {
      expect(worstBias(32, (i, bit) => [scrambled(i), scrambled(i) ^ (1 << bit)])).toBeLessThan(tolerance);
    });

    it('for the high word of a safe integer', () => {
      const safeInteger = (highWord: number, i: number): number => highWord * 2 ** 32 + (scrambled(i) >>> 0);
      const highWordOf = (i: number): number => scrambled(i + samples) & 0xfffff;
      expect(worstBias(20, (i, bit) => [
        safeInteger(highWordOf(i), i),
        safeInteger(highWordOf(i) ^ (1 << bit), i),
      ])).toBeLessThan(tolerance);
    });

    it('for the bits of a code unit of a string', () => {
      const flipFirst = (text: string, bit: number): string =>
        String.fromCharCode(text.charCodeAt(0) ^ (1 << bit)) + text.slice(1);
      expect(worstBias(16, (i, bit) => [`user:${i}`, flipFirst(`user:${i}`, bit)])).toBeLessThan(tolerance);
    });
  });

  describe('distribution of 100k keys (chi-square against uniform, within 6 standard deviations)', () => {
    const count = 100_000;
    const keySets: [string, unknown[]][] = [
      ['sequential integers', Array.from({ length: count }, (_, i) => i)],
      ['strings like `user:${i}`', Array.from({ length: count }, (_, i) => `user:${i}`)],
      ['doubles i + 0.5', Array.from({ length: count }, (_, i) => i + 0.5)],
      ['objects (identity ids are sequential)', Array.from({ length: count }, () => ({}))],
    ];
    const seeds = [[seedLo, seedHi], [0, 0]] as const;

    describe.each(keySets)('%s', (_, keys) => {
      it.each(seeds)('spread over 1024 buckets by their low 10 bits (seed %i, %i)', (lo, hi) => {
        const chi = chiSquare(countBy(keys, (key) => bucketOf(key, lo, hi), 1024));
        // 1023 degrees of freedom: mean 1023, standard deviation 45.
        expect(chi).toBeGreaterThan(1023 - 6 * 45);
        expect(chi).toBeLessThan(1023 + 6 * 45);
      });

      it.each(seeds)('spread over 256 values by their top byte, the tophash (seed %i, %i)', (lo, hi) => {
        const chi = chiSquare(countBy(keys, (key) => topByteOf(key, lo, hi), 256));
        // 255 degrees of freedom: mean 255, standard deviation 22.6.
        expect(chi).toBeGreaterThan(255 - 6 * 22.6);
        expect(chi).toBeLessThan(255 + 6 * 22.6);
      });
    });
  });

  describe('collision flooding: keys built to share a bucket spread out under a seed it does not know', () => {
    // 2000 keys over 1024 buckets average 2 per bucket; a uniform hash puts at most about 9 in one.
    const maxLoad = 20;
    const candidate = (i: number): string => `k${i.toString(36)}`;

    it('defeats a fixed hash: 2000 strings with one 32-bit FNV-1a bucket', () => {
      const keys = collidingKeys(2000, candidate, fnv1a);
      expect(new Set(keys.map((key) => fnv1a(key) & 1023))).toEqual(new Set([0]));

      const lo = randomSeed();
      const hi = randomSeed();
      expect(maxBucketLoad(keys, lo, hi)).toBeLessThan(maxLoad);
      expect(new Set(keys.map((key) => topByteOf(key, lo, hi))).size).toBeGreaterThan(200);
    });

    it('keeps GoMap\'s chains short for those keys, where an unseeded FNV-1a table piles them up', () => {
      const keys = collidingKeys(2000, candidate, fnv1a);
      const entries = keys.map((key, i): [string, number] => [key, i]);
      const seeded = new GoMap(entries);
      const unseeded = new GoMap(entries, { hasher: (key) => BigInt(fnv1a(key)) });
      for (const map of [seeded, unseeded]) expect(new Map(map)).toEqual(new Map(entries));
      // A lookup walks one chain: with the seeded hash no chain is longer than 3 buckets (24
      // probes), so time per operation stays flat; FNV-1a puts every key into one chain.
      const longest = (map: GoMap<string, number>) => map.stats().chainLengths.length - 1;
      expect(longest(seeded)).toBeLessThanOrEqual(3);
      expect(longest(unseeded)).toBeGreaterThan(200);
    });

    it('keeps the cost of a lookup flat as the flood grows from 1000 to 8000 keys', () => {
      // A lookup walks the chain its key's bucket heads, so its cost is that chain's length: here
      // the mean over keys (a chain of length n weighted by the n buckets of keys in it). Seeded,
      // it stays at about one bucket whatever the flood's size. Under FNV-1a it grows with the
      // flood: 8 times the keys in 4 times the chain length (the 8000-key map has B = 11, and
      // the 11th bit, which the flood does not fix, splits the one chain in two).
      const meanChain = (map: GoMap<string, number>): number => {
        const { chainLengths } = map.stats();
        let buckets = 0;
        let weighted = 0;
        chainLengths.forEach((count, length) => {
          buckets += count * length;
          weighted += count * length * length;
        });
        return weighted / buckets;
      };
      const flood = collidingKeys(8000, candidate, fnv1a);
      const costs = [1000, 8000].map((size) => {
        const entries = flood.slice(0, size).map((key, i): [string, number] => [key, i]);
        return { seeded: meanChain(new GoMap(entries)), unseeded: meanChain(new GoMap(entries, { hasher: (key) => BigInt(fnv1a(key)) })) };
      });
      expect(costs[0]!.seeded).toBeLessThan(1.5);
      expect(costs[1]!.seeded).toBeLessThan(1.5);
      expect(costs[1]!.unseeded / costs[0]!.unseeded).toBeGreaterThan(3);
    });

    it('defeats a structural multicollision: 2048 strings that collide under MurmurHash3 for every seed', () => {
      const { texts, words } = murmur3Multicollision(11);
      for (const seed of [0, 1, randomSeed()]) {
        expect(new Set(words.map((ws) => murmur3State(ws, seed))).size).toBe(1);
      }
      expect(maxBucketLoad(texts, randomSeed(), randomSeed())).toBeLessThan(maxLoad);
      expect(maxBucketLoad(texts, 0, 0)).toBeLessThan(maxLoad);
    });

    const keyMakers: [string, (i: number) => unknown][] = [
      ['strings', candidate],
      ['integers', (i) => i * 7],
    ];
    describe.each(keyMakers)('defeats a known seed: 2000 %s with one bucket under seed (0, 0)', (_, make) => {
      const keys = collidingKeys(2000, make, (key) => hashKey(key, 0, 0));

      it('collide under seed (0, 0)', () => {
        expect(maxBucketLoad(keys, 0, 0)).toBe(keys.length);
      });

      it('spread under a random seed', () => {
        expect(maxBucketLoad(keys, randomSeed(), randomSeed())).toBeLessThan(maxLoad);
      });

      it.each([[1, 0], [0, 1], [0x80000000, 0]])('spread under seed (%i, %i), one bit away', (lo, hi) => {
        expect(maxBucketLoad(keys, lo, hi)).toBeLessThan(maxLoad);
      });
    });
  });
});

describe('randomSeed', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  it('returns varying uint32s', () => {
    const seeds = Array.from({ length: 16 }, () => randomSeed());
    for (const seed of seeds) expect(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32).toBe(true);
    expect(new Set(seeds).size).toBeGreaterThan(1);
  });

  it('refills its buffer of Web Crypto words as it runs out', () => {
    const seeds = Array.from({ length: 600 }, () => randomSeed());
    expect(new Set(seeds).size).toBeGreaterThan(590);
  });

  it('falls back to Math.random where there is no Web Crypto, once the buffer is used up', () => {
    vi.stubGlobal('crypto', undefined);
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const seeds = Array.from({ length: 257 }, () => randomSeed());
    expect(random).toHaveBeenCalled();
    expect(seeds.at(-1)).toBe(2 ** 31);
  });
});
