/**
 * GoMap: Go 1.19's runtime hash map (runtime/map.go), ported bucket for bucket.
 *
 * The design, as Go's map.go explains its own:
 *
 * A map is a hash table whose data is an array of 2^B buckets. Each bucket holds up to 8
 * key/elem pairs. The low-order B bits of a key's 64-bit hash select its bucket; the hash's top
 * byte, its "tophash", is stored per cell so that a lookup compares one byte before it compares
 * keys. Values 0..4 of a tophash are reserved marks (emptyRest, emptyOne and the three evacuated
 * states), so a real top byte below 5 is bumped by 5. When more than 8 keys land in a bucket, an
 * overflow bucket is chained to it.
 *
 * When the average load would pass 6.5 keys per bucket, or when there are about as many overflow
 * buckets as buckets (a map that grew and shrank), the table grows: a new bucket array twice as
 * large (or, for the overflow case, the same size) is allocated and the old buckets are copied
 * into it incrementally, two at a time, by the writes that follow (growWork/evacuate). While
 * growing, old bucket i splits into new buckets i ("X") and i + 2^oldB ("Y") by bit oldB of the
 * hash. Lookups read an old bucket until it has been evacuated.
 *
 * Iterators walk buckets in order from a random start bucket and a random offset within each
 * bucket, then the overflow chain. Keys never move within a bucket (they would be returned 0 or 2
 * times); when the table grows under an iterator, the iterator keeps walking the array it started
 * on and, for buckets already evacuated, looks the key up in the new table so that deleted keys
 * are skipped and updated values are returned.
 *
 * How the port is laid out in JavaScript: a bucket array is a set of parallel arrays indexed by
 * bucket number (typed arrays for tophash and overflow links, plain arrays for keys and elems).
 * Overflow buckets are allocated after the 2^B main buckets of the same array, so an overflow link
 * of 0 means "none" (bucket 0 is a main bucket and never anyone's overflow). Go's `hashWriting`
 * flag is kept exactly: JavaScript runs one thing at a time, so it can only be observed by
 * re-entry (a hasher that calls back into the map) or by race mode, which holds it across awaits.
 *
 * Differences from Go, all forced by JavaScript's `Map` contract: keys compare with SameValueZero,
 * so NaN is one key (Go's NaN keys are never equal to anything) and -0 is stored as +0.
 */
import { ConcurrentMapError, type ConcurrentMapErrorCode, type WritingHold } from './errors.js';
import { checkRaceOption, MapRaceMonitor, watchAccesses, type RaceModeOptions } from './race-detector.js';
import { isRaceModeRequested } from './race-flag.js';
import { hashHigh, hashKey, randomSeed } from './hash.js';
import { SharedGoMap } from './shared/go-map-shared.js';
import type { SharedMapHandle } from './shared/handle.js';
import type { SharedKey, SharedMapOptions } from './shared/store.js';
import {
  bucketCnt,
  bucketCntBits,
  bucketsForHint,
  emptyOne,
  emptyRest,
  evacuatedEmpty,
  evacuatedX,
  evacuatedY,
  hashWriting,
  iterator,
  minTopHash,
  noCheck,
  oldIterator,
  overLoadFactor,
  sameSizeGrow,
  tooManyOverflowBuckets,
  tophashOf,
} from './go-map-layout.js';

export { bucketsForHint };

/** How many overflow buckets a new array of nbuckets buckets makes room for. */
function overflowReserve(nbuckets: number): number {
  return Math.max(1, nbuckets >>> 4);
}

/** A bucket array: 2^B main buckets followed by the overflow buckets allocated so far. */
class BucketArray<K, V> {
  tophash: Uint8Array;
  keys: (K | undefined)[];
  elems: (V | undefined)[];
  /** overflow[b] is the bucket chained after b, or 0 for none. */
  overflow: Int32Array;
  /** Buckets in use: the main ones plus the overflow buckets handed out. */
  used: number;

  constructor(readonly nbuckets: number) {
    // Room for overflow buckets, as many as Go preallocates (2^(B-4)); at the 6.5 load limit
    // about 1 bucket in 5 has one (Go's table in map.go), so the room doubles when it runs out.
    const capacity = nbuckets + overflowReserve(nbuckets);
    this.tophash = new Uint8Array(capacity * bucketCnt);
    this.keys = new Array<K | undefined>(capacity * bucketCnt);
    this.elems = new Array<V | undefined>(capacity * bucketCnt);
    this.overflow = new Int32Array(capacity);
    this.used = nbuckets;
  }

  /** Hands out a fresh, empty overflow bucket, enlarging the arrays when they are full. */
  allocOverflow(): number {
    if (this.used === this.overflow.length) {
      // Double the overflow area, not the whole array: the main buckets never need the room.
      const capacity = this.used + Math.max(overflowReserve(this.nbuckets), this.used - this.nbuckets);
      const tophash = new Uint8Array(capacity * bucketCnt);
      tophash.set(this.tophash);
      this.tophash = tophash;
      const overflow = new Int32Array(capacity);
      overflow.set(this.overflow);
      this.overflow = overflow;
      this.keys.length = capacity * bucketCnt;
      this.elems.length = capacity * bucketCnt;
    }
    return this.used++;
  }

  /** True when bucket b's cells are in the evacuated states (Go's `evacuated(b)`). */
  evacuated(b: number): boolean {
    const h = this.tophash[b * bucketCnt]!;
    return h > emptyOne && h < minTopHash;
  }

  /** Empties every bucket in place (Go's makeBucketArray over dirty memory, used by mapclear). */
  reset(): void {
    this.tophash.fill(emptyRest);
    this.keys.fill(undefined);
    this.elems.fill(undefined);
    this.overflow.fill(0);
    this.used = this.nbuckets;
  }
}

/** One bucket (Go's `bmap`) in `debug()` output: its 8 tophash bytes and the keys of live cells. */
export interface GoMapCell<K> {
  /** 8 values: 0 emptyRest, 1 emptyOne, 2 evacuatedX, 3 evacuatedY, 4 evacuatedEmpty, >= 5 live. */
  tophash: number[];
  /** 8 values: the key where `tophash >= 5`, otherwise null. */
  keys: (K | null)[];
}

/** A bucket followed by its overflow buckets, in chain order. */
export type GoMapChain<K> = GoMapCell<K>[];

/** The map header, as Go's `hmap` holds it. */
export interface GoMapHeader {
  count: number;
  /** Go's flag bits: iterator=1, oldIterator=2, hashWriting=4, sameSizeGrow=8. */
  flags: number;
  B: number;
  noverflow: number;
  nevacuate: number;
  growing: boolean;
}

/** The whole layout, in the shape of the Go 1.19 golden traces' `state`. */
export interface GoMapDebugState<K = unknown> extends GoMapHeader {
  /** 2^B chains, or null before the first insert of a map made with a hint <= 8. */
  buckets: GoMapChain<K>[] | null;
  /** While growing: 2^(B-1) chains (2^B for a same-size grow); otherwise null. */
  oldbuckets: GoMapChain<K>[] | null;
}

/** Numbers for tuning and for pictures. */
export interface GoMapStats {
  count: number;
  B: number;
  /** Main buckets: 2^B. */
  buckets: number;
  /** Overflow buckets in the current array (and the old one while growing). */
  overflowBuckets: number;
  /** count / 2^B; growth starts past 6.5. */
  loadFactor: number;
  growing: boolean;
  nevacuate: number;
  /** chainLengths[n]: how many main buckets have a chain of n buckets (1 = no overflow). */
  chainLengths: number[];
  /** Bytes held by the bucket arrays: tophash bytes, overflow links and 8-byte key/elem slots. */
  estimatedBytes: number;
}

/** Options of `new GoMap(...)`. */
export interface GoMapOptions<K> {
  /** Expected number of entries, like `make(map[K]V, hint)`; negative, NaN or huge hints are ignored as Go ignores them. */
  hint?: number;
  /** Testing hook: the 64-bit hash of a key (replaces the seeded default hash). */
  hasher?: (key: K) => bigint;
  /** The uint32 source of iterator start positions (Go's fastrand in mapiterinit); nothing else. */
  random?: () => number;
  /** A name for the map in error reports. */
  name?: string;
  /**
   * Race mode (docs/runtime.md): `true` or `{ report, stacks }` checks every access for async
   * races and throws Go's concurrent-access errors; `false` keeps it off even under `MAPRACE=1`
   * or `--import maprace/race`. Default: on when the process asked for race mode.
   */
  race?: boolean | RaceModeOptions;
}

const optionKeys = new Set(['hint', 'hasher', 'random', 'name', 'race']);

/** Where holdWriting() was called: the stack is captured then and formatted only if an error needs it. */
class HoldSite {
  private readonly site: { stack?: string } = {};

  constructor(readonly key: unknown) {
    Error.captureStackTrace(this.site, GoMap.prototype.holdWriting); // holdWriting's caller first
  }

  describe(): WritingHold {
    const lines = (this.site.stack ?? '').split('\n').slice(1, 1 + holdSiteFrames);
    return { key: this.key, stack: lines.join('\n') };
  }
}

/** How many frames of holdWriting's caller an error shows. */
const holdSiteFrames = 6;

const nilMapErrorBrand = Symbol.for('eslint-plugin-maprace.NilMapError');

/** Thrown by writes to the nil map, with Go's text. `instanceof` holds across the ESM and CJS builds. */
export class NilMapError extends Error {
  override readonly name = 'NilMapError';
  readonly code = 'ERR_NIL_MAP_WRITE';
  /** The key the write was for. */
  readonly key: unknown;
  constructor(key?: unknown) {
    super('assignment to entry in nil map');
    this.key = key;
    Object.defineProperty(this, nilMapErrorBrand, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && nilMapErrorBrand in value;
  }
}

function validateOptions<K>(options: GoMapOptions<K>): void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`GoMap: options must be an object, got ${options === null ? 'null' : typeof options}`);
  }
  for (const key of Object.keys(options)) {
    if (!optionKeys.has(key)) throw new TypeError(`GoMap: unknown option '${key}'`);
  }
  if (options.hint !== undefined && typeof options.hint !== 'number') {
    throw new TypeError(`GoMap: option 'hint' must be a number, got ${typeof options.hint}`);
  }
  for (const key of ['hasher', 'random'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'function') {
      throw new TypeError(`GoMap: option '${key}' must be a function, got ${typeof options[key]}`);
    }
  }
  if (options.name !== undefined && typeof options.name !== 'string') {
    throw new TypeError(`GoMap: option 'name' must be a string, got ${typeof options.name}`);
  }
  checkRaceOption('GoMap', options.race);
}

const isGoMapOptions = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && !(Symbol.iterator in value);

/**
 * A `Map` that stores its entries exactly as Go 1.19's runtime map does, and raises Go's
 * concurrent-access errors when it observes what Go's `hashWriting` checks observe.
 */
export class GoMap<K, V> implements Map<K, V> {
  // hmap
  private count = 0;
  private flags = 0;
  private B = 0;
  private noverflow = 0;
  private seedLo = 0;
  private seedHi = 0;
  private buckets: BucketArray<K, V> | null = null;
  private oldbuckets: BucketArray<K, V> | null = null;
  private nevacuate = 0;

  private isNil = false;
  private readonly customHasher: ((key: K) => bigint) | null;
  private readonly random: () => number;
  private readonly mapName: string | undefined;
  /** The holdWriting() call whose release has not run: it, not a write, holds hashWriting. */
  private writingHold: HoldSite | undefined;
  /** High 32 bits of the hash computed by the last call to hash(). */
  private hashHi = 0;
  /** Scratch for evacuate(): the X/Y choice of each entry of the chain being evacuated. */
  private readonly evacDestinations: number[] = [];
  /** The bucket array the last successful lookup() found its slot in. */
  private foundIn: BucketArray<K, V> | null = null;

  /**
   * A GoMap in shared memory, for worker_threads: Go's bucket layout in a SharedArrayBuffer,
   * unguarded like a Go map (two threads writing at once throw "concurrent map writes"). Post
   * `map.handle` to another thread and open it there with `GoMap.attach(handle)`. Keys: numbers,
   * strings, bigints; values: primitives and structured-clone-able objects. docs/runtime.md,
   * "Shared memory (worker_threads)", has the layout, limits and errors.
   */
  static shared<K extends SharedKey = SharedKey, V = unknown>(options?: SharedMapOptions): SharedGoMap<K, V> {
    return SharedGoMap.create<K, V>(options);
  }

  /** Opens in this thread the shared GoMap whose `handle` another thread posted (same memory). */
  static attach<K extends SharedKey = SharedKey, V = unknown>(handle: SharedMapHandle): SharedGoMap<K, V> {
    return SharedGoMap.attach<K, V>(handle);
  }

  /** A nil map: reads behave as on an empty map, writes throw "assignment to entry in nil map". */
  static nil<K, V>(): GoMap<K, V> {
    const map = new GoMap<K, V>();
    map.isNil = true;
    return map;
  }

  constructor(options?: GoMapOptions<K>);
  constructor(entries?: Iterable<readonly [K, V]> | null, options?: GoMapOptions<K>);
  constructor(
    entriesOrOptions?: Iterable<readonly [K, V]> | GoMapOptions<K> | null,
    maybeOptions?: GoMapOptions<K>,
  ) {
    const entries = isGoMapOptions(entriesOrOptions)
      ? undefined
      : (entriesOrOptions as Iterable<readonly [K, V]> | null | undefined);
    const options = (isGoMapOptions(entriesOrOptions) ? entriesOrOptions : maybeOptions ?? {}) as GoMapOptions<K>;
    validateOptions(options);
    this.customHasher = options.hasher ?? null;
    this.random = options.random ?? (() => (Math.random() * 2 ** 32) >>> 0);
    this.mapName = options.name;
    this.reseed();
    // makemap: choose B for the hint; the buckets of a small map are allocated on first write.
    this.B = bucketsForHint(options.hint ?? 0);
    if (this.B !== 0) this.buckets = new BucketArray(1 << this.B);
    if (entries !== undefined && entries !== null) {
      for (const entry of entries) {
        if (typeof entry !== 'object' || entry === null) {
          throw new TypeError(`GoMap: iterator value ${String(entry)} is not an entry object`);
        }
        this.set(entry[0], entry[1]);
      }
    }
    const race = options.race ?? isRaceModeRequested();
    if (race !== false) {
      const name = this.mapName === undefined ? 'GoMap' : `GoMap '${this.mapName}'`;
      watchAccesses(this, new MapRaceMonitor(name, race === true ? {} : race));
    }
  }

  get [Symbol.toStringTag](): string {
    return 'GoMap';
  }

  /** Number of entries. */
  get size(): number {
    return this.count;
  }

  // ---- hashing -------------------------------------------------------------------------------

  /** Hashes a key under this map's seed: returns the low 32 bits, leaves the high 32 in hashHi. */
  private hash(key: K): number {
    if (this.customHasher === null) {
      const lo = hashKey(key, this.seedLo, this.seedHi);
      this.hashHi = hashHigh;
      return lo;
    }
    // SameValueZero: a hasher that tells -0 from +0 must still see one key.
    const raw = this.customHasher(((key as unknown) === 0 ? 0 : key) as K);
    if (typeof raw !== 'bigint') throw new TypeError(`GoMap: option 'hasher' must return a bigint, got ${typeof raw}`);
    const h = BigInt.asUintN(64, raw);
    this.hashHi = Number(h >> 32n);
    return Number(h & 0xffffffffn);
  }

  private reseed(): void {
    this.seedLo = randomSeed();
    this.seedHi = randomSeed();
  }

  private fail(code: ConcurrentMapErrorCode, key: unknown): never {
    const hold = this.writingHold;
    throw new ConcurrentMapError(code, { mapName: this.mapName, key, ...(hold === undefined ? {} : { heldBy: hold.describe() }) });
  }

  private growing(): boolean {
    return this.oldbuckets !== null;
  }

  private isSameSizeGrow(): boolean {
    return (this.flags & sameSizeGrow) !== 0;
  }

  /** Number of buckets in the old array while growing. */
  private noldbuckets(): number {
    return 1 << (this.isSameSizeGrow() ? this.B : this.B - 1);
  }

  // ---- lookup (mapaccess) --------------------------------------------------------------------

  /**
   * Finds the cell holding key: returns its index in `this.foundIn`, or -1. Reads an old bucket
   * while it has not been evacuated, as mapaccess does during a grow.
   */
  private lookup(key: K): number {
    const lo = this.hash(key);
    let mask = (1 << this.B) - 1;
    let arr = this.buckets!;
    let b = lo & mask;
    const old = this.oldbuckets;
    if (old !== null) {
      if (!this.isSameSizeGrow()) mask >>>= 1;
      const oldb = lo & mask;
      if (!old.evacuated(oldb)) {
        arr = old;
        b = oldb;
      }
    }
    const top = tophashOf(this.hashHi);
    const { tophash, keys, overflow } = arr;
    for (;;) {
      const base = b * bucketCnt;
      for (let i = base; i < base + bucketCnt; i++) {
        const t = tophash[i];
        if (t !== top) {
          if (t === emptyRest) return -1;
          continue;
        }
        const k = keys[i];
        if (k === key || (k !== k && key !== key)) {
          this.foundIn = arr;
          return i;
        }
      }
      b = overflow[b]!;
      if (b === 0) return -1;
    }
  }

  /** Returns the value stored for key, or undefined. */
  get(key: K): V | undefined {
    if (this.count === 0) return undefined;
    if ((this.flags & hashWriting) !== 0) this.fail('ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE', key);
    const slot = this.lookup(key);
    return slot < 0 ? undefined : this.foundIn!.elems[slot];
  }

  /** True when key is in the map. */
  has(key: K): boolean {
    if (this.count === 0) return false;
    if ((this.flags & hashWriting) !== 0) this.fail('ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE', key);
    return this.lookup(key) >= 0;
  }

  // ---- writes (mapassign, mapdelete, mapclear) -----------------------------------------------

  /** Stores value for key (mapassign). */
  set(key: K, value: V): this {
    if (this.isNil) throw new NilMapError(key);
    if ((this.flags & hashWriting) !== 0) this.fail('ERR_CONCURRENT_MAP_WRITES', key);
    if ((key as unknown) === 0) key = 0 as K; // SameValueZero stores -0 as +0
    const lo = this.hash(key);
    const top = tophashOf(this.hashHi);
    // Set hashWriting after calling the hasher: a hasher that panics has not written anything.
    this.flags ^= hashWriting;
    try {
      this.assign(key, value, lo, top);
    } catch (error) {
      // Only a hasher run by evacuate can throw here, before it changed anything (see evacuate).
      this.flags &= ~hashWriting;
      throw error;
    }
    if ((this.flags & hashWriting) === 0) this.fail('ERR_CONCURRENT_MAP_WRITES', key);
    this.flags &= ~hashWriting;
    return this;
  }

  /** mapassign's body, run with hashWriting set. */
  private assign(key: K, value: V, lo: number, top: number): void {
    if (this.buckets === null) this.buckets = new BucketArray(1);
    for (;;) {
      const bucket = lo & ((1 << this.B) - 1);
      if (this.growing()) this.growWork(bucket);
      const arr = this.buckets;
      const { tophash, keys } = arr;
      let b = bucket;
      let insert = -1;
      let found = -1;
      bucketloop: for (;;) {
        const base = b * bucketCnt;
        for (let i = base; i < base + bucketCnt; i++) {
          const t = tophash[i]!;
          if (t !== top) {
            if (t <= emptyOne && insert < 0) insert = i;
            if (t === emptyRest) break bucketloop;
            continue;
          }
          const k = keys[i];
          if (k === key || (k !== k && key !== key)) {
            found = i;
            break bucketloop;
          }
        }
        const ovf = arr.overflow[b]!;
        if (ovf === 0) break;
        b = ovf;
      }
      if (found >= 0) {
        arr.elems[found] = value;
        return;
      }
      // Did not find the key; allocate a new cell, growing first if this would overload the map.
      if (!this.growing() && (overLoadFactor(this.count + 1, this.B) || tooManyOverflowBuckets(this.noverflow, this.B))) {
        this.hashGrow();
        continue; // growing the table invalidates everything, so try again
      }
      if (insert < 0) insert = this.newoverflow(arr, b) * bucketCnt;
      arr.keys[insert] = key;
      arr.elems[insert] = value;
      arr.tophash[insert] = top;
      this.count++;
      return;
    }
  }

  /** Removes key (mapdelete); true when it was present. */
  delete(key: K): boolean {
    if (this.count === 0) return false;
    if ((this.flags & hashWriting) !== 0) this.fail('ERR_CONCURRENT_MAP_WRITES', key);
    const lo = this.hash(key);
    const top = tophashOf(this.hashHi);
    this.flags ^= hashWriting;
    let deleted: boolean;
    try {
      deleted = this.remove(key, lo, top);
    } catch (error) {
      this.flags &= ~hashWriting; // as in set()
      throw error;
    }
    if ((this.flags & hashWriting) === 0) this.fail('ERR_CONCURRENT_MAP_WRITES', key);
    this.flags &= ~hashWriting;
    return deleted;
  }

  /** mapdelete's body, run with hashWriting set; true when key was found and removed. */
  private remove(key: K, lo: number, top: number): boolean {
    const bucket = lo & ((1 << this.B) - 1);
    if (this.growing()) this.growWork(bucket);
    const arr = this.buckets!;
    const { tophash, keys, elems, overflow } = arr;
    let b = bucket;
    for (;;) {
      const base = b * bucketCnt;
      for (let i = 0; i < bucketCnt; i++) {
        const t = tophash[base + i];
        if (t !== top) {
          if (t === emptyRest) return false;
          continue;
        }
        const k = keys[base + i];
        if (!(k === key || (k !== k && key !== key))) continue;
        keys[base + i] = undefined;
        elems[base + i] = undefined;
        tophash[base + i] = emptyOne;
        this.markEmptyRest(arr, bucket, b, i);
        this.count--;
        // Reset the hash seed to make it more difficult for attackers to repeatedly trigger
        // hash collisions (Go issue 25237).
        if (this.count === 0) this.reseed();
        return true;
      }
      b = overflow[b]!;
      if (b === 0) return false;
    }
  }

  /**
   * After cell i of bucket b became emptyOne: if nothing live follows it in the chain, turn it
   * and the emptyOne cells before it into emptyRest, walking back across overflow buckets.
   */
  private markEmptyRest(arr: BucketArray<K, V>, bOrig: number, b: number, i: number): void {
    const { tophash, overflow } = arr;
    if (i === bucketCnt - 1) {
      const next = overflow[b]!;
      if (next !== 0 && tophash[next * bucketCnt] !== emptyRest) return;
    } else if (tophash[b * bucketCnt + i + 1] !== emptyRest) {
      return;
    }
    for (;;) {
      tophash[b * bucketCnt + i] = emptyRest;
      if (i === 0) {
        if (b === bOrig) return; // beginning of the initial bucket: done
        const c = b;
        for (b = bOrig; overflow[b] !== c; b = overflow[b]!) {
          // find the previous bucket in the chain
        }
        i = bucketCnt - 1;
      } else {
        i--;
      }
      if (tophash[b * bucketCnt + i] !== emptyOne) return;
    }
  }

  /** Removes every entry (mapclear): B is kept, the seed is renewed, any grow is abandoned. */
  clear(): void {
    if (this.count === 0) return;
    if ((this.flags & hashWriting) !== 0) this.fail('ERR_CONCURRENT_MAP_WRITES', undefined);
    this.flags ^= hashWriting;
    this.flags &= ~sameSizeGrow;
    // Go 1.19 leaves the old array as it is, so a loop walking it returns cleared keys
    // (golang/go#70189); emptying it too keeps the rule that deleted keys are never returned.
    this.oldbuckets?.reset();
    this.oldbuckets = null;
    this.nevacuate = 0;
    this.noverflow = 0;
    this.count = 0;
    this.reseed();
    // Cleared in place, as Go clears the array's memory: an iterator holding it sees it empty.
    // But a loop may stand in one of its overflow buckets, which the next writes would hand out
    // again, chained after another bucket: the loop would then walk that chain twice. So while an
    // iterator may be live, the map moves to a fresh array and the emptied one stays the loop's.
    const cleared = this.buckets!;
    cleared.reset();
    if ((this.flags & (iterator | oldIterator)) !== 0) this.buckets = new BucketArray(cleared.nbuckets);
    if ((this.flags & hashWriting) === 0) this.fail('ERR_CONCURRENT_MAP_WRITES', undefined);
    this.flags &= ~hashWriting;
  }

  // ---- growth (hashGrow, growWork, evacuate) -------------------------------------------------

  /** Counts a new overflow bucket: exactly below B=16, then with probability 2^-(B-15). */
  private incrnoverflow(): void {
    if (this.B < 16) {
      this.noverflow = (this.noverflow + 1) & 0xffff;
      return;
    }
    const mask = (1 << (this.B - 15)) - 1;
    if ((((Math.random() * 2 ** 32) >>> 0) & mask) === 0) this.noverflow = (this.noverflow + 1) & 0xffff;
  }

  /** Chains a new overflow bucket after bucket b of arr and returns it. */
  private newoverflow(arr: BucketArray<K, V>, b: number): number {
    const ovf = arr.allocOverflow();
    this.incrnoverflow();
    arr.overflow[b] = ovf;
    return ovf;
  }

  private hashGrow(): void {
    // If we've hit the load factor, get bigger; otherwise there are too many overflow buckets,
    // so keep the same number of buckets and "grow" laterally.
    let bigger = 1;
    if (!overLoadFactor(this.count + 1, this.B)) {
      bigger = 0;
      this.flags |= sameSizeGrow;
    }
    const oldbuckets = this.buckets;
    let flags = this.flags & ~(iterator | oldIterator);
    if ((this.flags & iterator) !== 0) flags |= oldIterator;
    this.B += bigger;
    this.flags = flags;
    this.oldbuckets = oldbuckets;
    this.buckets = new BucketArray(1 << this.B);
    this.nevacuate = 0;
    this.noverflow = 0;
    // The copying is done incrementally by growWork() and evacuate().
  }

  private growWork(bucket: number): void {
    // Evacuate the old bucket the write is about to use, then one more to make progress.
    this.evacuate(bucket & (this.noldbuckets() - 1));
    if (this.growing()) this.evacuate(this.nevacuate);
  }

  private evacuate(oldbucket: number): void {
    const old = this.oldbuckets!;
    const newbit = this.noldbuckets();
    if (!old.evacuated(oldbucket)) {
      const arr = this.buckets!;
      const sameSize = this.isSameSizeGrow();
      // x and y: the low and high evacuation destinations, and the next free cell in each.
      let xb = oldbucket;
      let xi = 0;
      let yb = oldbucket + newbit;
      let yi = 0;
      const clearOld = (this.flags & oldIterator) === 0;
      // First decide every entry's destination: computing it may run a user hasher, which may
      // throw or re-enter the map, and must do so before this bucket is half moved.
      const destinations = this.evacDestinations;
      let n = 0;
      if (!sameSize) {
        for (let b = oldbucket; ; ) {
          for (let s = b * bucketCnt; s < (b + 1) * bucketCnt; s++) {
            if (old.tophash[s]! >= minTopHash) destinations[n++] = this.hash(old.keys[s] as K) & newbit;
          }
          b = old.overflow[b]!;
          if (b === 0) break;
        }
      }
      n = 0;
      for (let b = oldbucket; ; ) {
        const base = b * bucketCnt;
        for (let s = base; s < base + bucketCnt; s++) {
          const top = old.tophash[s]!;
          if (top <= emptyOne) {
            old.tophash[s] = evacuatedEmpty;
            continue;
          }
          if (top < minTopHash) throw new Error(`GoMap: bad map state: tophash ${top} in old bucket ${b}`);
          const key = old.keys[s] as K;
          const useY = !sameSize && destinations[n++] !== 0;
          old.tophash[s] = useY ? evacuatedY : evacuatedX;
          let dst: number;
          if (useY) {
            if (yi === bucketCnt) {
              yb = this.newoverflow(arr, yb);
              yi = 0;
            }
            dst = yb * bucketCnt + yi++;
          } else {
            if (xi === bucketCnt) {
              xb = this.newoverflow(arr, xb);
              xi = 0;
            }
            dst = xb * bucketCnt + xi++;
          }
          arr.tophash[dst] = top;
          arr.keys[dst] = key;
          arr.elems[dst] = old.elems[s];
          // Drop the value for the garbage collector unless an iterator may still read it; the
          // tophash marks stay, they hold the evacuation state. The key stays too: Go's flags
          // lose a loop that lives through two grows (the second hashGrow sees no iterator bit),
          // and such a loop, walking this array, looks each evacuated entry up by its key.
          if (clearOld) old.elems[s] = undefined;
        }
        b = old.overflow[b]!;
        if (b === 0) break;
      }
    }
    if (oldbucket === this.nevacuate) this.advanceEvacuationMark(newbit);
  }

  private advanceEvacuationMark(newbit: number): void {
    this.nevacuate++;
    // Go's safeguard to keep this O(1): look at no more than 1024 buckets.
    const stop = Math.min(this.nevacuate + 1024, newbit);
    const old = this.oldbuckets!;
    while (this.nevacuate !== stop && old.evacuated(this.nevacuate)) this.nevacuate++;
    if (this.nevacuate === newbit) {
      // Growing is all done: free the old array.
      this.oldbuckets = null;
      this.flags &= ~sameSizeGrow;
    }
  }

  // ---- iteration (mapiterinit, mapiternext) --------------------------------------------------

  /** @internal Starts an iterator (mapiterinit); it is empty when the map is. */
  iterate(): GoMapIterator<K, V> {
    return new GoMapIterator(this);
  }

  /** @internal mapiterinit's part that touches the map: draws the start and sets the flags. */
  startIteration(it: GoMapIterator<K, V>): boolean {
    if (this.count === 0) return false;
    const B = this.B;
    const r = this.random() >>> 0;
    it.B = B;
    it.buckets = this.buckets!;
    it.startBucket = r & ((1 << B) - 1);
    it.offset = B + bucketCntBits <= 32 ? (r >>> B) & (bucketCnt - 1) : this.random() & (bucketCnt - 1);
    it.bucket = it.startBucket;
    this.flags |= iterator | oldIterator;
    return true;
  }

  /** @internal mapiternext: moves it to the next entry; false at the end. */
  advance(it: GoMapIterator<K, V>): boolean {
    if ((this.flags & hashWriting) !== 0) this.fail('ERR_CONCURRENT_MAP_ITERATION_AND_MAP_WRITE', undefined);
    let bucket = it.bucket;
    let b = it.bptr;
    let arr = it.barr!;
    let i = it.i;
    let checkBucket = it.checkBucket;
    const itMask = (1 << it.B) - 1;
    for (;;) {
      if (b < 0) {
        if (bucket === it.startBucket && it.wrapped) return false;
        const old = this.oldbuckets;
        if (old !== null && it.B === this.B) {
          // The iterator started in the middle of a grow that isn't done: if this bucket's old
          // bucket hasn't been evacuated, walk the old one and return only the entries that
          // will move to this bucket.
          const oldbucket = bucket & (this.noldbuckets() - 1);
          if (!old.evacuated(oldbucket)) {
            arr = old;
            b = oldbucket;
            checkBucket = bucket;
          } else {
            arr = it.buckets!;
            b = bucket;
            checkBucket = noCheck;
          }
        } else {
          arr = it.buckets!;
          b = bucket;
          checkBucket = noCheck;
        }
        bucket++;
        if (bucket === itMask + 1) {
          bucket = 0;
          it.wrapped = true;
        }
        i = 0;
      }
      for (; i < bucketCnt; i++) {
        const s = b * bucketCnt + ((i + it.offset) & (bucketCnt - 1));
        const top = arr.tophash[s]!;
        if (top <= emptyOne || top === evacuatedEmpty) continue;
        const k = arr.keys[s] as K;
        if (checkBucket !== noCheck && !this.isSameSizeGrow()) {
          // Skip entries of this old bucket that are destined for the other new bucket.
          if ((this.hash(k) & itMask) !== checkBucket) continue;
        }
        if (top !== evacuatedX && top !== evacuatedY) {
          it.key = k;
          it.elem = arr.elems[s] as V;
        } else {
          // The table grew since the iterator started: the entry's current state is in the new
          // table; it may have been deleted, updated, or deleted and reinserted.
          const slot = this.lookup(k);
          if (slot < 0) continue;
          it.key = this.foundIn!.keys[slot] as K;
          it.elem = this.foundIn!.elems[slot] as V;
        }
        it.bucket = bucket;
        it.bptr = b;
        it.barr = arr;
        it.i = i + 1;
        it.checkBucket = checkBucket;
        return true;
      }
      b = arr.overflow[b]!;
      if (b === 0) b = -1;
      i = 0;
    }
  }

  /** Calls fn for each entry, in this iteration's (random) order. */
  forEach(fn: (value: V, key: K, map: Map<K, V>) => void, thisArg?: unknown): void {
    if (typeof fn !== 'function') throw new TypeError(`GoMap.forEach: ${String(fn)} is not a function`);
    const it = this.iterate();
    while (it.step()) fn.call(thisArg, it.elem!, it.key!, this);
  }

  entries(): MapIterator<[K, V]> {
    return new GoMapEntries(this.iterate(), 'entries') as MapIterator<[K, V]>;
  }

  keys(): MapIterator<K> {
    return new GoMapEntries(this.iterate(), 'keys') as MapIterator<K>;
  }

  values(): MapIterator<V> {
    return new GoMapEntries(this.iterate(), 'values') as MapIterator<V>;
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  // ---- a write held by hand -------------------------------------------------------------------

  /**
   * Marks a write as in progress (Go's hashWriting) until the returned
   * function is called, so that any access in between fails as Go's checks fail. Held across the
   * await of a read-modify-write, it turns the lost update of concurrent tasks into Go's panic in
   * the task that cuts in. Holding it twice is itself "concurrent map writes".
   *
   * The errors an access throws meanwhile keep Go's text and point at the hold: `heldBy` (the key
   * and where holdWriting was called) and a `cause` that says how to release it. The returned
   * function is idempotent, and does nothing once releaseWriting() has cleared its hold.
   */
  holdWriting(key?: unknown): () => void {
    if (this.isNil) throw new NilMapError();
    if ((this.flags & hashWriting) !== 0) this.fail('ERR_CONCURRENT_MAP_WRITES', key);
    const hold = new HoldSite(key);
    this.flags |= hashWriting;
    this.writingHold = hold;
    return () => {
      if (this.writingHold === hold) this.releaseWriting();
    };
  }

  /**
   * Clears the hold of a holdWriting() whose release function was lost, so that the map can be
   * used again; returns whether there was one. It never clears the flag of a write in progress
   * (from a hasher, say): only a holdWriting() hold.
   */
  releaseWriting(): boolean {
    if (this.writingHold === undefined) return false;
    this.writingHold = undefined;
    this.flags &= ~hashWriting;
    return true;
  }

  // ---- introspection -------------------------------------------------------------------------

  /** The header and every bucket, in the golden traces' `state` shape. */
  debug(): GoMapDebugState<K> {
    return {
      ...this.header(),
      buckets: this.buckets === null ? null : dumpChains(this.buckets),
      oldbuckets: this.oldbuckets === null ? null : dumpChains(this.oldbuckets),
    };
  }

  /** The hmap header alone: debug() without the bucket dumps, cheap enough to take after every op. */
  header(): GoMapHeader {
    return {
      count: this.count,
      flags: this.flags,
      B: this.B,
      noverflow: this.noverflow,
      nevacuate: this.nevacuate,
      growing: this.growing(),
    };
  }

  /** Sizes, load and chain lengths, for tuning and pictures. */
  stats(): GoMapStats {
    const chainLengths: number[] = [];
    let overflowBuckets = 0;
    let estimatedBytes = 0;
    for (const arr of [this.buckets, this.oldbuckets]) {
      if (arr === null) continue;
      overflowBuckets += arr.used - arr.nbuckets;
      estimatedBytes += arr.tophash.length + arr.overflow.length * 4 + (arr.keys.length + arr.elems.length) * 8;
    }
    if (this.buckets !== null) {
      for (let b = 0; b < this.buckets.nbuckets; b++) {
        let length = 1;
        for (let o = this.buckets.overflow[b]!; o !== 0; o = this.buckets.overflow[o]!) length++;
        chainLengths[length] = (chainLengths[length] ?? 0) + 1;
      }
    }
    for (let n = 0; n < chainLengths.length; n++) chainLengths[n] ??= 0;
    return {
      count: this.count,
      B: this.B,
      buckets: 1 << this.B,
      overflowBuckets,
      loadFactor: this.count / (1 << this.B),
      growing: this.growing(),
      nevacuate: this.nevacuate,
      chainLengths,
      estimatedBytes,
    };
  }

  /**
   * JSON.stringify gives `{}`, as for a native Map, rather than the fields: they hold the hash
   * seed that keeps collision flooding out.
   */
  toJSON(): Record<string, never> {
    return {};
  }

  /**
   * Node's util.inspect: shown like a native Map, named GoMap. It reads the buckets directly: a
   * loop would draw from `random` and set Go's iterator flags, so console.log would change the map.
   */
  [Symbol.for('nodejs.util.inspect.custom')](
    depth: number,
    options: { stylize?: (text: string, style: string) => string },
    inspect: (value: unknown, options: object) => string,
  ): string {
    if (this.isNil) return 'GoMap(nil) {}';
    if (depth < 0) return options.stylize?.('[GoMap]', 'special') ?? '[GoMap]';
    const entries = new Map<K, V>();
    const collect = (arr: BucketArray<K, V>, b: number): void => {
      for (let c = b; ; ) {
        for (let s = c * bucketCnt; s < (c + 1) * bucketCnt; s++) {
          if (arr.tophash[s]! >= minTopHash) entries.set(arr.keys[s] as K, arr.elems[s] as V);
        }
        c = arr.overflow[c]!;
        if (c === 0) return;
      }
    };
    // During a grow an entry is in its old bucket until that bucket is evacuated, then in the new.
    const old = this.oldbuckets;
    if (old !== null) for (let b = 0; b < old.nbuckets; b++) if (!old.evacuated(b)) collect(old, b);
    if (this.buckets !== null) for (let b = 0; b < this.buckets.nbuckets; b++) collect(this.buckets, b);
    return inspect(entries, { ...options, depth }).replace(/^Map/u, 'GoMap');
  }
}

function dumpChains<K, V>(arr: BucketArray<K, V>): GoMapChain<K>[] {
  const chains: GoMapChain<K>[] = [];
  for (let b = 0; b < arr.nbuckets; b++) {
    const chain: GoMapChain<K> = [];
    for (let c = b; ; ) {
      const tophash: number[] = [];
      const keys: (K | null)[] = [];
      for (let s = c * bucketCnt; s < (c + 1) * bucketCnt; s++) {
        const top = arr.tophash[s]!;
        tophash.push(top);
        keys.push(top >= minTopHash ? (arr.keys[s] as K) : null);
      }
      chain.push({ tophash, keys });
      c = arr.overflow[c]!;
      if (c === 0) break;
    }
    chains.push(chain);
  }
  return chains;
}

/** Go's hiter: the state of one walk over a GoMap. */
export class GoMapIterator<K, V> {
  key: K | undefined = undefined;
  elem: V | undefined = undefined;
  /** @internal */ B = 0;
  /** @internal the bucket array at iteration start */ buckets: BucketArray<K, V> | null = null;
  /** @internal */ startBucket = 0;
  /** @internal intra-bucket offset to start from */ offset = 0;
  /** @internal already wrapped around from the end of the array to the beginning */ wrapped = false;
  /** @internal next bucket to walk */ bucket = 0;
  /** @internal current bucket (an index into barr), or -1 */ bptr = -1;
  /** @internal the array bptr indexes: the iterator's buckets or the map's oldbuckets */ barr: BucketArray<K, V> | null = null;
  /** @internal next cell of bptr */ i = 0;
  /** @internal */ checkBucket = noCheck;
  private state: 'new' | 'running' | 'done' = 'new';

  constructor(private readonly map: GoMap<K, V>) {}

  /** Moves to the next entry (initialising on the first call); false when the walk is over. */
  step(): boolean {
    if (this.state === 'done') return false;
    if (this.state === 'new') {
      this.state = 'running';
      if (!this.map.startIteration(this)) {
        this.state = 'done';
        return false;
      }
    }
    if (this.map.advance(this)) return true;
    this.state = 'done';
    this.key = undefined;
    this.elem = undefined;
    return false;
  }
}

/** The iterator objects keys(), values() and entries() return. */
class GoMapEntries<K, V> {
  constructor(
    private readonly it: GoMapIterator<K, V>,
    private readonly kind: 'keys' | 'values' | 'entries',
  ) {}

  next(): IteratorResult<unknown, undefined> {
    if (!this.it.step()) return { value: undefined, done: true };
    const { key, elem } = this.it;
    return { value: this.kind === 'keys' ? key : this.kind === 'values' ? elem : [key, elem], done: false };
  }

  [Symbol.iterator](): this {
    return this;
  }

  get [Symbol.toStringTag](): string {
    return 'GoMap Iterator';
  }
}
// %IteratorPrototype%, as a Map's iterators have it: where the runtime has iterator helpers
// (Node 22), keys().map(), .filter() and .toArray() work on a GoMap's iterators too.
Object.setPrototypeOf(GoMapEntries.prototype, Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())) as object);
