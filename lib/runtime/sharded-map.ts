/**
 * ShardedMap: SafeMap's guarantees over N independent shards, each with its own store and locks
 * (lock striping, as orcaman/concurrent-map does for Go with 32 shards, each under an RWMutex).
 * A key's shard is chosen by a seeded hash, so keys spread evenly whatever their shape.
 */
import { hashKey, randomSeed } from './hash.js';
import { describeValue } from './locks.js';
import { constructorArguments, GuardedMap, type SafeMapOptions } from './safe-map.js';
import type { SharedMapHandle } from './shared/handle.js';
import { SharedShardedMap, type SharedShardedMapOptions } from './shared/safe-map-shared.js';
import type { SharedKey } from './shared/store.js';

/** Options of `new ShardedMap(...)`. */
export interface ShardedMapOptions extends SafeMapOptions {
  /** Number of shards: a power of two, default 32. */
  shards?: number;
}

/** One shard's numbers, for tuning the shard count. */
export interface ShardStats {
  shard: number;
  size: number;
  /** Keys a section holds right now. */
  lockedKeys: number;
  /** Lock requests waiting in this shard. */
  waiting: number;
}

const defaultShards = 32;
const shardedMapOptionKeys = ['store', 'name', 'race', 'shards'] as const;

/** The `shards` option, checked: undefined means the default; anything but a number is a TypeError. */
function shardCount(shards: unknown): number {
  if (shards === undefined) return defaultShards;
  if (typeof shards !== 'number') {
    throw new TypeError(`ShardedMap: option 'shards' must be a number (a power of two from 1 to 65536), got ${describeValue(shards)}`);
  }
  if (!Number.isInteger(shards) || shards < 1 || shards > 2 ** 16 || (shards & (shards - 1)) !== 0) {
    throw new RangeError(`ShardedMap: option 'shards' must be a power of two from 1 to 65536, got ${String(shards)}`);
  }
  return shards;
}

/**
 * A SafeMap split into shards. Per-key operations touch one shard. Whole-map operations are
 * defined per shard: `size` sums the shards, iteration walks one shard at a time (entries of a
 * shard written after the walk left it are not seen, as with orcaman's IterCb), `clear()` clears
 * every shard, and `withLock(null)` locks every shard, in shard order.
 */
export class ShardedMap<K, V> extends GuardedMap<K, V> {
  private readonly mask: number;
  private readonly seedLo = randomSeed();
  private readonly seedHi = randomSeed();

  /**
   * A ShardedMap in shared memory, for several worker_threads: N stores (Go's layout in growable
   * SharedArrayBuffers), each under its own reader/writer lock across threads. Post `map.handle`
   * to a worker and open it there with `ShardedMap.attach(handle)`. See docs/runtime.md, "Shared
   * memory (worker_threads)".
   */
  static shared<K extends SharedKey = SharedKey, V = unknown>(options?: SharedShardedMapOptions): SharedShardedMap<K, V> {
    return SharedShardedMap.create<K, V>(options);
  }

  /** The ShardedMap.shared of `handle` (its `map.handle`, posted from another thread), in this thread: same memory. */
  static attach<K extends SharedKey = SharedKey, V = unknown>(handle: SharedMapHandle): SharedShardedMap<K, V> {
    return SharedShardedMap.attach<K, V>(handle);
  }

  constructor(options?: ShardedMapOptions);
  constructor(entries?: Iterable<readonly [K, V]> | null, options?: ShardedMapOptions);
  constructor(entriesOrOptions?: Iterable<readonly [K, V]> | ShardedMapOptions | null, maybeOptions?: ShardedMapOptions) {
    const { entries, options } = constructorArguments<ShardedMapOptions>('ShardedMap', entriesOrOptions, maybeOptions, shardedMapOptionKeys);
    const shards = shardCount(options.shards);
    super('ShardedMap', shards, options);
    this.mask = shards - 1;
    this.load('ShardedMap', entries);
  }

  protected shardIndex(key: K): number {
    return hashKey(key, this.seedLo, this.seedHi) & this.mask;
  }

  /** The shard key lives in (stable for the map's life). */
  shardOf(key: K): number {
    return this.shardIndex(key);
  }

  /** Size, locked keys and waiting requests of every shard. */
  shardStats(): ShardStats[] {
    return this.shards.map((shard, index) => ({ shard: index, size: shard.store.size, ...shard.locks.stats() }));
  }

  get [Symbol.toStringTag](): string {
    return 'ShardedMap';
  }
}
