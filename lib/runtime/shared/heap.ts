/**
 * The heap of a shared store: a binary buddy allocator inside the SharedArrayBuffer, which holds
 * bucket arrays, overflow buckets and the arena (strings, serialized values).
 *
 * Every block is 2^k bytes (16 ≤ 2^k ≤ 2^30) and aligned to its size relative to heapBase, so a
 * block's buddy is at `offset ^ 2^k` and two free buddies merge into the block they were split
 * from. Freed space is therefore reused by allocations of any size: a long run of set/delete of
 * strings of varied lengths, or a bucket array freed after a grow, leaves no unusable holes behind,
 * and the heap stays within about twice the live bytes (the power-of-two rounding). The heap is
 * carved from the bottom of the buffer (heapTop) as needed, and the buffer grows to make room,
 * up to its maxByteLength.
 *
 * A block starts with an 8-byte header; its payload follows, 8-byte aligned:
 *   word 0: k | state << 8 | kind << 12   (state: free, used, deferred; kind: layout.ts block*)
 *   word 1: next (free and deferred lists)   word 2: prev (free lists)
 * Free lists are doubly linked, one per size class, their heads in the store header.
 *
 * Not thread-safe by itself: only the thread holding the store's write flag calls it.
 * @internal
 */
import { hDeferredBytes, hDeferredHead, heapBase, hFreeLists, hHeapTop, hUsedBytes, hArenaBlocks, hArenaBytes, blockString, blockSerialized, type Views } from './layout.js';

export const blockHeaderBytes = 8;
export const minClass = 4;
export const maxClass = 30;

const stateFree = 1;
const stateUsed = 2;
const stateDeferred = 3;

/** The size class of a block able to hold `bytes` of payload, or -1 past the largest block. */
export function classFor(bytes: number): number {
  const need = bytes + blockHeaderBytes;
  if (need > 1 << maxClass) return -1;
  const k = 32 - Math.clz32(need - 1);
  return k < minClass ? minClass : k;
}

/** One block of the heap, as walkBlocks reports it. */
export interface HeapBlock {
  /** Offset of the payload. */
  payload: number;
  bytes: number;
  state: 'free' | 'used' | 'deferred';
  kind: number;
}

export class Heap {
  constructor(private readonly views: Views) {}

  private get i32(): Int32Array {
    return this.views.i32;
  }

  /** Sets up an empty heap in a fresh buffer. */
  init(): void {
    this.i32[hHeapTop] = heapBase;
  }

  get top(): number {
    return this.i32[hHeapTop]!;
  }

  /**
   * Allocates a block with room for `bytes` of payload, growing the buffer when needed; returns
   * the payload's offset, or 0 when the buffer cannot grow enough. The payload is zeroed.
   */
  alloc(bytes: number, kind: number): number {
    const k = classFor(bytes);
    if (k < 0) return 0;
    let block = 0;
    for (let j = k; j <= maxClass; j++) {
      const head = this.i32[hFreeLists + j]!;
      if (head === 0) continue;
      this.unlink(head, j);
      block = head;
      // Split down to size k, the upper halves going to the free lists.
      while (j > k) {
        j--;
        this.pushFree(block + (1 << j), j);
      }
      break;
    }
    if (block === 0) block = this.carve(k);
    if (block === 0) return 0;
    this.i32[block >> 2] = k | (stateUsed << 8) | (kind << 12);
    this.i32[hUsedBytes] = this.i32[hUsedBytes]! + (1 << k);
    if (kind === blockString || kind === blockSerialized) {
      this.i32[hArenaBlocks] = this.i32[hArenaBlocks]! + 1;
      this.i32[hArenaBytes] = this.i32[hArenaBytes]! + (1 << k);
    }
    const payload = block + blockHeaderBytes;
    this.views.u8.fill(0, payload, block + (1 << k));
    return payload;
  }

  /** Returns a used (or deferred) block to the free lists, merging it with its free buddies. */
  free(payload: number): void {
    const block = payload - blockHeaderBytes;
    const header = this.i32[block >> 2]!;
    const k = header & 0x1f;
    const state = (header >> 8) & 0xf;
    if (state !== stateUsed && state !== stateDeferred) {
      throw new Error(`shared store: bad heap state: freeing block ${block} in state ${state}`);
    }
    const kind = header >> 12;
    if (state === stateDeferred) this.i32[hDeferredBytes] = this.i32[hDeferredBytes]! - (1 << k);
    this.i32[hUsedBytes] = this.i32[hUsedBytes]! - (1 << k);
    if (kind === blockString || kind === blockSerialized) {
      this.i32[hArenaBlocks] = this.i32[hArenaBlocks]! - 1;
      this.i32[hArenaBytes] = this.i32[hArenaBytes]! - (1 << k);
    }
    this.release(block, k, true);
  }

  /**
   * Puts block (class k) on a free list after merging it with its free buddies; with `toTop`, a
   * block that ends the carved heap goes back to the uncarved space instead.
   */
  private release(block: number, k: number, toTop: boolean): void {
    const top = this.i32[hHeapTop]!;
    while (k < maxClass) {
      const buddy = heapBase + ((block - heapBase) ^ (1 << k));
      if (buddy >= top || this.i32[buddy >> 2] !== (k | (stateFree << 8))) break;
      this.unlink(buddy, k);
      if (buddy < block) block = buddy;
      k++;
    }
    if (toTop && block + (1 << k) === top) this.i32[hHeapTop] = block;
    else this.pushFree(block, k);
  }

  /** Marks a used block as waiting to be freed (see SharedStore's loops); flushDeferred frees it. */
  defer(payload: number): void {
    const block = payload - blockHeaderBytes;
    const header = this.i32[block >> 2]!;
    this.i32[block >> 2] = (header & ~0xf00) | (stateDeferred << 8);
    this.i32[(block >> 2) + 1] = this.i32[hDeferredHead]!;
    this.i32[hDeferredHead] = block;
    this.i32[hDeferredBytes] = this.i32[hDeferredBytes]! + (1 << (header & 0x1f));
  }

  /** Frees every deferred block. */
  flushDeferred(): void {
    let block = this.i32[hDeferredHead]!;
    this.i32[hDeferredHead] = 0;
    while (block !== 0) {
      const next = this.i32[(block >> 2) + 1]!;
      this.free(block + blockHeaderBytes);
      block = next;
    }
  }

  /** Payload bytes of a block (its size minus the header). */
  payloadBytes(payload: number): number {
    return (1 << (this.i32[(payload - blockHeaderBytes) >> 2]! & 0x1f)) - blockHeaderBytes;
  }

  /** Every block from heapBase to heapTop, in address order; throws on a header that breaks the tiling. */
  *walkBlocks(): Generator<HeapBlock> {
    const top = this.i32[hHeapTop]!;
    for (let block = heapBase; block < top; ) {
      const header = this.i32[block >> 2]!;
      const k = header & 0x1f;
      const state = (header >> 8) & 0xf;
      if (k < minClass || k > maxClass || state < stateFree || state > stateDeferred || ((block - heapBase) & ((1 << k) - 1)) !== 0) {
        throw new Error(`shared store invariant broken: heap: block at ${block} has a bad header ${header}`);
      }
      yield {
        payload: block + blockHeaderBytes,
        bytes: 1 << k,
        state: state === stateFree ? 'free' : state === stateUsed ? 'used' : 'deferred',
        kind: header >> 12,
      };
      block += 1 << k;
    }
  }

  /** Blocks on each free list, checked for consistent links; keyed by block offset. */
  freeListBlocks(): Map<number, number> {
    const blocks = new Map<number, number>();
    for (let k = minClass; k <= maxClass; k++) {
      let prev = 0;
      for (let block = this.i32[hFreeLists + k]!; block !== 0; block = this.i32[(block >> 2) + 1]!) {
        if (this.i32[(block >> 2) + 2] !== prev) throw new Error(`shared store invariant broken: heap: free list ${k} has a bad back link at ${block}`);
        if (this.i32[block >> 2] !== (k | (stateFree << 8))) throw new Error(`shared store invariant broken: heap: block ${block} on free list ${k} is not a free block of that size`);
        if (blocks.has(block)) throw new Error(`shared store invariant broken: heap: free list ${k} loops at ${block}`);
        blocks.set(block, k);
        prev = block;
      }
    }
    return blocks;
  }

  /** Blocks on the deferred list. */
  deferredBlocks(): Set<number> {
    const blocks = new Set<number>();
    for (let block = this.i32[hDeferredHead]!; block !== 0; block = this.i32[(block >> 2) + 1]!) {
      if (blocks.has(block)) throw new Error(`shared store invariant broken: heap: the deferred list loops at ${block}`);
      blocks.add(block);
    }
    return blocks;
  }

  /** Takes a fresh block of class k from above heapTop, growing the buffer; 0 when it cannot. */
  private carve(k: number): number {
    const top = this.i32[hHeapTop]!;
    const size = 1 << k;
    const rel = top - heapBase;
    const aligned = (rel + size - 1) & -size;
    const end = heapBase + aligned + size;
    if (!this.ensureLength(end)) return 0;
    // The gap up to the aligned start becomes free blocks, each aligned to its own size.
    let at = rel;
    while (at < aligned) {
      const piece = at & -at;
      this.i32[hHeapTop] = heapBase + at + piece;
      this.release(heapBase + at, 31 - Math.clz32(piece), false);
      at += piece;
    }
    this.i32[hHeapTop] = end;
    return heapBase + aligned;
  }

  /** Grows the buffer to at least `end` bytes (by half again at least); false past maxByteLength. */
  private ensureLength(end: number): boolean {
    const buffer = this.views.buffer;
    const length = buffer.byteLength;
    if (end <= length) {
      if (end > this.views.byteLength) this.views.remap();
      return true;
    }
    if (end > buffer.maxByteLength) return false;
    const wanted = Math.max(end, length + (length >>> 1));
    const next = Math.min(buffer.maxByteLength, (wanted + 4095) & -4096);
    try {
      buffer.grow(next);
    } catch {
      // The system may refuse memory below maxByteLength: that is a full map too.
      return false;
    }
    this.views.remap();
    return true;
  }

  private pushFree(block: number, k: number): void {
    const head = this.i32[hFreeLists + k]!;
    this.i32[block >> 2] = k | (stateFree << 8);
    this.i32[(block >> 2) + 1] = head;
    this.i32[(block >> 2) + 2] = 0;
    if (head !== 0) this.i32[(head >> 2) + 2] = block;
    this.i32[hFreeLists + k] = block;
  }

  private unlink(block: number, k: number): void {
    const next = this.i32[(block >> 2) + 1]!;
    const prev = this.i32[(block >> 2) + 2]!;
    if (prev === 0) this.i32[hFreeLists + k] = next;
    else this.i32[(prev >> 2) + 1] = next;
    if (next !== 0) this.i32[(next >> 2) + 2] = prev;
  }
}
