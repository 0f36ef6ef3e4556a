/**
 * SharedGoMap: a GoMap whose table lives in a SharedArrayBuffer (store.ts), so that several
 * worker threads use one map, unguarded as a Go map is: two threads writing at once get Go's
 * "concurrent map writes", a read that overlaps another thread's write gets "concurrent map read
 * and map write", a loop that overlaps one gets "concurrent map iteration and map write".
 */
import { ConcurrentMapError } from '../errors.js';
import { checkHandle, makeHandle, sharedOptions, type SharedMapHandle } from './handle.js';
import { SharedStore, type SharedKey, type SharedMapOptions, type SharedStoreStats } from './store.js';

const kind = 'GoMap.shared';

/**
 * A Map whose entries live in shared memory in Go 1.19's map layout; made by `GoMap.shared(options)`
 * and opened in another thread by `GoMap.attach(map.handle)`. Keys are numbers, strings and
 * bigints; values are primitives or structured-clone-able objects (stored serialized: `get` returns
 * a copy). See docs/runtime.md, "Shared memory (worker_threads)".
 */
export class SharedGoMap<K extends SharedKey = SharedKey, V = unknown> implements Map<K, V> {
  /** The plain object to post to another thread (postMessage, workerData) and attach there. */
  readonly handle: SharedMapHandle;
  readonly #store: SharedStore<K, V>;

  private constructor(store: SharedStore<K, V>) {
    this.#store = store;
    this.handle = makeHandle('GoMap', store.name, [store.buffer]);
  }

  /** `GoMap.shared(options)`: a new, empty map in a new SharedArrayBuffer. */
  static create<K extends SharedKey = SharedKey, V = unknown>(options?: SharedMapOptions): SharedGoMap<K, V> {
    return new SharedGoMap(SharedStore.create<K, V>(sharedOptions(kind, options), kind));
  }

  /** `GoMap.attach(handle)`: the map of `handle`, opened in this thread (same memory). */
  static attach<K extends SharedKey = SharedKey, V = unknown>(handle: SharedMapHandle): SharedGoMap<K, V> {
    const checked = checkHandle('GoMap.attach', 'GoMap', handle);
    return new SharedGoMap(SharedStore.attach<K, V>(checked.buffers[0]!, { name: checked.name, kind, caller: 'GoMap.attach' }));
  }

  get [Symbol.toStringTag](): string {
    return 'SharedGoMap';
  }

  /** The map's name, if it was given one. */
  get name(): string | undefined {
    return this.#store.name;
  }

  /** Number of entries (read atomically; other threads may change it at any time). */
  get size(): number {
    return this.#store.size;
  }

  /** The value stored for key (a copy, for objects), or undefined. */
  get(key: K): V | undefined {
    return this.#store.get(key);
  }

  has(key: K): boolean {
    return this.#store.has(key);
  }

  /** Stores value for key; throws MapFullError, with the map unchanged, when the buffer cannot grow enough. */
  set(key: K, value: V): this {
    this.#store.set(key, value);
    return this;
  }

  delete(key: K): boolean {
    return this.#store.delete(key);
  }

  clear(): void {
    this.#store.clear();
  }

  /** Calls fn for each entry, in Go's iteration order (from a random start). */
  forEach(fn: (value: V, key: K, map: Map<K, V>) => void, thisArg?: unknown): void {
    if (typeof fn !== 'function') throw new TypeError(`SharedGoMap.forEach: ${String(fn)} is not a function`);
    this.#store.forEach((value, key) => fn.call(thisArg, value, key, this));
  }

  entries(): MapIterator<[K, V]> {
    return this.#store.entries();
  }

  keys(): MapIterator<K> {
    return this.#store.keys();
  }

  values(): MapIterator<V> {
    return this.#store.values();
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.#store.entries();
  }

  /** Sizes, load and memory of the table. */
  stats(): SharedStoreStats {
    return this.#store.stats();
  }

  /** Checks the layout (counts, tophash/key agreement, chains, evacuation marks, heap); throws an Error naming what is broken. */
  checkInvariants(): void {
    this.#store.checkInvariants();
  }

  /** JSON.stringify gives `{}`, as for a native Map. */
  toJSON(): Record<string, never> {
    return {};
  }

  /**
   * Node's util.inspect: shown like a native Map, named SharedGoMap (not as its handle and the
   * bytes of its buffer). A write by another thread while it reads shows the size alone.
   */
  [Symbol.for('nodejs.util.inspect.custom')](
    depth: number,
    options: { stylize?: (text: string, style: string) => string },
    inspect: (value: unknown, options: object) => string,
  ): string {
    if (depth < 0) return options.stylize?.('[SharedGoMap]', 'special') ?? '[SharedGoMap]';
    let entries: Map<K, V>;
    try {
      entries = new Map(this.#store.entries());
    } catch (error) {
      if (!(error instanceof ConcurrentMapError)) throw error;
      return `SharedGoMap(${this.size}) <being written by another thread>`;
    }
    return inspect(entries, { ...options, depth }).replace(/^Map/u, 'SharedGoMap');
  }
}
