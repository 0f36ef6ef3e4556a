/**
 * Go 1.19's map constants and the arithmetic on them (runtime/map.go), shared by the two ports of
 * its layout: GoMap (lib/runtime/go-map.ts, in JavaScript arrays) and the shared-memory store
 * (lib/runtime/shared/store.ts, in a SharedArrayBuffer). Each constant keeps Go's name and reason.
 * @internal
 */

// Maximum number of key/elem pairs a bucket can hold.
export const bucketCntBits = 3;
export const bucketCnt = 1 << bucketCntBits;

// Maximum average load of a bucket that triggers growth is 6.5, kept as 13/2 for integer math.
export const loadFactorNum = 13;
export const loadFactorDen = 2;

// Possible tophash values. Each bucket (with its overflow buckets) has all or none of its cells in
// the evacuated* states, except while evacuate() runs, which only a map write does.
export const emptyRest = 0; // this cell is empty, and so is every cell after it in the chain
export const emptyOne = 1; // this cell is empty
export const evacuatedX = 2; // entry evacuated to the first half of the larger table
export const evacuatedY = 3; // entry evacuated to the second half of the larger table
export const evacuatedEmpty = 4; // cell is empty, bucket is evacuated
export const minTopHash = 5; // minimum tophash for a normal filled cell

// hmap.flags bits.
export const iterator = 1; // there may be an iterator using buckets
export const oldIterator = 2; // there may be an iterator using oldbuckets
export const hashWriting = 4; // a write to the map is in progress
export const sameSizeGrow = 8; // the current growth is to a new table of the same size

// Powers of two are written as shifts (1 << B) throughout: V8 compiles `2 ** B` to a generic
// exponentiation that made every lookup ~5x slower. B never exceeds maxB + 1, so shifts are exact.

// Sentinel for the iterator's checkBucket: no filtering of old-bucket entries.
export const noCheck = -1;

// The largest B this port allocates: 2^30 buckets of 8 cells is past what a JavaScript array can
// hold, so larger size hints are ignored like Go ignores hints beyond maxAlloc.
export const maxB = 26;

// Go ignores a hint whose bucket memory would exceed maxAlloc (2^48 on linux/amd64); a bucket of
// map[uint64]uint64 is 144 bytes. We ignore the same hints, and those needing B > maxB.
export const maxHint = Math.floor(2 ** 48 / 144);

/** Go's `loadFactorNum*(bucketShift(B)/loadFactorDen)` test: would `count` items overload 2^B buckets? */
export function overLoadFactor(count: number, B: number): boolean {
  return count > bucketCnt && count > loadFactorNum * ((1 << B) / loadFactorDen);
}

/** "Too many" overflow buckets means (approximately) as many overflow buckets as regular ones. */
export function tooManyOverflowBuckets(noverflow: number, B: number): boolean {
  return noverflow >= 1 << Math.min(B, 15);
}

/** The tophash of a hash whose high 32 bits are `hi`: its top byte, moved clear of the marks. */
export function tophashOf(hi: number): number {
  const top = hi >>> 24;
  return top < minTopHash ? top + minTopHash : top;
}

/** The B that `make(map, hint)` chooses; hints Go would ignore count as 0. */
export function bucketsForHint(hint: number): number {
  const usable = Number.isFinite(hint) && hint >= 0 && hint <= maxHint ? Math.floor(hint) : 0;
  let B = 0;
  while (B <= maxB && overLoadFactor(usable, B)) B++;
  return B > maxB ? 0 : B;
}

