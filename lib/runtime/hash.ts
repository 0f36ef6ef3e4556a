/**
 * The seeded 64-bit hash GoMap uses for every key (Go's `t.hasher(key, uintptr(h.hash0))`).
 *
 * GoMap reads two parts of a hash: the low B bits pick a bucket (and bit oldB picks X or Y when a
 * bucket is evacuated), the top byte is the tophash stored per cell. Both halves of the 64 bits
 * must therefore be well mixed. hashKey returns the low half and leaves the high half in
 * `hashHigh`, so the hot path allocates no pair object and no BigInt.
 *
 * Keys are equal here exactly when SameValueZero says so (the equality a JavaScript Map uses):
 *
 * - Integers, by far the commonest numeric keys, take the fast path: a safe integer is its 64-bit
 *   two's complement, read without a typed array (+0 and -0 are both the integer 0). Any other
 *   double is hashed by its IEEE-754 bits through one shared Float64Array; every NaN is first
 *   replaced by one canonical NaN.
 * - Strings feed all their UTF-16 code units, two per 32-bit word, into two 32-bit lanes that
 *   start from the two seed halves. Bigints are hashed by value: their hexadecimal text goes
 *   through the string lanes.
 * - Objects, functions and symbols are hashed by identity: each gets the next integer id the first
 *   time it is hashed, kept in a WeakMap so that the id never keeps the key alive. A registered
 *   symbol (`Symbol.for`) cannot be a WeakMap key; it is hashed by its registry key instead, which
 *   is what identifies it.
 * - Every kind of key has its own type tag, which keys the final permutation, so 1, '1', 1n,
 *   true and Symbol.for('1') land in unrelated places rather than in systematically equal ones.
 *
 * Everything ends in `mix64`: three Feistel rounds whose round function is MurmurHash3's fmix32
 * finalizer (Austin Appleby, MurmurHash3.cpp) applied to the half XOR a round key. Each round is a
 * bijection, so distinct 64-bit inputs never collide, and after three rounds every input bit has
 * passed through at least one whole fmix32 on its way to each output half.
 *
 * Why these choices:
 * - Speed on V8: only 32-bit operations TurboFan compiles to single instructions (Math.imul,
 *   shifts, XOR), on values that stay int32 in registers; no BigInt, no 64-bit emulation.
 * - No allocation of its own: no pair object or BigInt per hash (the high half goes out through
 *   `hashHigh`), doubles are read through one preallocated view, and only a bigint key becomes a
 *   string. Both halves travel as int32, not uint32: on V8 a number of 2^31 or more is boxed in a
 *   HeapNumber when it is stored in a module variable such as `hashHigh`, or returned from a call
 *   that is not inlined, which cost about 150 garbage collections per 20M hashes. GoMap only masks
 *   and shifts the halves (`lo & mask`, `hi >>> 24`), which read the same bits either way.
 * - Seeded against hash flooding: each map draws its own 64-bit seed (and Go re-seeds a map when
 *   it becomes empty), so keys precomputed to collide under one seed, or under any fixed hash,
 *   spread out under another. The seed enters numeric keys as the round keys of the permutation.
 *   Strings are where collisions can be built from the message alone: MurmurHash3 and CityHash
 *   have seed-independent multicollisions (Aumasson, Bernstein and Boßlet, "Hash-flooding DoS
 *   reloaded", 2012), because a word's difference reaches the state the same way whatever the
 *   seed. Here each word is XORed with the seeded lane state before the multiplications, so the
 *   carries, and therefore which words collide, depend on a seed the attacker does not know.
 *   This is a fast keyed hash for hash tables, as Go's own fallback for CPUs without AES is
 *   (runtime/hash64.go, after wyhash); it is not a cryptographic PRF such as SipHash.
 */

/** High 32 bits (as an int32) of the hash most recently computed by hashKey. */
export let hashHigh = 0;

// Type tags: arbitrary distinct constants (hexadecimal digits of pi, as in Blowfish), XORed into
// the round keys so that each kind of key is hashed by its own permutation.
const integerTag = 0x243f6a88;
const floatTag = 0x85a308d3;
const stringTag = 0x13198a2e;
const bigintTag = 0x03707344;
const identityTag = 0xa4093822;
const registeredSymbolTag = 0x299f31d0;
const constantTag = 0x082efa98;

// The keys that carry no data, as values under constantTag.
const falseValue = 0;
const trueValue = 1;
const nullValue = 2;
const undefinedValue = 3;

const twoTo32 = 2 ** 32;

// One canonical NaN (the bits of the NaN literal), so that NaNs with other payloads hash equal.
const canonicalNaNLo = 0;
const canonicalNaNHi = 0x7ff80000;

// A double's IEEE-754 bits, read as two 32-bit words. Which word is which depends on the host's
// byte order; that is harmless, since it is the same for every key of one process.
const float64 = new Float64Array(1);
const float64Words = new Uint32Array(float64.buffer);

// Identity ids for objects, functions and unregistered symbols. Ids are safe integers; a process
// would need 2^53 distinct keys to exhaust them.
const identityIds = new WeakMap<WeakKey, number>();
let nextIdentityId = 1;

/**
 * Seeded 64-bit hash of a key under SameValueZero: returns the low 32 bits as an int32 and leaves
 * the high 32 bits in `hashHigh` (also an int32; `x >>> 0` reads either as a uint32).
 *
 * @param key - Any JavaScript value; keys equal under SameValueZero hash equal.
 * @param seedLo - Low half of the map's seed (uint32), e.g. from {@link randomSeed}.
 * @param seedHi - High half of the map's seed (uint32).
 */
export function hashKey(key: unknown, seedLo: number, seedHi: number): number {
  // int32 halves, which V8 passes between functions and stores unboxed (see the top of the file).
  if (typeof key === 'number') return hashNumber(key, seedLo, seedHi);
  if (typeof key === 'string') return hashString(key, stringTag, seedLo, seedHi);
  return hashOtherKey(key, seedLo, seedHi);
}

/** A fresh random seed half (uint32), for a new map and for each re-seed. */
export function randomSeed(): number {
  // Drawn from a buffer refilled 256 words at a time: one Web Crypto call per map was a visible
  // part of creating small maps. Embedders without Web Crypto fall back to Math.random.
  if (seedCursor === seedWords.length) {
    const webCrypto = (globalThis as { crypto?: RandomSource }).crypto;
    if (webCrypto === undefined) return Math.floor(Math.random() * twoTo32);
    webCrypto.getRandomValues(seedWords);
    seedCursor = 0;
  }
  return seedWords[seedCursor++]!;
}

const seedWords = new Uint32Array(256);
let seedCursor = seedWords.length;

/** Web Crypto as far as randomSeed uses it (lib.dom is not among this project's libs). */
interface RandomSource {
  getRandomValues<T extends ArrayBufferView>(array: T): T;
}

function hashNumber(key: number, seedLo: number, seedHi: number): number {
  // Integers first: the int32 check also sends -0 here, as the integer 0.
  if ((key | 0) === key || Number.isSafeInteger(key)) {
    return hashSafeInteger(key, seedLo ^ integerTag, seedHi ^ integerTag);
  }
  if (key !== key) return mix64(canonicalNaNLo, canonicalNaNHi, seedLo ^ floatTag, seedHi ^ floatTag);
  float64[0] = key;
  return mix64(float64Words[0]!, float64Words[1]!, seedLo ^ floatTag, seedHi ^ floatTag);
}

/** Hashes a safe integer as its 64-bit two's complement. */
function hashSafeInteger(value: number, keyLo: number, keyHi: number): number {
  const int32 = value | 0;
  if (int32 === value) return mix64(int32, int32 >> 31, keyLo, keyHi);
  // ToUint32 takes the value modulo 2^32 and the floored quotient is the (signed) high word, so
  // negative values get their two's complement words too.
  return mix64(value >>> 0, Math.floor(value / twoTo32) | 0, keyLo, keyHi);
}

/**
 * Hashes a string's UTF-16 code units, two per little-endian 32-bit word, into two lanes seeded
 * with the two seed halves; `tag` keeps strings apart from the keys that reuse this path.
 */
function hashString(text: string, tag: number, seedLo: number, seedHi: number): number {
  const length = text.length;
  let lane1 = seedLo | 0;
  let lane2 = seedHi | 0;
  for (let i = 0; i < length; i += 2) {
    // An odd last code unit makes a word whose upper half is 0; the length tells it apart.
    const word = i + 1 < length ? text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16) : text.charCodeAt(i);
    lane1 = absorbWord(lane1, word, 0xcc9e2d51, 0x1b873593, 0xe6546b64);
    lane2 = absorbWord(lane2, word, 0x239b961b, 0xab0e9789, 0x0bcaa747);
  }
  return mix64(lane1 ^ length, lane2, tag, tag);
}

/**
 * One block step of MurmurHash3 (x86_32 for lane 1; lane 2 uses the constants of the second lane
 * of x86_128), except that the word is XORed with the lane before it is multiplied: the seeded
 * state then decides the carries, which is what defeats seed-independent multicollisions. For a
 * fixed lane the step is a bijection of the word, so two words never collide in one step.
 */
function absorbWord(lane: number, word: number, c1: number, c2: number, addend: number): number {
  let k = Math.imul(word ^ lane, c1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, c2);
  const h = lane ^ k;
  return (Math.imul((h << 13) | (h >>> 19), 5) + addend) | 0;
}

function hashOtherKey(key: unknown, seedLo: number, seedHi: number): number {
  switch (typeof key) {
    case 'bigint':
      return hashString(key.toString(16), bigintTag, seedLo, seedHi);
    case 'boolean':
      return hashConstant(key ? trueValue : falseValue, seedLo, seedHi);
    case 'undefined':
      return hashConstant(undefinedValue, seedLo, seedHi);
    case 'symbol': {
      const registryKey = Symbol.keyFor(key);
      if (registryKey !== undefined) return hashString(registryKey, registeredSymbolTag, seedLo, seedHi);
      return hashIdentity(key, seedLo, seedHi);
    }
    case 'object':
      if (key === null) return hashConstant(nullValue, seedLo, seedHi);
      return hashIdentity(key, seedLo, seedHi);
    default: // 'function', the one typeof result left
      return hashIdentity(key as WeakKey, seedLo, seedHi);
  }
}

function hashConstant(value: number, seedLo: number, seedHi: number): number {
  return mix64(value, 0, seedLo ^ constantTag, seedHi ^ constantTag);
}

function hashIdentity(key: WeakKey, seedLo: number, seedHi: number): number {
  let id = identityIds.get(key);
  if (id === undefined) {
    id = nextIdentityId++;
    identityIds.set(key, id);
  }
  return hashSafeInteger(id, seedLo ^ identityTag, seedHi ^ identityTag);
}

/**
 * The final permutation of every hash: three Feistel rounds over the 32-bit halves, keyed by
 * (keyLo, keyHi) and a third key derived from both. Returns the low half as an int32 and stores
 * the high half in `hashHigh`.
 */
function mix64(lo: number, hi: number, keyLo: number, keyHi: number): number {
  hi ^= fmix32(lo ^ keyLo);
  lo ^= fmix32(hi ^ keyHi);
  hi ^= fmix32(lo ^ ((keyLo + keyHi) | 0));
  hashHigh = hi | 0;
  return lo;
}

/** MurmurHash3's finalizer: a bijection of 32 bits in which every input bit avalanches. */
function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}
