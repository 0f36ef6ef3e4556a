/**
 * The structural invariants of a Go 1.19 map, checked over GoMap's `debug()` dump. Shared by the
 * ports of Go's map tests and by the differential fuzz tests, so that every operation sequence they
 * run is also a check of the layout, not only of the contents.
 *
 * Where each invariant comes from (runtime/map.go and runtime/export_test.go):
 * - tombstones (MapTombstoneCheck): in a bucket chain read as one sequence of cells, the cells are
 *   live or emptyOne up to some point and emptyRest from there on, and the last cell before the
 *   emptyRest run is not emptyOne. mapassign fills the first empty cell it meets, so it never leaves
 *   a hole before an emptyRest; mapdelete turns a trailing run of emptyOne cells into emptyRest,
 *   walking back across overflow buckets; evacuate fills destination cells from the front.
 * - evacuation marks: "each bucket (including its overflow buckets, if any) will have either all or
 *   none of its entries in the evacuated* states"; the new array never holds them.
 * - advanceEvacuationMark: every old bucket below nevacuate has been evacuated.
 * - hashGrow/newoverflow: below B = 16, noverflow counts exactly the overflow buckets chained into
 *   the current array since it was made (incrnoverflow is exact there).
 * - placement: a live key sits in bucket hash & (2^B - 1) (old bucket: hash & (2^oldB - 1)) with
 *   tophash = the hash's top byte, moved clear of the five marks (checked when the hash is known).
 */
import type { GoMap } from '../../lib/runtime/go-map.js';

const emptyRest = 0;
const emptyOne = 1;
const minTopHash = 5;
const hashWriting = 4;
const sameSizeGrow = 8;
const bucketCnt = 8;

type Chain<K> = NonNullable<ReturnType<GoMap<K, unknown>['debug']>['buckets']>[number];

/** Go's tophash(): the top byte of a 64-bit hash, bumped past the reserved marks. */
export function tophashOf(hash: bigint): number {
  const top = Number(BigInt.asUintN(64, hash) >> 56n);
  return top < minTopHash ? top + minTopHash : top;
}

const isEvacuatedMark = (top: number): boolean => top > emptyOne && top < minTopHash;

/** Go's MapTombstoneCheck for one chain; returns a complaint or null. */
export function tombstoneViolation(tophashes: readonly number[]): string | null {
  const n = tophashes.filter((top) => top !== emptyRest).length;
  for (let k = 0; k < tophashes.length; k++) {
    const top = tophashes[k]!;
    if (k < n && top === emptyRest) return `early emptyRest at cell ${k}`;
    if (k >= n && top !== emptyRest) return `late non-emptyRest (${top}) at cell ${k}`;
    if (k === n - 1 && top === emptyOne) return `last non-emptyRest cell ${k} is emptyOne`;
  }
  return null;
}

interface ChainCheck<K> {
  where: string;
  index: number;
  /** log2 of the number of buckets in the array the chain belongs to. */
  bucketBits: number;
  hasher: ((key: K) => bigint) | undefined;
  liveKeys: Set<K>;
  fail: (message: string) => never;
}

/** Checks a chain that is not evacuated: tombstones, key presence, placement, uniqueness. */
function checkLiveChain<K>(chain: Chain<K>, check: ChainCheck<K>): number {
  const { where, index, fail } = check;
  const tophashes = chain.flatMap((cell) => cell.tophash);
  const tombstone = tombstoneViolation(tophashes);
  if (tombstone !== null) fail(`${where}[${index}]: ${tombstone} (tophash ${JSON.stringify(tophashes)})`);
  let live = 0;
  chain.forEach((cell, depth) => {
    if (cell.tophash.length !== bucketCnt || cell.keys.length !== bucketCnt) {
      fail(`${where}[${index}] bucket ${depth}: a bucket has ${bucketCnt} cells`);
    }
    for (let i = 0; i < bucketCnt; i++) {
      const top = cell.tophash[i]!;
      const key = cell.keys[i] as K;
      const at = `${where}[${index}] bucket ${depth} cell ${i}`;
      if (isEvacuatedMark(top)) fail(`${at}: evacuation mark ${top} in a chain that is not evacuated`);
      if (top < minTopHash) {
        if (key !== null) fail(`${at}: empty cell (tophash ${top}) shows a key`);
        continue;
      }
      live++;
      if (check.liveKeys.has(key)) fail(`${at}: key ${String(key)} is stored twice`);
      check.liveKeys.add(key);
      if (check.hasher !== undefined) {
        const hash = BigInt.asUintN(64, check.hasher(key));
        const bucket = Number(hash & BigInt(2 ** check.bucketBits - 1));
        if (bucket !== index) fail(`${at}: key ${String(key)} belongs in bucket ${bucket}`);
        if (top !== tophashOf(hash)) fail(`${at}: key ${String(key)} has tophash ${top}, want ${tophashOf(hash)}`);
      }
    }
  });
  return live;
}

/**
 * Throws an Error naming the first broken invariant of the map's layout. Pass the map's `hasher`
 * (when it has one) to also check where each key sits and its tophash.
 */
export function checkGoMapInvariants<K>(map: GoMap<K, unknown>, hasher?: (key: K) => bigint): void {
  const state = map.debug();
  const fail = (message: string): never => {
    throw new Error(`GoMap invariant broken: ${message} (count ${state.count}, B ${state.B}, flags ${state.flags}, nevacuate ${state.nevacuate})`);
  };
  const { B, flags } = state;
  if (state.count !== map.size) fail(`debug().count ${state.count} != size ${map.size}`);
  if ((flags & hashWriting) !== 0) fail('hashWriting is set between operations');
  if (state.growing !== (state.oldbuckets !== null)) fail('growing disagrees with oldbuckets');
  if ((flags & sameSizeGrow) !== 0 && !state.growing) fail('sameSizeGrow is set but the map is not growing');

  const liveKeys = new Set<K>();
  let live = 0;
  let overflow = 0;
  if (state.buckets === null) {
    if (state.count !== 0 || B !== 0) fail('buckets are unallocated but the map is not an empty B=0 map');
  } else {
    if (state.buckets.length !== 2 ** B) fail(`${state.buckets.length} bucket chains for B=${B}`);
    state.buckets.forEach((chain, index) => {
      overflow += chain.length - 1;
      live += checkLiveChain(chain, { where: 'buckets', index, bucketBits: B, hasher, liveKeys, fail });
    });
    if (B < 16 && state.noverflow !== overflow) fail(`noverflow ${state.noverflow} but ${overflow} overflow buckets are chained`);
  }

  let oldOverflow = 0;
  if (state.oldbuckets !== null) {
    const oldB = (flags & sameSizeGrow) !== 0 ? B : B - 1;
    if (state.oldbuckets.length !== 2 ** oldB) fail(`${state.oldbuckets.length} old chains, want 2^${oldB}`);
    if (state.nevacuate >= state.oldbuckets.length) fail(`nevacuate ${state.nevacuate} but the grow is not finished`);
    state.oldbuckets.forEach((chain, index) => {
      oldOverflow += chain.length - 1;
      const tophashes = chain.flatMap((cell) => cell.tophash);
      const evacuated = tophashes.filter(isEvacuatedMark).length;
      if (evacuated === tophashes.length) {
        if (chain.some((cell) => cell.keys.some((key) => key !== null))) fail(`oldbuckets[${index}]: evacuated but shows keys`);
        return;
      }
      if (evacuated !== 0) fail(`oldbuckets[${index}]: ${evacuated} of ${tophashes.length} cells evacuated`);
      if (index < state.nevacuate) fail(`oldbuckets[${index}] is below nevacuate but not evacuated`);
      live += checkLiveChain(chain, { where: 'oldbuckets', index, bucketBits: oldB, hasher, liveKeys, fail });
    });
  }
  if (live !== state.count) fail(`${live} live cells for count ${state.count}`);

  const stats = map.stats();
  if (stats.count !== state.count || stats.B !== B || stats.buckets !== 2 ** B) fail(`stats() header ${JSON.stringify(stats)}`);
  if (stats.growing !== state.growing || stats.nevacuate !== state.nevacuate) fail('stats() disagrees with debug() on the grow');
  if (stats.overflowBuckets !== overflow + oldOverflow) fail(`stats().overflowBuckets ${stats.overflowBuckets}, chains hold ${overflow + oldOverflow}`);
  const chainLengths: number[] = [];
  for (const chain of state.buckets ?? []) chainLengths[chain.length] = (chainLengths[chain.length] ?? 0) + 1;
  for (let n = 0; n < chainLengths.length; n++) chainLengths[n] ??= 0;
  if (JSON.stringify(stats.chainLengths) !== JSON.stringify(chainLengths)) {
    fail(`stats().chainLengths ${JSON.stringify(stats.chainLengths)}, chains say ${JSON.stringify(chainLengths)}`);
  }
}
