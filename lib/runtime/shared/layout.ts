/**
 * Where everything lives in a shared store's SharedArrayBuffer. Every position is a byte offset
 * from the start of the buffer, so it means the same in every thread that attaches the buffer.
 *
 * ```
 * [0, 256)        header: Int32 words, below
 * [256, heapTop)  heap: power-of-two blocks (heap.ts) holding bucket arrays, overflow buckets,
 *                 and the arena's strings and serialized values
 * [heapTop, end)  not handed out yet; the buffer grows (SharedArrayBuffer.grow) as heapTop needs
 * ```
 *
 * A bucket (Go's `bmap`, 160 bytes):
 *
 * ```
 * +0   tophash[8]    u8    Go's tophash: marks 0..4 (go-map-layout.ts), or the hash's top byte
 * +8   keyTag[8]     u8    how the key slot is encoded (KeyTag)
 * +16  valueTag[8]   u8    how the value slot is encoded (ValueTag)
 * +24  overflow      i32   the next bucket of the chain, 0 for none
 * +28  extraLink     i32   list of the overflow buckets a bucket array took from the heap
 * +32  keys[8]       8 bytes each: a float64, a bigint64, or (arena offset, length) as 2 × i32
 * +96  values[8]     8 bytes each, encoded the same ways
 * ```
 *
 * A bucket array is one heap block: a 24-byte array header (nbuckets, capacity, used, extraHead),
 * then `capacity` buckets of which the first 2^B are the main buckets and the rest the overflow
 * buckets it hands out first (Go preallocates overflow buckets the same way). Overflow buckets
 * beyond that are heap blocks of their own, linked from the array header so they are freed with it.
 * @internal
 */

/** 'MPGM' (maprace GoMap layout), to tell a store's buffer from any other. */
export const storeMagic = 0x4d50474d;
/** Bumped when the layout changes: a buffer of another layout is refused by attach. */
export const layoutVersion = 1;

// Header words (Int32 indices).
export const hMagic = 0;
export const hVersion = 1;
/** Go's hmap.count: live entries. */
export const hCount = 2;
/** Go's hmap.flags: hashWriting and sameSizeGrow (the iterator bits stay per thread, see store.ts). */
export const hFlags = 3;
export const hB = 4;
export const hNoverflow = 5;
/** Go's hash0, the two uint32 halves of the seed every thread hashes with. */
export const hSeedLo = 6;
export const hSeedHi = 7;
/** Byte offset of the current bucket array's payload. */
export const hBuckets = 8;
/** Byte offset of the old bucket array while growing, else 0. */
export const hOldBuckets = 9;
export const hNevacuate = 10;
/** Seqlock: odd while a write is in progress; readers compare it before and after. */
export const hWriteSeq = 11;
/** End of the carved heap. */
export const hHeapTop = 12;
/** Bytes in allocated (and deferred) blocks. */
export const hUsedBytes = 13;
/** Arena blocks (strings and serialized values) and their bytes. */
export const hArenaBlocks = 14;
export const hArenaBytes = 15;
/** Head of the list of blocks whose free waits for this thread's loops to end (store.ts). */
export const hDeferredHead = 16;
export const hDeferredBytes = 17;
/** Free-list heads, one per block size class k (block of 2^k bytes): word hFreeLists + k. */
export const hFreeLists = 24;

export const headerBytes = 256;
export const heapBase = headerBytes;

// Buckets.
export const bucketBytes = 160;
export const bKeyTag = 8;
export const bValueTag = 16;
export const bOverflow = 24;
export const bExtraLink = 28;
export const bKeys = 32;
export const bValues = 96;

// Bucket array header (byte offsets from the array's payload).
export const aNbuckets = 0;
export const aCapacity = 4;
export const aUsed = 8;
export const aExtraHead = 12;
export const arrayHeaderBytes = 24;

// How a key slot is encoded (the key tag byte).
export const keyNone = 0;
/** float64; -0 is stored as 0 */
export const keyNumber = 1;
/** UTF-16 code units in the arena: (offset, length in units) */
export const keyString = 2;
/** a bigint in the int64 range, as a BigInt64 */
export const keyBigint64 = 3;
/** any other bigint: its sign and hexadecimal digits as a string in the arena */
export const keyBigintText = 4;

// How a value slot is encoded (the value tag byte).
export const valueUndefined = 0;
export const valueNull = 1;
export const valueFalse = 2;
export const valueTrue = 3;
export const valueNumber = 4;
export const valueString = 5;
export const valueBigint64 = 6;
/** v8.serialize bytes in the arena: (offset, byte length) */
export const valueSerialized = 7;

// What a heap block holds (for accounting and checkInvariants).
export const blockBucketArray = 1;
export const blockOverflowBucket = 2;
export const blockString = 3;
export const blockSerialized = 4;

/** A growable SharedArrayBuffer as ES2024 describes it (this project's lib is ES2023). */
export interface GrowableSharedArrayBuffer extends SharedArrayBuffer {
  readonly growable: boolean;
  readonly maxByteLength: number;
  grow(newByteLength: number): void;
}

/** `new SharedArrayBuffer(length, { maxByteLength })`, typed. */
export function newGrowableBuffer(byteLength: number, maxByteLength: number): GrowableSharedArrayBuffer {
  const Ctor = SharedArrayBuffer as unknown as new (length: number, options: { maxByteLength: number }) => GrowableSharedArrayBuffer;
  return new Ctor(byteLength, { maxByteLength });
}

/**
 * The typed-array views of one buffer in one thread. They have a fixed length (V8 reads elements
 * of length-tracking views of a growable buffer several times slower), so they are made again,
 * by remap(), when the buffer has grown: by this thread's heap, or as seen at the start of an
 * operation when another thread grew it.
 */
export class Views {
  u8!: Uint8Array;
  u16!: Uint16Array;
  i32!: Int32Array;
  f64!: Float64Array;
  i64!: BigInt64Array;
  /** The buffer length the views cover. */
  byteLength = 0;

  constructor(readonly buffer: GrowableSharedArrayBuffer) {
    this.remap();
  }

  remap(): void {
    const { buffer } = this;
    const byteLength = buffer.byteLength & ~7;
    this.u8 = new Uint8Array(buffer, 0, byteLength);
    this.u16 = new Uint16Array(buffer, 0, byteLength >> 1);
    this.i32 = new Int32Array(buffer, 0, byteLength >> 2);
    this.f64 = new Float64Array(buffer, 0, byteLength >> 3);
    this.i64 = new BigInt64Array(buffer, 0, byteLength >> 3);
    this.byteLength = byteLength;
  }
}
