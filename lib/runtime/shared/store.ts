/**
 * SharedStore: Go 1.19's map layout (runtime/map.go, as GoMap ports it in go-map.ts) in one
 * SharedArrayBuffer, so that every worker thread that attaches the buffer reads and writes the
 * same table.
 *
 * The design is GoMap's, step for step: 2^B buckets of 8 cells with tophash bytes, overflow
 * chains, growth past a load of 6.5 or with too many overflow buckets, incremental evacuation by
 * the writes that follow (growWork/evacuate, two old buckets per write), sameSizeGrow, Go's
 * iteration order from a random start. What changes is where things live (layout.ts: byte offsets
 * in the buffer instead of JavaScript arrays), how keys and values are held (encoding.ts: numbers
 * and bigints in their slots, strings and serialized values in an arena), and what a thread can
 * see of the others:
 *
 * - Writes. Go's `hashWriting` flag is a header word set with `Atomics.or` at the start of a write
 *   (mapassign, mapdelete, mapclear) and cleared with `Atomics.and` at its end. A write that finds
 *   it already set throws Go's "concurrent map writes" before it changes anything. The store takes
 *   no lock: like a Go map, it is correct only when writes do not overlap (SafeMap.shared and
 *   ShardedMap.shared put a lock around it).
 * - Reads. A write also makes a sequence word odd while it runs (a seqlock). A read that starts
 *   during a write, or sees the word change by its end, throws Go's "concurrent map read and map
 *   write" instead of returning what it read; it never returns garbage, and every offset it follows
 *   is bounds-checked and every chain walk bounded, so torn data can neither crash it nor loop it.
 * - Loops. Each step of an iterator is a read as above (a conflict throws "concurrent map iteration
 *   and map write"), and a write by any other thread between two steps ends the loop with that error
 *   too: the other thread may have freed the buckets the loop stands in. Writes by the loop's own
 *   thread are allowed, with Go's semantics; while this thread has a loop running, the blocks its
 *   writes release (old bucket arrays, replaced strings) are only marked, and freed by a later write
 *   once no loop of this thread runs (Go's iterator flags keep old arrays alive the same way).
 * - Memory. The heap (heap.ts) is a buddy allocator inside the buffer; the buffer grows with
 *   `SharedArrayBuffer.prototype.grow` up to its maxByteLength. A write reserves every block it may
 *   need (arena blocks, overflow buckets for the evacuation it will do, a new bucket array) before it
 *   changes anything, so a write that does not fit throws MapFullError and leaves the map as it was.
 *
 * Not thread-safe by itself beyond those checks: it is the unguarded table under GoMap.shared and
 * the guarded one under SafeMap.shared / ShardedMap.shared.
 * @internal
 */
import { ConcurrentMapError, describeKey, MapFullError, type ConcurrentMapErrorCode } from '../errors.js';
import {
  bucketCnt,
  bucketsForHint,
  emptyOne,
  emptyRest,
  evacuatedEmpty,
  evacuatedX,
  evacuatedY,
  hashWriting,
  minTopHash,
  noCheck,
  overLoadFactor,
  sameSizeGrow,
  tooManyOverflowBuckets,
  tophashOf,
} from '../go-map-layout.js';
import { hashHigh, hashKey, randomSeed } from '../hash.js';
import { describeValue, isPlainObject } from '../locks.js';
import { bigintFromText, bigintText, deserializeValue, isInt64, readUnits, serializeValue, unitsEqual, writeUnits } from './encoding.js';
import { blockHeaderBytes, classFor, Heap } from './heap.js';
import {
  aCapacity,
  aExtraHead,
  aNbuckets,
  arrayHeaderBytes,
  aUsed,
  bExtraLink,
  bKeys,
  bKeyTag,
  blockBucketArray,
  blockOverflowBucket,
  blockSerialized,
  blockString,
  bOverflow,
  bucketBytes,
  bValues,
  bValueTag,
  hArenaBlocks,
  hArenaBytes,
  hB,
  hBuckets,
  hCount,
  hDeferredBytes,
  headerBytes,
  heapBase,
  hFlags,
  hHeapTop,
  hMagic,
  hNevacuate,
  hNoverflow,
  hOldBuckets,
  hSeedHi,
  hSeedLo,
  hUsedBytes,
  hVersion,
  hWriteSeq,
  keyBigint64,
  keyBigintText,
  keyNone,
  keyNumber,
  keyString,
  layoutVersion,
  newGrowableBuffer,
  storeMagic,
  valueBigint64,
  valueFalse,
  valueNull,
  valueNumber,
  valueSerialized,
  valueString,
  valueTrue,
  valueUndefined,
  Views,
  type GrowableSharedArrayBuffer,
} from './layout.js';

/** Keys a shared map can hold: numbers (SameValueZero: -0 is 0, NaN is one key), strings, bigints. */
export type SharedKey = number | string | bigint;

/** Options of a shared-memory map (`GoMap.shared`, `SafeMap.shared`, `ShardedMap.shared`). */
export interface SharedMapOptions {
  /** A name for the map in error reports; it travels in the handle. */
  name?: string;
  /** Expected number of entries, like `make(map[K]V, hint)`: the bucket array is sized for it. */
  hint?: number;
  /** Initial size of the SharedArrayBuffer in bytes (default 64 KiB, or what the hint needs). */
  byteLength?: number;
  /** The size the buffer may grow to (default 64 MiB; at most 1 GiB). Past it, writes throw MapFullError. */
  maxByteLength?: number;
}

/** The keys SharedMapOptions has, for the constructors' unknown-option check. */
export const sharedMapOptionKeys: readonly string[] = ['name', 'hint', 'byteLength', 'maxByteLength'];

export const defaultByteLength = 64 * 1024;
export const defaultMaxByteLength = 64 * 1024 * 1024;
/** Offsets are int32 and the largest heap block is 2^30 bytes. */
export const maxSharedByteLength = 2 ** 30;
/** The header and the smallest bucket array. */
export const minSharedByteLength = 4096;

/**
 * Checks the values of SharedMapOptions (not unknown keys: the caller's constructorArguments does
 * that, knowing its own extra keys); TypeErrors name the option.
 */
export function checkSharedMapOptions(kind: string, options: SharedMapOptions): void {
  if (options.name !== undefined && typeof options.name !== 'string') {
    throw new TypeError(`${kind}: option 'name' must be a string, got ${describeValue(options.name)}`);
  }
  if (options.hint !== undefined && typeof options.hint !== 'number') {
    throw new TypeError(`${kind}: option 'hint' must be a number, got ${describeValue(options.hint)}`);
  }
  for (const option of ['byteLength', 'maxByteLength'] as const) {
    const value = options[option];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < minSharedByteLength || value > maxSharedByteLength) {
      throw new TypeError(
        `${kind}: option '${option}' must be an integer from ${minSharedByteLength} to ${maxSharedByteLength} (1 GiB), got ${describeValue(value)}`,
      );
    }
  }
  if (options.byteLength !== undefined && options.maxByteLength !== undefined && options.byteLength > options.maxByteLength) {
    throw new TypeError(`${kind}: option 'byteLength' (${options.byteLength}) is larger than option 'maxByteLength' (${options.maxByteLength})`);
  }
}

/** Numbers about a shared store, for tuning and tests. Read without a lock: exact only when no thread writes. */
export interface SharedStoreStats {
  count: number;
  B: number;
  /** Main buckets: 2^B. */
  buckets: number;
  /** Overflow buckets chained in the current array (and the old one while growing). */
  overflowBuckets: number;
  /** Go's noverflow (exact below B = 16, an estimate above). */
  noverflow: number;
  /** count / 2^B; growth starts past 6.5. */
  loadFactor: number;
  growing: boolean;
  sameSizeGrow: boolean;
  nevacuate: number;
  /** The buffer's current byteLength and the limit it may grow to. */
  bytesTotal: number;
  maxByteLength: number;
  /** Bytes in heap blocks in use (bucket arrays, overflow buckets, arena), and free heap bytes below heapTop. */
  bytesUsed: number;
  bytesFree: number;
  /** Bytes never handed out yet: from the top of the heap to the end of the buffer. */
  bytesUncarved: number;
  /** Arena blocks (strings, serialized values) in use, and their bytes. */
  arenaBlocks: number;
  arenaBytes: number;
  /** Bytes released while this thread's loops ran, freed by the next write after they end. */
  deferredBytes: number;
}

/** Thrown inside a read that followed a torn offset: the caller turns it into the right error. */
class TornRead extends Error {}

/** Serialized value bytes copied out of the buffer, deserialized once the read is known consistent. */
class SerializedBytes {
  constructor(readonly bytes: Uint8Array) {}
}

/** What the finalization registry of a store keeps per running loop. */
interface LoopToken {
  counted: boolean;
  epoch: number;
}

const iteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())) as object;

/**
 * The Go map layout in a SharedArrayBuffer (see the top of this file). `create` makes one,
 * `attach` opens the buffer of one made elsewhere; both give a store object local to the thread.
 */
export class SharedStore<K extends SharedKey = SharedKey, V = unknown> {
  /** The SharedArrayBuffer; pass it to another thread and `SharedStore.attach` it there. */
  readonly buffer: GrowableSharedArrayBuffer;
  /** The map's name, if it has one. */
  readonly name: string | undefined;
  /** How errors name the map: `GoMap.shared 'hits'`. */
  readonly label: string;

  // This thread's views of the buffer (fixed-length: see Views), and the length they cover.
  private readonly views: Views;
  private u8!: Uint8Array;
  private u16!: Uint16Array;
  private i32!: Int32Array;
  private f64!: Float64Array;
  private i64!: BigInt64Array;
  private viewBytes = 0;
  /** The longest chain a walk may follow before it must be walking torn links. */
  private maxChainLength = 0;
  private readonly heap: Heap;

  // The key of the operation in progress, prepared once (prepareKey, hashPrepared).
  private kTag = 0;
  private kNum = 0;
  private kStr = '';
  private kBig = 0n;
  private kKey: unknown = undefined;
  private kLo = 0;
  private kTop = 0;
  // The value of the write in progress (prepareValue).
  private vTag = 0;
  private vNum = 0;
  private vStr = '';
  private vBig = 0n;
  private vBytes: Uint8Array | null = null;
  // Where the last successful lookup() found the key: the cell, and the first bucket of its chain.
  private foundB = 0;
  private foundI = 0;
  private foundHead = 0;
  // Blocks the write in progress reserved (reserve) and has not used yet.
  private keyBlock = 0;
  private valueBlock = 0;
  private newArray = 0;
  private readonly pool: number[] = [];

  // This thread's loops (see the top of the file).
  private liveLoops = 0;
  private loopEpoch = 0;
  private knownSeq: number;
  private foreignWrites = 0;
  private readonly loopFinalizer = new FinalizationRegistry<LoopToken>((token) => {
    if (token.counted && token.epoch === this.loopEpoch) this.liveLoops--;
  });

  private constructor(buffer: GrowableSharedArrayBuffer, name: string | undefined, kind: string) {
    this.buffer = buffer;
    this.name = name;
    this.label = name === undefined ? kind : `${kind} '${name}'`;
    this.views = new Views(buffer);
    this.adoptViews();
    this.heap = new Heap(this.views);
    this.knownSeq = Atomics.load(this.i32, hWriteSeq);
  }

  /**
   * A new, empty store in a new growable SharedArrayBuffer. `kind` names the map in errors
   * (`GoMap.shared`). Option values are checked (TypeError naming the option); unknown keys are
   * the caller's to refuse. Throws MapFullError when the hint's bucket array exceeds maxByteLength.
   */
  static create<K extends SharedKey = SharedKey, V = unknown>(options: SharedMapOptions = {}, kind = 'SharedStore'): SharedStore<K, V> {
    if (!isPlainObject(options as unknown)) throw new TypeError(`${kind}: options must be a plain object, got ${describeValue(options)}`);
    checkSharedMapOptions(kind, options);
    const B = bucketsForHint(options.hint ?? 0);
    const maxByteLength = roundUp8(options.maxByteLength ?? Math.max(defaultMaxByteLength, options.byteLength ?? 0));
    const arrayBytes = arrayHeaderBytes + (1 << B) * bucketBytes;
    const byteLength = roundUp8(options.byteLength ?? Math.min(maxByteLength, Math.max(defaultByteLength, headerBytes + arrayBytes * 2)));
    const buffer = newGrowableBuffer(byteLength, maxByteLength);
    const i32 = new Int32Array(buffer);
    i32[hMagic] = storeMagic;
    i32[hVersion] = layoutVersion;
    i32[hSeedLo] = randomSeed();
    i32[hSeedHi] = randomSeed();
    i32[hB] = B;
    const store = new SharedStore<K, V>(buffer, options.name, kind);
    store.heap.init();
    const arr = store.allocArray(B);
    if (arr === 0) {
      throw new MapFullError(
        store.label,
        undefined,
        maxByteLength,
        `${store.label}: the bucket array for hint ${options.hint} (${arrayBytes} bytes) does not fit in maxByteLength (${maxByteLength} bytes)`,
      );
    }
    i32[hBuckets] = arr;
    return store;
  }

  /**
   * Opens, in this thread, the store held by `buffer` (the `buffer` of a store created in any
   * thread). Throws a TypeError when the buffer does not hold a store of this layout.
   */
  static attach<K extends SharedKey = SharedKey, V = unknown>(
    buffer: SharedArrayBuffer,
    options: { name?: string | undefined; kind?: string; caller?: string } = {},
  ): SharedStore<K, V> {
    const kind = options.kind ?? 'SharedStore';
    const caller = options.caller ?? `${kind}.attach`;
    if (!(buffer instanceof SharedArrayBuffer)) throw new TypeError(`${caller}: expected a SharedArrayBuffer, got ${describeValue(buffer)}`);
    const growable = buffer as GrowableSharedArrayBuffer;
    if (!growable.growable || buffer.byteLength < headerBytes) {
      throw new TypeError(`${caller}: this SharedArrayBuffer does not hold a shared map (it is not growable or too small)`);
    }
    const i32 = new Int32Array(buffer, 0, 2);
    if (i32[0] !== storeMagic) throw new TypeError(`${caller}: this SharedArrayBuffer does not hold a shared map (no store header)`);
    if (i32[1] !== layoutVersion) {
      throw new TypeError(`${caller}: the shared map has layout version ${i32[1]}, this runtime reads version ${layoutVersion}`);
    }
    return new SharedStore<K, V>(growable, options.name, kind);
  }

  /** Takes the views' current arrays (after the heap grew the buffer and remapped them). */
  private adoptViews(): void {
    const views = this.views;
    this.u8 = views.u8;
    this.u16 = views.u16;
    this.i32 = views.i32;
    this.f64 = views.f64;
    this.i64 = views.i64;
    this.viewBytes = views.byteLength;
    this.maxChainLength = Math.floor(views.byteLength / bucketBytes);
  }

  /** At the start of an operation: remaps the views if any thread grew the buffer. */
  private sync(): void {
    if (this.buffer.byteLength !== this.viewBytes) {
      if (this.views.byteLength !== this.buffer.byteLength) this.views.remap();
      this.adoptViews();
    }
  }

  /** After this thread's heap allocated: takes the views it remapped, if it grew the buffer. */
  private adoptGrowth(): void {
    if (this.views.byteLength !== this.viewBytes) this.adoptViews();
  }

  /** Number of entries. */
  get size(): number {
    return Atomics.load(this.i32, hCount);
  }

  // ---- keys, values, hashing -----------------------------------------------------------------

  private prepareKey(key: unknown): void {
    switch (typeof key) {
      case 'number':
        this.kTag = keyNumber;
        this.kNum = key === 0 ? 0 : key; // SameValueZero: -0 is the key 0
        this.kKey = this.kNum;
        return;
      case 'string':
        this.kTag = keyString;
        this.kStr = key;
        this.kKey = key;
        return;
      case 'bigint':
        if (isInt64(key)) {
          this.kTag = keyBigint64;
          this.kBig = key;
        } else {
          this.kTag = keyBigintText;
          this.kStr = bigintText(key);
        }
        this.kKey = key;
        return;
      default:
        throw new TypeError(`${this.label}: a key must be a number, a string or a bigint, got ${describeValue(key)}`);
    }
  }

  /** Hashes the prepared key with the seed in the header (every thread gets the same hash). */
  private hashPrepared(): void {
    this.kLo = hashKey(this.kKey, this.i32[hSeedLo]!, this.i32[hSeedHi]!);
    this.kTop = tophashOf(hashHigh);
  }

  private hashOf(key: unknown): number {
    return hashKey(key, this.i32[hSeedLo]!, this.i32[hSeedHi]!);
  }

  private prepareValue(value: unknown): void {
    this.vBytes = null;
    switch (typeof value) {
      case 'undefined':
        this.vTag = valueUndefined;
        return;
      case 'boolean':
        this.vTag = value ? valueTrue : valueFalse;
        return;
      case 'number':
        this.vTag = valueNumber;
        this.vNum = value;
        return;
      case 'string':
        this.vTag = valueString;
        this.vStr = value;
        return;
      case 'bigint':
        if (isInt64(value)) {
          this.vTag = valueBigint64;
          this.vBig = value;
          return;
        }
        break;
      case 'object':
        if (value === null) {
          this.vTag = valueNull;
          return;
        }
        break;
      default:
        break;
    }
    // Runs before the write flag is taken: serializing may run user code (getters).
    this.vTag = valueSerialized;
    this.vBytes = serializeValue(this.label, value);
  }

  /** Bytes the prepared value needs in the arena. */
  private valueArenaBytes(): number {
    if (this.vTag === valueString) return this.vStr.length * 2;
    if (this.vTag === valueSerialized) return this.vBytes!.length;
    return 0;
  }

  /** Bytes the prepared key needs in the arena. */
  private keyArenaBytes(): number {
    return this.kTag === keyString || this.kTag === keyBigintText ? this.kStr.length * 2 : 0;
  }

  /** Throws TornRead unless [offset, offset + bytes) lies in the heap. */
  private checkRange(offset: number, bytes: number): void {
    if (offset < heapBase || bytes < 0 || offset + bytes > this.viewBytes) throw new TornRead();
  }

  /** Throws TornRead unless b can be a bucket. */
  private checkBucket(b: number): void {
    if (b < heapBase || (b & 7) !== 0 || b + bucketBytes > this.viewBytes) throw new TornRead();
  }


  private keyMatches(b: number, i: number): boolean {
    if (this.u8[b + bKeyTag + i] !== this.kTag) return false;
    const slot = b + bKeys + i * 8;
    switch (this.kTag) {
      case keyNumber: {
        const x = this.f64[slot >> 3]!;
        return x === this.kNum || (x !== x && this.kNum !== this.kNum);
      }
      case keyBigint64:
        return this.i64[slot >> 3] === this.kBig;
      default: {
        const length = this.i32[(slot >> 2) + 1]!;
        if (length !== this.kStr.length) return false;
        if (length === 0) return true;
        const offset = this.i32[slot >> 2]!;
        this.checkRange(offset, length * 2);
        return unitsEqual(this.u16, offset, this.kStr);
      }
    }
  }

  private readKey(b: number, i: number): K {
    const slot = b + bKeys + i * 8;
    switch (this.u8[b + bKeyTag + i]) {
      case keyNumber:
        return this.f64[slot >> 3]! as K;
      case keyBigint64:
        return this.i64[slot >> 3]! as K;
      case keyString:
        return this.readText(slot) as K;
      case keyBigintText:
        return bigintFromText(this.readText(slot)) as K;
      default:
        throw new TornRead();
    }
  }

  private readText(slot: number): string {
    const length = this.i32[(slot >> 2) + 1]!;
    if (length === 0) return '';
    const offset = this.i32[slot >> 2]!;
    this.checkRange(offset, length * 2);
    return readUnits(this.u16, offset, length);
  }

  /** The value of a cell; serialized values come back as their bytes (copied), see SerializedBytes. */
  private readValue(b: number, i: number): unknown {
    const slot = b + bValues + i * 8;
    switch (this.u8[b + bValueTag + i]) {
      case valueUndefined:
        return undefined;
      case valueNull:
        return null;
      case valueFalse:
        return false;
      case valueTrue:
        return true;
      case valueNumber:
        return this.f64[slot >> 3];
      case valueString:
        return this.readText(slot);
      case valueBigint64:
        return this.i64[slot >> 3];
      case valueSerialized: {
        const offset = this.i32[slot >> 2]!;
        const length = this.i32[(slot >> 2) + 1]!;
        this.checkRange(offset, length);
        return new SerializedBytes(this.u8.slice(offset, offset + length));
      }
      default:
        throw new TornRead();
    }
  }

  /** Writes the prepared key into a cell, into the arena block reserve() set aside. */
  private writeKey(b: number, i: number): void {
    const slot = b + bKeys + i * 8;
    this.u8[b + bKeyTag + i] = this.kTag;
    switch (this.kTag) {
      case keyNumber:
        this.f64[slot >> 3] = this.kNum;
        return;
      case keyBigint64:
        this.i64[slot >> 3] = this.kBig;
        return;
      default: {
        const offset = this.kStr.length === 0 ? 0 : this.takeBlock('keyBlock');
        if (offset !== 0) writeUnits(this.u16, offset, this.kStr);
        this.i32[slot >> 2] = offset;
        this.i32[(slot >> 2) + 1] = this.kStr.length;
      }
    }
  }

  /** Writes the prepared value into a cell, releasing the arena block of the value it replaces. */
  private writeValue(b: number, i: number): void {
    const slot = b + bValues + i * 8;
    const previous = this.arenaBlockOfValue(b, i);
    this.u8[b + bValueTag + i] = this.vTag;
    switch (this.vTag) {
      case valueNumber:
        this.f64[slot >> 3] = this.vNum;
        break;
      case valueBigint64:
        this.i64[slot >> 3] = this.vBig;
        break;
      case valueString: {
        const offset = this.vStr.length === 0 ? 0 : this.takeBlock('valueBlock');
        if (offset !== 0) writeUnits(this.u16, offset, this.vStr);
        this.i32[slot >> 2] = offset;
        this.i32[(slot >> 2) + 1] = this.vStr.length;
        break;
      }
      case valueSerialized: {
        const offset = this.takeBlock('valueBlock');
        this.u8.set(this.vBytes!, offset);
        this.i32[slot >> 2] = offset;
        this.i32[(slot >> 2) + 1] = this.vBytes!.length;
        break;
      }
      default:
        this.i32[slot >> 2] = 0;
        this.i32[(slot >> 2) + 1] = 0;
    }
    if (previous !== 0) this.release(previous);
  }

  private takeBlock(which: 'keyBlock' | 'valueBlock'): number {
    const block = this[which];
    if (block === 0) throw new Error(`${this.label}: bad map state: no ${which} reserved`);
    this[which] = 0;
    return block;
  }

  /** The arena block a cell's key holds, or 0. */
  private arenaBlockOfKey(b: number, i: number): number {
    const tag = this.u8[b + bKeyTag + i];
    return tag === keyString || tag === keyBigintText ? this.i32[(b + bKeys + i * 8) >> 2]! : 0;
  }

  /** The arena block a cell's value holds, or 0. */
  private arenaBlockOfValue(b: number, i: number): number {
    const tag = this.u8[b + bValueTag + i];
    return tag === valueString || tag === valueSerialized ? this.i32[(b + bValues + i * 8) >> 2]! : 0;
  }

  // ---- the write flag and the seqlock --------------------------------------------------------

  private fail(code: ConcurrentMapErrorCode, key: unknown): never {
    const cause = new Error(
      `${this.label}: another thread (or another attachment of the same SharedArrayBuffer) was writing the map at the same time; ` +
        'the table takes no lock of its own, so writes must not overlap (GoMap.shared is unguarded like a Go map: ' +
        'use SafeMap.shared or ShardedMap.shared, or one writer at a time)',
    );
    throw new ConcurrentMapError(code, { mapName: this.name, key, cause });
  }

  /** Notes the sequence number this thread sees: a change it did not make is another thread's write. */
  private observe(seq: number): void {
    if (seq !== this.knownSeq) {
      this.foreignWrites++;
      this.knownSeq = seq;
    }
  }

  /** mapassign's and mapdelete's entry: takes hashWriting, or throws "concurrent map writes" having changed nothing. */
  private beginWrite(key: unknown): void {
    if ((Atomics.or(this.i32, hFlags, hashWriting) & hashWriting) !== 0) this.fail('ERR_CONCURRENT_MAP_WRITES', key);
    this.observe(Atomics.add(this.i32, hWriteSeq, 1));
    if (this.liveLoops === 0) this.heap.flushDeferred();
  }

  private endWrite(): void {
    this.releaseReservations();
    this.knownSeq = Atomics.add(this.i32, hWriteSeq, 1) + 1;
    Atomics.and(this.i32, hFlags, ~hashWriting);
  }

  /** The start of a read: the sequence number it must still see at its end. */
  private readBegin(code: ConcurrentMapErrorCode, key: unknown): number {
    // The sequence word is odd whenever a write may have changed anything (hashWriting is set
    // just before it turns odd, and cleared just after it turns even).
    const seq = Atomics.load(this.i32, hWriteSeq);
    if ((seq & 1) !== 0) this.fail(code, key);
    return seq;
  }

  // The closing load orders the reads before it on x86 (loads are not reordered with loads); on
  // weakly ordered CPUs a reader could in principle miss a write that began at its very end. An
  // RMW here would close that gap but make every reader write the sequence word's cache line,
  // which would stop reads from scaling across threads.
  private readEnd(seq: number, code: ConcurrentMapErrorCode, key: unknown): void {
    if (Atomics.load(this.i32, hWriteSeq) !== seq) this.fail(code, key);
  }

  /** A read threw: because a write tore what it read (Go's error), or a real fault. */
  private readFailed(seq: number, error: unknown, code: ConcurrentMapErrorCode, key: unknown): never {
    this.readEnd(seq, code, key);
    if (error instanceof TornRead) throw new Error(`${this.label}: bad map state: a read followed an offset outside the heap with no write in progress`);
    throw error;
  }

  /**
   * Clears a write flag left set by a thread that died in the middle of a write (the lock layer
   * calls it when it recovers a dead writer's lock, then checkInvariants); true when it was set.
   */
  resetWriteFlag(): boolean {
    const wasSet = (Atomics.and(this.i32, hFlags, ~hashWriting) & hashWriting) !== 0;
    if ((Atomics.load(this.i32, hWriteSeq) & 1) !== 0) Atomics.add(this.i32, hWriteSeq, 1);
    return wasSet;
  }

  /**
   * Leaves the sequence word odd for good, so that every later read throws "concurrent map read
   * and map write" before it reads anything: the lock layer calls it when it poisons the lock that
   * guards a layout a dead writer left broken, so that readers that take no lock go to the lock,
   * which reports why.
   */
  refuseReads(): void {
    if ((Atomics.load(this.i32, hWriteSeq) & 1) === 0) Atomics.add(this.i32, hWriteSeq, 1);
  }

  // ---- lookup (mapaccess) --------------------------------------------------------------------

  private isSameSizeGrow(): boolean {
    return (this.i32[hFlags]! & sameSizeGrow) !== 0;
  }

  private noldbuckets(): number {
    const B = this.i32[hB]!;
    return 1 << (this.isSameSizeGrow() ? B : B - 1);
  }

  private evacuated(b: number): boolean {
    const h = this.u8[b]!;
    return h > emptyOne && h < minTopHash;
  }

  /**
   * Finds the prepared (and hashed) key: sets foundB/foundI/foundHead and returns true, or false.
   * Reads an old bucket while it has not been evacuated, as mapaccess does during a grow.
   */
  private lookup(): boolean {
    const lo = this.kLo;
    const top = this.kTop;
    let mask = (1 << this.i32[hB]!) - 1;
    let b = bucketAt(this.i32[hBuckets]!, lo & mask);
    const old = this.i32[hOldBuckets]!;
    if (old !== 0) {
      if (!this.isSameSizeGrow()) mask >>>= 1;
      const oldb = bucketAt(old, lo & mask);
      this.checkBucket(oldb);
      if (!this.evacuated(oldb)) b = oldb;
    }
    this.foundHead = b;
    const maxChain = this.maxChainLength;
    for (let steps = 0; ; steps++) {
      this.checkBucket(b);
      for (let i = 0; i < bucketCnt; i++) {
        const t = this.u8[b + i];
        if (t !== top) {
          if (t === emptyRest) return false;
          continue;
        }
        if (this.keyMatches(b, i)) {
          this.foundB = b;
          this.foundI = i;
          return true;
        }
      }
      b = this.i32[(b + bOverflow) >> 2]!;
      if (b === 0) return false;
      if (steps > maxChain) throw new TornRead();
    }
  }

  /** The value stored for key, or undefined. */
  get(key: K): V | undefined {
    this.prepareKey(key);
    // A racy early out, as Go's: the seqlock below decides.
    if (this.i32[hCount] === 0) return undefined;
    this.sync();
    const code = 'ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE';
    const seq = this.readBegin(code, key);
    let value: unknown;
    try {
      this.hashPrepared();
      value = this.lookup() ? this.readValue(this.foundB, this.foundI) : undefined;
    } catch (error) {
      this.readFailed(seq, error, code, key);
    }
    this.readEnd(seq, code, key);
    return (value instanceof SerializedBytes ? deserializeValue(value.bytes) : value) as V | undefined;
  }

  /** True when key is in the map. */
  has(key: K): boolean {
    this.prepareKey(key);
    if (this.i32[hCount] === 0) return false;
    this.sync();
    const code = 'ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE';
    const seq = this.readBegin(code, key);
    let found = false;
    try {
      this.hashPrepared();
      found = this.lookup();
    } catch (error) {
      this.readFailed(seq, error, code, key);
    }
    this.readEnd(seq, code, key);
    return found;
  }

  // ---- writes (mapassign, mapdelete, mapclear) -----------------------------------------------

  /** Stores value for key (mapassign). Throws MapFullError, having changed nothing, when it does not fit. */
  set(key: K, value: V): this {
    this.prepareKey(key);
    this.prepareValue(value);
    this.beginWrite(key);
    try {
      this.sync();
      this.hashPrepared();
      const found = this.lookup();
      if (!this.reserve(found, true)) this.full(key);
      this.assign();
    } finally {
      this.endWrite();
    }
    return this;
  }

  private full(key: unknown): never {
    const max = this.buffer.maxByteLength;
    throw new MapFullError(
      this.label,
      key,
      max,
      `${this.label}: no room to set key ${describeKey(key)}: the SharedArrayBuffer is at its maxByteLength (${max} bytes, ` +
        `${this.i32[hUsedBytes]} in use) and the write needs more; the map is unchanged. Delete entries, or create the map with a larger maxByteLength`,
    );
  }

  /** mapassign's body, run with hashWriting set and every block it may need reserved. */
  private assign(): void {
    const lo = this.kLo;
    const top = this.kTop;
    for (;;) {
      const B = this.i32[hB]!;
      const bucket = lo & ((1 << B) - 1);
      if (this.i32[hOldBuckets] !== 0) this.growWork(bucket);
      const arr = this.i32[hBuckets]!;
      let b = bucketAt(arr, bucket);
      let insertB = 0;
      let insertI = 0;
      let found = false;
      bucketloop: for (;;) {
        for (let i = 0; i < bucketCnt; i++) {
          const t = this.u8[b + i]!;
          if (t !== top) {
            if (t <= emptyOne && insertB === 0) {
              insertB = b;
              insertI = i;
            }
            if (t === emptyRest) break bucketloop;
            continue;
          }
          if (this.keyMatches(b, i)) {
            insertB = b;
            insertI = i;
            found = true;
            break bucketloop;
          }
        }
        const ovf = this.i32[(b + bOverflow) >> 2]!;
        if (ovf === 0) break;
        b = ovf;
      }
      if (found) {
        this.writeValue(insertB, insertI);
        return;
      }
      // Did not find the key; allocate a new cell, growing first if this would overload the map.
      const count = this.i32[hCount]!;
      if (this.i32[hOldBuckets] === 0 && (overLoadFactor(count + 1, B) || tooManyOverflowBuckets(this.i32[hNoverflow]!, B))) {
        if (this.hashGrow()) continue; // growing the table invalidates everything, so try again
      }
      if (insertB === 0) {
        insertB = this.newoverflow(arr, b);
        insertI = 0;
      }
      this.writeKey(insertB, insertI);
      this.writeValue(insertB, insertI);
      this.u8[insertB + insertI] = top;
      Atomics.store(this.i32, hCount, count + 1);
      return;
    }
  }

  /**
   * Reserves, before anything changes, every block a write of the prepared key and value may
   * need: arena blocks, overflow buckets for growWork's evacuations and the insert, and the new
   * bucket array of a grow the insert would start. False (with nothing reserved) when they do not
   * fit. With `withValue` false (mapdelete), only the evacuation is reserved.
   */
  private reserve(found: boolean, withValue: boolean): boolean {
    const B = this.i32[hB]!;
    const arr = this.i32[hBuckets]!;
    const old = this.i32[hOldBuckets]!;
    let overflow = 0;
    let spare: number;
    let growB = -1;
    if (old !== 0) {
      const nold = this.noldbuckets();
      const oldbucket = this.kLo & (nold - 1);
      overflow += this.chainToEvacuate(old, oldbucket);
      const nevacuate = this.i32[hNevacuate]!;
      if (nevacuate !== oldbucket) overflow += this.chainToEvacuate(old, nevacuate);
      spare = this.i32[(arr + aCapacity) >> 2]! - this.i32[(arr + aUsed) >> 2]!;
    } else if (withValue && !found && (overLoadFactor(this.i32[hCount]! + 1, B) || tooManyOverflowBuckets(this.i32[hNoverflow]!, B))) {
      growB = overLoadFactor(this.i32[hCount]! + 1, B) ? B + 1 : B;
      const mask = (1 << B) - 1;
      const bucket = this.kLo & mask;
      overflow += this.chainLength(bucketAt(arr, bucket));
      if (bucket !== 0) overflow += this.chainLength(bucketAt(arr, 0));
      spare = arrayCapacity(growB) - (1 << growB);
    } else {
      spare = this.i32[(arr + aCapacity) >> 2]! - this.i32[(arr + aUsed) >> 2]!;
    }
    if (withValue && !found) overflow += 1; // the insert may need an overflow bucket
    let ok = true;
    if (withValue && !found && this.keyArenaBytes() > 0) ok = (this.keyBlock = this.heap.alloc(this.keyArenaBytes(), blockString)) !== 0;
    const valueBytes = withValue ? this.valueArenaBytes() : 0;
    if (ok && valueBytes > 0) {
      ok = (this.valueBlock = this.heap.alloc(valueBytes, this.vTag === valueString ? blockString : blockSerialized)) !== 0;
    }
    if (ok && growB >= 0) ok = (this.newArray = this.allocArray(growB)) !== 0;
    for (let n = overflow - spare; ok && n > 0; n--) {
      const block = this.heap.alloc(bucketBytes, blockOverflowBucket);
      if (block === 0) ok = false;
      else this.pool.push(block);
    }
    if (!ok) this.releaseReservations();
    this.adoptGrowth();
    return ok;
  }

  /** Frees whatever reserve() set aside and the write did not use. */
  private releaseReservations(): void {
    if (this.keyBlock !== 0) this.heap.free(this.keyBlock);
    if (this.valueBlock !== 0) this.heap.free(this.valueBlock);
    if (this.newArray !== 0) this.heap.free(this.newArray);
    this.keyBlock = 0;
    this.valueBlock = 0;
    this.newArray = 0;
    for (const block of this.pool) this.heap.free(block);
    this.pool.length = 0;
  }

  /** Buckets in a chain: an upper bound on the overflow buckets evacuating it can take. */
  private chainLength(b: number): number {
    const maxChain = this.maxChainLength;
    let n = 0;
    for (; b !== 0; b = this.i32[(b + bOverflow) >> 2]!) {
      this.checkBucket(b);
      if (++n > maxChain) throw new TornRead();
    }
    return n;
  }

  private chainToEvacuate(old: number, oldbucket: number): number {
    const b = bucketAt(old, oldbucket);
    return this.evacuated(b) ? 0 : this.chainLength(b);
  }

  /** Removes key (mapdelete); true when it was present. Never throws MapFullError. */
  delete(key: K): boolean {
    this.prepareKey(key);
    if (Atomics.load(this.i32, hCount) === 0) return false;
    this.beginWrite(key);
    try {
      this.sync();
      this.hashPrepared();
      if (this.i32[hOldBuckets] !== 0 && !this.reserve(true, false)) {
        // No room for growWork's evacuation: delete where the key is, without evacuating.
        if (!this.lookup()) return false;
        this.removeCell(this.foundHead, this.foundB, this.foundI);
        return true;
      }
      return this.remove();
    } finally {
      this.endWrite();
    }
  }

  /** mapdelete's body, run with hashWriting set; true when the key was found and removed. */
  private remove(): boolean {
    const bucket = this.kLo & ((1 << this.i32[hB]!) - 1);
    if (this.i32[hOldBuckets] !== 0) this.growWork(bucket);
    const head = bucketAt(this.i32[hBuckets]!, bucket);
    const top = this.kTop;
    for (let b = head; b !== 0; b = this.i32[(b + bOverflow) >> 2]!) {
      for (let i = 0; i < bucketCnt; i++) {
        const t = this.u8[b + i];
        if (t !== top) {
          if (t === emptyRest) return false;
          continue;
        }
        if (!this.keyMatches(b, i)) continue;
        this.removeCell(head, b, i);
        return true;
      }
    }
    return false;
  }

  /** Empties cell i of bucket b (in the chain starting at head) and counts the entry gone. */
  private removeCell(head: number, b: number, i: number): void {
    const keyBlock = this.arenaBlockOfKey(b, i);
    const valueBlock = this.arenaBlockOfValue(b, i);
    this.u8[b + bKeyTag + i] = keyNone;
    this.u8[b + bValueTag + i] = valueUndefined;
    this.f64[(b + bKeys + i * 8) >> 3] = 0;
    this.f64[(b + bValues + i * 8) >> 3] = 0;
    this.u8[b + i] = emptyOne;
    this.markEmptyRest(head, b, i);
    if (keyBlock !== 0) this.release(keyBlock);
    if (valueBlock !== 0) this.release(valueBlock);
    const count = this.i32[hCount]! - 1;
    Atomics.store(this.i32, hCount, count);
    // Reset the hash seed to make it more difficult for attackers to repeatedly trigger hash
    // collisions (Go issue 25237).
    if (count === 0) this.reseed();
  }

  /**
   * After cell i of bucket b became emptyOne: if nothing live follows it in the chain, turn it
   * and the emptyOne cells before it into emptyRest, walking back across overflow buckets.
   */
  private markEmptyRest(head: number, b: number, i: number): void {
    if (i === bucketCnt - 1) {
      const next = this.i32[(b + bOverflow) >> 2]!;
      if (next !== 0 && this.u8[next] !== emptyRest) return;
    } else if (this.u8[b + i + 1] !== emptyRest) {
      return;
    }
    for (;;) {
      this.u8[b + i] = emptyRest;
      if (i === 0) {
        if (b === head) return; // beginning of the initial bucket: done
        const c = b;
        for (b = head; this.i32[(b + bOverflow) >> 2] !== c; b = this.i32[(b + bOverflow) >> 2]!) {
          // find the previous bucket in the chain
        }
        i = bucketCnt - 1;
      } else {
        i--;
      }
      if (this.u8[b + i] !== emptyOne) return;
    }
  }

  private reseed(): void {
    this.i32[hSeedLo] = randomSeed();
    this.i32[hSeedHi] = randomSeed();
  }

  /**
   * Removes every entry (mapclear): B is kept, the seed is renewed, any grow is abandoned, and
   * this thread's loops end (a cleared map has nothing more to give them).
   */
  clear(): void {
    if (Atomics.load(this.i32, hCount) === 0) return;
    this.beginWrite(undefined);
    try {
      this.sync();
      this.loopEpoch++;
      this.liveLoops = 0;
      this.heap.flushDeferred();
      const arr = this.i32[hBuckets]!;
      const old = this.i32[hOldBuckets]!;
      this.forEachLiveCell((b, i) => {
        const keyBlock = this.arenaBlockOfKey(b, i);
        const valueBlock = this.arenaBlockOfValue(b, i);
        if (keyBlock !== 0) this.heap.free(keyBlock);
        if (valueBlock !== 0) this.heap.free(valueBlock);
      });
      if (old !== 0) this.freeArray(old);
      this.freeExtraBuckets(arr);
      const capacity = this.i32[(arr + aCapacity) >> 2]!;
      this.u8.fill(0, bucketAt(arr, 0), bucketAt(arr, capacity));
      this.i32[(arr + aUsed) >> 2] = this.i32[(arr + aNbuckets) >> 2]!;
      this.i32[hOldBuckets] = 0;
      Atomics.and(this.i32, hFlags, ~sameSizeGrow);
      this.i32[hNevacuate] = 0;
      this.i32[hNoverflow] = 0;
      Atomics.store(this.i32, hCount, 0);
      this.reseed();
    } finally {
      this.endWrite();
    }
  }

  /** Calls fn for every live cell: the current array, and the old one's unevacuated buckets. */
  private forEachLiveCell(fn: (b: number, i: number) => void): void {
    const visit = (head: number): void => {
      for (let b = head; b !== 0; b = this.i32[(b + bOverflow) >> 2]!) {
        for (let i = 0; i < bucketCnt; i++) if (this.u8[b + i]! >= minTopHash) fn(b, i);
      }
    };
    const arr = this.i32[hBuckets]!;
    const nbuckets = this.i32[(arr + aNbuckets) >> 2]!;
    for (let n = 0; n < nbuckets; n++) visit(bucketAt(arr, n));
    const old = this.i32[hOldBuckets]!;
    if (old !== 0) {
      const nold = this.i32[(old + aNbuckets) >> 2]!;
      for (let n = 0; n < nold; n++) if (!this.evacuated(bucketAt(old, n))) visit(bucketAt(old, n));
    }
  }

  // ---- memory --------------------------------------------------------------------------------

  /** A new, empty array of 2^B buckets, its spare room kept for overflow buckets; 0 when it does not fit. */
  private allocArray(B: number): number {
    const nbuckets = 1 << B;
    const arr = this.heap.alloc(arrayHeaderBytes + nbuckets * bucketBytes, blockBucketArray);
    this.adoptGrowth();
    if (arr === 0) return 0;
    this.i32[(arr + aNbuckets) >> 2] = nbuckets;
    this.i32[(arr + aCapacity) >> 2] = Math.floor((this.heap.payloadBytes(arr) - arrayHeaderBytes) / bucketBytes);
    this.i32[(arr + aUsed) >> 2] = nbuckets;
    this.i32[(arr + aExtraHead) >> 2] = 0;
    return arr;
  }

  /** Frees a bucket array and the overflow buckets it took from the heap (not the arena blocks its cells point to). */
  private freeArray(arr: number): void {
    this.freeExtraBuckets(arr);
    this.release(arr);
  }

  private freeExtraBuckets(arr: number): void {
    for (let b = this.i32[(arr + aExtraHead) >> 2]!; b !== 0; ) {
      const next = this.i32[(b + bExtraLink) >> 2]!;
      this.release(b);
      b = next;
    }
    this.i32[(arr + aExtraHead) >> 2] = 0;
  }

  /** Frees a block, or defers the free while a loop of this thread may still read it. */
  private release(payload: number): void {
    if (this.liveLoops > 0) this.heap.defer(payload);
    else this.heap.free(payload);
  }

  /** Hands out an overflow bucket: from the array's spare room, else one reserve() set aside. */
  private allocOverflow(arr: number): number {
    const used = this.i32[(arr + aUsed) >> 2]!;
    if (used < this.i32[(arr + aCapacity) >> 2]!) {
      this.i32[(arr + aUsed) >> 2] = used + 1;
      return bucketAt(arr, used);
    }
    const b = this.pool.pop() ?? 0;
    if (b === 0) throw new Error(`${this.label}: bad map state: an overflow bucket was needed that the write did not reserve`);
    this.i32[(b + bExtraLink) >> 2] = this.i32[(arr + aExtraHead) >> 2]!;
    this.i32[(arr + aExtraHead) >> 2] = b;
    return b;
  }

  // ---- growth (hashGrow, growWork, evacuate) -------------------------------------------------

  /** Counts a new overflow bucket: exactly below B=16, then with probability 2^-(B-15). */
  private incrnoverflow(): void {
    const B = this.i32[hB]!;
    if (B < 16) {
      this.i32[hNoverflow] = (this.i32[hNoverflow]! + 1) & 0xffff;
      return;
    }
    const mask = (1 << (B - 15)) - 1;
    if ((((Math.random() * 2 ** 32) >>> 0) & mask) === 0) this.i32[hNoverflow] = (this.i32[hNoverflow]! + 1) & 0xffff;
  }

  /** Chains a new overflow bucket after bucket b of arr and returns it. */
  private newoverflow(arr: number, b: number): number {
    const ovf = this.allocOverflow(arr);
    this.incrnoverflow();
    this.i32[(b + bOverflow) >> 2] = ovf;
    return ovf;
  }

  /** Starts a grow into the array reserve() allocated; false (no grow) when none was reserved. */
  private hashGrow(): boolean {
    const next = this.newArray;
    if (next === 0) return false;
    this.newArray = 0;
    // If we've hit the load factor, get bigger; otherwise there are too many overflow buckets,
    // so keep the same number of buckets and "grow" laterally.
    const B = this.i32[hB]!;
    const bigger = overLoadFactor(this.i32[hCount]! + 1, B) ? 1 : 0;
    if (this.i32[(next + aNbuckets) >> 2] !== 1 << (B + bigger)) throw new Error(`${this.label}: bad map state: reserved array of the wrong size`);
    if (bigger === 0) Atomics.or(this.i32, hFlags, sameSizeGrow);
    this.i32[hOldBuckets] = this.i32[hBuckets]!;
    this.i32[hB] = B + bigger;
    this.i32[hBuckets] = next;
    this.i32[hNevacuate] = 0;
    this.i32[hNoverflow] = 0;
    // The copying is done incrementally by growWork() and evacuate().
    return true;
  }

  private growWork(bucket: number): void {
    // Evacuate the old bucket the write is about to use, then one more to make progress.
    this.evacuate(bucket & (this.noldbuckets() - 1));
    if (this.i32[hOldBuckets] !== 0) this.evacuate(this.i32[hNevacuate]!);
  }

  private evacuate(oldbucket: number): void {
    const old = this.i32[hOldBuckets]!;
    const newbit = this.noldbuckets();
    const ob = bucketAt(old, oldbucket);
    if (!this.evacuated(ob)) {
      const arr = this.i32[hBuckets]!;
      const sameSize = this.isSameSizeGrow();
      // x and y: the low and high evacuation destinations, and the next free cell in each.
      let xb = bucketAt(arr, oldbucket);
      let xi = 0;
      let yb = sameSize ? 0 : bucketAt(arr, oldbucket + newbit);
      let yi = 0;
      for (let b = ob; b !== 0; b = this.i32[(b + bOverflow) >> 2]!) {
        for (let i = 0; i < bucketCnt; i++) {
          const top = this.u8[b + i]!;
          if (top <= emptyOne) {
            this.u8[b + i] = evacuatedEmpty;
            continue;
          }
          if (top < minTopHash) throw new Error(`${this.label}: bad map state: tophash ${top} in old bucket ${oldbucket}`);
          const useY = !sameSize && (this.hashOf(this.readKey(b, i)) & newbit) !== 0;
          this.u8[b + i] = useY ? evacuatedY : evacuatedX;
          let dst: number;
          let di: number;
          if (useY) {
            if (yi === bucketCnt) {
              yb = this.newoverflow(arr, yb);
              yi = 0;
            }
            dst = yb;
            di = yi++;
          } else {
            if (xi === bucketCnt) {
              xb = this.newoverflow(arr, xb);
              xi = 0;
            }
            dst = xb;
            di = xi++;
          }
          this.copyCell(b, i, dst, di, top);
          // The old cell keeps its key and value slots: a loop of this thread walking the old
          // array looks evacuated entries up by key. Their arena blocks now belong to the new cell.
        }
      }
    }
    if (oldbucket === this.i32[hNevacuate]) this.advanceEvacuationMark(newbit);
  }

  /** Copies a cell's tophash, tags and slots (as int32 words: no float canonicalizes a NaN payload). */
  private copyCell(b: number, i: number, dst: number, di: number, top: number): void {
    this.u8[dst + bKeyTag + di] = this.u8[b + bKeyTag + i]!;
    this.u8[dst + bValueTag + di] = this.u8[b + bValueTag + i]!;
    const from = (b + bKeys + i * 8) >> 2;
    const to = (dst + bKeys + di * 8) >> 2;
    this.i32[to] = this.i32[from]!;
    this.i32[to + 1] = this.i32[from + 1]!;
    const vfrom = (b + bValues + i * 8) >> 2;
    const vto = (dst + bValues + di * 8) >> 2;
    this.i32[vto] = this.i32[vfrom]!;
    this.i32[vto + 1] = this.i32[vfrom + 1]!;
    this.u8[dst + di] = top;
  }

  private advanceEvacuationMark(newbit: number): void {
    let nevacuate = this.i32[hNevacuate]! + 1;
    // Go's safeguard to keep this O(1): look at no more than 1024 buckets.
    const stop = Math.min(nevacuate + 1024, newbit);
    const old = this.i32[hOldBuckets]!;
    while (nevacuate !== stop && this.evacuated(bucketAt(old, nevacuate))) nevacuate++;
    this.i32[hNevacuate] = nevacuate;
    if (nevacuate === newbit) {
      // Growing is all done: free the old array.
      this.i32[hOldBuckets] = 0;
      Atomics.and(this.i32, hFlags, ~sameSizeGrow);
      this.freeArray(old);
    }
  }

  // ---- iteration (mapiterinit, mapiternext) --------------------------------------------------

  /** Go's iteration of the entries, from a random start; see the top of the file for what a loop may see. */
  entries(): MapIterator<[K, V]> {
    return new StoreEntries(new StoreIterator(this), 'entries') as unknown as MapIterator<[K, V]>;
  }

  keys(): MapIterator<K> {
    return new StoreEntries(new StoreIterator(this), 'keys') as unknown as MapIterator<K>;
  }

  values(): MapIterator<V> {
    return new StoreEntries(new StoreIterator(this), 'values') as unknown as MapIterator<V>;
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  /** Calls fn for each entry, in this iteration's (random) order. */
  forEach(fn: (value: V, key: K) => void): void {
    const it = new StoreIterator(this);
    try {
      while (it.step()) fn(it.value as V, it.key as K);
    } finally {
      it.stop();
    }
  }

  /** @internal One step of a loop (mapiterinit on the first): false at the end. */
  stepIterator(it: StoreIterator<K, V>): boolean {
    const code = 'ERR_CONCURRENT_MAP_ITERATION_AND_MAP_WRITE';
    if (it.token.epoch !== this.loopEpoch) return false; // this thread cleared the map
    this.sync();
    const seq = this.readBegin(code, undefined);
    this.observe(seq);
    if (it.started && it.foreignWrites !== this.foreignWrites) this.fail(code, undefined);
    let more = false;
    try {
      if (!it.started) {
        it.started = true;
        it.foreignWrites = this.foreignWrites;
        if (!this.startIteration(it)) return false;
      }
      more = this.advance(it);
    } catch (error) {
      this.readFailed(seq, error, code, undefined);
    }
    this.readEnd(seq, code, undefined);
    if (more && it.value instanceof SerializedBytes) it.value = deserializeValue(it.value.bytes);
    return more;
  }

  /** @internal A loop ended (or was dropped): it no longer holds back this thread's frees. */
  endIterator(it: StoreIterator<K, V>): void {
    const token = it.token;
    if (!token.counted) return;
    token.counted = false;
    this.loopFinalizer.unregister(token);
    if (token.epoch === this.loopEpoch) this.liveLoops--;
  }

  /** @internal */
  newLoopToken(): LoopToken {
    return { counted: false, epoch: this.loopEpoch };
  }

  private startIteration(it: StoreIterator<K, V>): boolean {
    if (this.i32[hCount] === 0) return false;
    const B = this.i32[hB]!;
    if (B > 30) throw new TornRead();
    const r = (Math.random() * 2 ** 32) >>> 0;
    it.B = B;
    it.buckets = this.i32[hBuckets]!;
    it.startBucket = r & ((1 << B) - 1);
    it.offset = B + 3 <= 32 ? (r >>> B) & (bucketCnt - 1) : ((Math.random() * 2 ** 32) >>> 0) & (bucketCnt - 1);
    it.bucket = it.startBucket;
    it.token.counted = true;
    this.liveLoops++;
    this.loopFinalizer.register(it, it.token, it.token);
    return true;
  }

  /** mapiternext: moves it to the next entry; false at the end. */
  private advance(it: StoreIterator<K, V>): boolean {
    let bucket = it.bucket;
    let b = it.bptr;
    let i = it.i;
    let checkBucket = it.checkBucket;
    const itMask = (1 << it.B) - 1;
    const maxChain = this.maxChainLength;
    let steps = 0;
    for (;;) {
      if (b === 0) {
        if (bucket === it.startBucket && it.wrapped) return false;
        const old = this.i32[hOldBuckets]!;
        b = bucketAt(it.buckets, bucket);
        checkBucket = noCheck;
        if (old !== 0 && it.B === this.i32[hB]) {
          // The iterator started in the middle of a grow that isn't done: if this bucket's old
          // bucket hasn't been evacuated, walk the old one and return only the entries that
          // will move to this bucket.
          const oldb = bucketAt(old, bucket & (this.noldbuckets() - 1));
          this.checkBucket(oldb);
          if (!this.evacuated(oldb)) {
            b = oldb;
            checkBucket = bucket;
          }
        }
        bucket++;
        if (bucket === itMask + 1) {
          bucket = 0;
          it.wrapped = true;
        }
        i = 0;
        steps = 0;
      }
      this.checkBucket(b);
      for (; i < bucketCnt; i++) {
        const c = (i + it.offset) & (bucketCnt - 1);
        const top = this.u8[b + c]!;
        if (top <= emptyOne || top === evacuatedEmpty) continue;
        if (checkBucket !== noCheck && !this.isSameSizeGrow()) {
          // Skip entries of this old bucket that are destined for the other new bucket.
          if ((this.hashOf(this.readKey(b, c)) & itMask) !== checkBucket) continue;
        }
        if (top !== evacuatedX && top !== evacuatedY) {
          it.key = this.readKey(b, c);
          it.value = this.readValue(b, c);
        } else {
          // The table grew since the iterator started: the entry's current state is in the new
          // table; it may have been deleted, updated, or deleted and reinserted.
          this.prepareKey(this.readKey(b, c));
          this.hashPrepared();
          if (!this.lookup()) continue;
          it.key = this.readKey(this.foundB, this.foundI);
          it.value = this.readValue(this.foundB, this.foundI);
        }
        it.bucket = bucket;
        it.bptr = b;
        it.i = i + 1;
        it.checkBucket = checkBucket;
        return true;
      }
      b = this.i32[(b + bOverflow) >> 2]!;
      i = 0;
      if (++steps > maxChain) throw new TornRead();
    }
  }

  // ---- introspection -------------------------------------------------------------------------

  /** Sizes, load, memory; read without a lock (throws Go's read error if a write overlapped). */
  stats(): SharedStoreStats {
    this.sync();
    const code = 'ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE';
    const seq = this.readBegin(code, undefined);
    let stats: SharedStoreStats | undefined;
    try {
      let overflowBuckets = 0;
      for (const arr of [this.i32[hBuckets]!, this.i32[hOldBuckets]!]) {
        if (arr === 0) continue;
        const nbuckets = this.i32[(arr + aNbuckets) >> 2]!;
        for (let n = 0; n < nbuckets; n++) overflowBuckets += this.chainLength(bucketAt(arr, n)) - 1;
      }
      const B = this.i32[hB]!;
      const count = this.i32[hCount]!;
      const top = this.i32[hHeapTop]!;
      const used = this.i32[hUsedBytes]!;
      stats = {
        count,
        B,
        buckets: 1 << B,
        overflowBuckets,
        noverflow: this.i32[hNoverflow]!,
        loadFactor: count / (1 << B),
        growing: this.i32[hOldBuckets] !== 0,
        sameSizeGrow: this.isSameSizeGrow(),
        nevacuate: this.i32[hNevacuate]!,
        bytesTotal: this.buffer.byteLength,
        maxByteLength: this.buffer.maxByteLength,
        bytesUsed: used,
        bytesFree: top - heapBase - used,
        bytesUncarved: this.buffer.byteLength - top,
        arenaBlocks: this.i32[hArenaBlocks]!,
        arenaBytes: this.i32[hArenaBytes]!,
        deferredBytes: this.i32[hDeferredBytes]!,
      };
    } catch (error) {
      this.readFailed(seq, error, code, undefined);
    }
    this.readEnd(seq, code, undefined);
    return stats!;
  }

  /**
   * Checks the whole layout and throws an Error naming the first broken invariant: header, count,
   * tophash/key agreement (each live key hashes to its bucket and tophash), emptyRest marks,
   * overflow chains, evacuation marks, and the heap's accounting (every block used exactly once,
   * free lists, arena totals). Call it when no thread writes (it throws Go's read error if one did).
   */
  checkInvariants(): void {
    this.sync();
    const code = 'ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE';
    const seq = this.readBegin(code, undefined);
    try {
      new InvariantChecker(this.i32, this.u8, this.heap, this.label, (b, i) => this.readKey(b, i), (key) => {
        this.prepareKey(key);
        this.hashPrepared();
        return [this.kLo, this.kTop];
      }).check();
    } catch (error) {
      this.readEnd(seq, code, undefined);
      if (error instanceof TornRead) throw new Error(`${this.label}: invariant broken: an offset points outside the heap`);
      throw error;
    }
    this.readEnd(seq, code, undefined);
  }
}

/** Typed-array views of 8-byte elements want buffer lengths in multiples of 8. */
function roundUp8(bytes: number): number {
  return (bytes + 7) & ~7;
}

/** Byte offset of bucket n of the array whose payload is at arr. */
function bucketAt(arr: number, n: number): number {
  return arr + arrayHeaderBytes + n * bucketBytes;
}

/** Buckets a fresh array of 2^B main buckets has room for (its block is a power of two). */
function arrayCapacity(B: number): number {
  const bytes = arrayHeaderBytes + (1 << B) * bucketBytes;
  return Math.floor(((1 << classFor(bytes)) - blockHeaderBytes - arrayHeaderBytes) / bucketBytes);
}

/** Go's hiter over a SharedStore, local to the thread that made it. */
export class StoreIterator<K extends SharedKey, V> {
  key: K | undefined = undefined;
  value: unknown = undefined;
  /** @internal */ started = false;
  /** @internal */ done = false;
  /** @internal */ foreignWrites = 0;
  /** @internal */ B = 0;
  /** @internal the bucket array at iteration start */ buckets = 0;
  /** @internal */ startBucket = 0;
  /** @internal intra-bucket offset to start from */ offset = 0;
  /** @internal already wrapped around from the end of the array to the beginning */ wrapped = false;
  /** @internal next bucket to walk */ bucket = 0;
  /** @internal current bucket's byte offset, or 0 */ bptr = 0;
  /** @internal next cell of bptr */ i = 0;
  /** @internal */ checkBucket = noCheck;
  /** @internal */ readonly token: LoopToken;

  constructor(private readonly store: SharedStore<K, V>) {
    this.token = store.newLoopToken();
  }

  /** Moves to the next entry; false when the walk is over. */
  step(): boolean {
    if (this.done) return false;
    let more = false;
    try {
      more = this.store.stepIterator(this);
    } finally {
      if (!more) this.stop();
    }
    return more;
  }

  /** Ends the walk. */
  stop(): void {
    if (this.done) return;
    this.done = true;
    this.key = undefined;
    this.value = undefined;
    this.store.endIterator(this);
  }
}

/** The iterator objects keys(), values() and entries() return. */
class StoreEntries<K extends SharedKey, V> {
  constructor(
    private readonly it: StoreIterator<K, V>,
    private readonly kind: 'keys' | 'values' | 'entries',
  ) {}

  next(): IteratorResult<unknown, undefined> {
    if (!this.it.step()) return { value: undefined, done: true };
    const { key, value } = this.it;
    return { value: this.kind === 'keys' ? key : this.kind === 'values' ? value : [key, value], done: false };
  }

  /** Called by `break` in a for-of: the loop no longer holds back this thread's frees. */
  return(): IteratorResult<unknown, undefined> {
    this.it.stop();
    return { value: undefined, done: true };
  }

  [Symbol.iterator](): this {
    return this;
  }

  get [Symbol.toStringTag](): string {
    return 'SharedMap Iterator';
  }
}
Object.setPrototypeOf(StoreEntries.prototype, iteratorPrototype);

/** The walk of checkInvariants, kept apart from the store's hot code. */
class InvariantChecker {
  constructor(
    private readonly i32: Int32Array,
    private readonly u8: Uint8Array,
    private readonly heap: Heap,
    private readonly label: string,
    private readonly readKey: (b: number, i: number) => unknown,
    private readonly hash: (key: unknown) => [number, number],
  ) {}

  private broken(what: string): never {
    throw new Error(`${this.label}: invariant broken: ${what}`);
  }

  check(): void {
    const { i32 } = this;
    if (i32[hMagic] !== storeMagic || i32[hVersion] !== layoutVersion) this.broken('header magic or version');
    if ((i32[hFlags]! & hashWriting) !== 0) this.broken('hashWriting is set with no write in progress');
    const B = i32[hB]!;
    if (B < 0 || B > 30) this.broken(`B is ${B}`);
    const arr = i32[hBuckets]!;
    const old = i32[hOldBuckets]!;
    const sameSize = (i32[hFlags]! & sameSizeGrow) !== 0;
    if (sameSize && old === 0) this.broken('sameSizeGrow is set while not growing');
    // Blocks the layout references, to match against the heap's blocks: payload -> what.
    const referenced = new Map<number, string>();
    const reference = (payload: number, what: string): void => {
      const before = referenced.get(payload);
      if (before !== undefined) this.broken(`block ${payload} is referenced twice: by ${before} and by ${what}`);
      referenced.set(payload, what);
    };
    const seenKeys = new Set<unknown>();
    let live = 0;
    const checkArray = (array: number, nbuckets: number, isOld: boolean): void => {
      reference(array, isOld ? 'oldbuckets' : 'buckets');
      if (i32[(array + aNbuckets) >> 2] !== nbuckets) this.broken(`${isOld ? 'oldbuckets' : 'buckets'} has ${i32[(array + aNbuckets) >> 2]} buckets, expected ${nbuckets}`);
      const capacity = i32[(array + aCapacity) >> 2]!;
      const used = i32[(array + aUsed) >> 2]!;
      if (used < nbuckets || used > capacity) this.broken(`bucket array ${array}: used ${used} outside [${nbuckets}, ${capacity}]`);
      const inArray = (b: number): boolean => b >= bucketAt(array, nbuckets) && b < bucketAt(array, used) && (b - bucketAt(array, 0)) % bucketBytes === 0;
      const chained = new Set<number>();
      for (let n = 0; n < nbuckets; n++) {
        const head = bucketAt(array, n);
        const evacuatedBucket = isOld && this.u8[head]! > emptyOne && this.u8[head]! < minTopHash;
        if (isOld && n < i32[hNevacuate]! && !evacuatedBucket) this.broken(`old bucket ${n} is below nevacuate ${i32[hNevacuate]} but not evacuated`);
        let sawEmptyRest = false;
        for (let b = head, length = 0; b !== 0; b = i32[(b + bOverflow) >> 2]!, length++) {
          if (b !== head) {
            if (chained.has(b)) this.broken(`overflow bucket ${b} is chained twice`);
            chained.add(b);
            if (!inArray(b)) reference(b, `an overflow bucket of chain ${n}`);
          }
          if (length > this.u8.length / bucketBytes) this.broken(`chain ${n} does not end`);
          for (let i = 0; i < bucketCnt; i++) {
            const top = this.u8[b + i]!;
            if (evacuatedBucket) {
              if (top <= emptyOne || top >= minTopHash) this.broken(`old bucket ${n} is evacuated but cell ${i} of ${b} has tophash ${top}`);
              continue;
            }
            if (top > emptyOne && top < minTopHash) this.broken(`bucket ${n} (${isOld ? 'old' : 'new'}) has evacuation mark ${top} in a bucket that is not evacuated`);
            if (sawEmptyRest && top !== emptyRest) this.broken(`chain ${n}: a cell after an emptyRest has tophash ${top}`);
            if (top === emptyRest) sawEmptyRest = true;
            if (top < minTopHash) continue;
            live++;
            const key = this.readKey(b, i);
            if (seenKeys.has(key)) this.broken(`key ${describeKey(key)} is stored twice`);
            seenKeys.add(key);
            const [lo, tophash] = this.hash(key);
            const mask = nbuckets - 1;
            if ((lo & mask) !== n) this.broken(`key ${describeKey(key)} is in bucket ${n} but hashes to bucket ${lo & mask}`);
            if (tophash !== top) this.broken(`key ${describeKey(key)} has tophash ${top}, its hash gives ${tophash}`);
            const keyTag = this.u8[b + bKeyTag + i];
            if (keyTag === keyString || keyTag === keyBigintText) {
              const offset = i32[(b + bKeys + i * 8) >> 2]!;
              if (offset !== 0) reference(offset, `key ${describeKey(key)}`);
            }
            const valueTag = this.u8[b + bValueTag + i]!;
            if (valueTag > valueSerialized) this.broken(`key ${describeKey(key)} has value tag ${valueTag}`);
            if (valueTag === valueString || valueTag === valueSerialized) {
              const offset = i32[(b + bValues + i * 8) >> 2]!;
              if (offset !== 0) reference(offset, `the value of key ${describeKey(key)}`);
            }
          }
        }
      }
      // Extra overflow buckets the array took from the heap are all in its list.
      for (let b = i32[(array + aExtraHead) >> 2]!; b !== 0; b = i32[(b + bExtraLink) >> 2]!) {
        if (!referenced.has(b)) this.broken(`bucket array ${array} lists overflow bucket ${b}, which no chain holds`);
      }
    };
    checkArray(arr, 1 << B, false);
    if (old !== 0) checkArray(old, sameSize ? 1 << B : 1 << (B - 1), true);
    if (live !== i32[hCount]) this.broken(`count is ${i32[hCount]} but ${live} cells are live`);
    this.checkHeap(referenced);
  }

  private checkHeap(referenced: Map<number, string>): void {
    const { i32 } = this;
    const freeBlocks = this.heap.freeListBlocks();
    const deferred = this.heap.deferredBlocks();
    let used = 0;
    let arenaBlocks = 0;
    let arenaBytes = 0;
    let deferredBytes = 0;
    let freeSeen = 0;
    for (const block of this.heap.walkBlocks()) {
      const start = block.payload - blockHeaderBytes;
      if (block.state === 'free') {
        if (freeBlocks.get(start) === undefined) this.broken(`heap: free block ${start} is on no free list`);
        freeSeen++;
        continue;
      }
      used += block.bytes;
      if (block.kind === blockString || block.kind === blockSerialized) {
        arenaBlocks++;
        arenaBytes += block.bytes;
      }
      if (block.state === 'deferred') {
        if (!deferred.has(start)) this.broken(`heap: deferred block ${start} is not on the deferred list`);
        deferredBytes += block.bytes;
        continue;
      }
      const what = referenced.get(block.payload);
      if (what === undefined) this.broken(`heap: block ${start} (kind ${block.kind}, ${block.bytes} bytes) is in use but nothing references it (a leak)`);
      referenced.delete(block.payload);
    }
    if (freeSeen !== freeBlocks.size) this.broken(`heap: free lists hold ${freeBlocks.size} blocks, the heap has ${freeSeen} free blocks`);
    for (const [payload, what] of referenced) this.broken(`${what} references ${payload}, which is not a block in use`);
    if (used !== i32[hUsedBytes]) this.broken(`heap: ${used} bytes in use, the header says ${i32[hUsedBytes]}`);
    if (arenaBlocks !== i32[hArenaBlocks] || arenaBytes !== i32[hArenaBytes]) {
      this.broken(`arena: ${arenaBlocks} blocks of ${arenaBytes} bytes, the header says ${i32[hArenaBlocks]} of ${i32[hArenaBytes]}`);
    }
    if (deferredBytes !== i32[hDeferredBytes]) this.broken(`heap: ${deferredBytes} deferred bytes, the header says ${i32[hDeferredBytes]}`);
    if (i32[hHeapTop]! > this.u8.length) this.broken('heap: heapTop is past the end of the buffer');
  }
}
