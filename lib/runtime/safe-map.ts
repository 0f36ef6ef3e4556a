/**
 * SafeMap: a Map whose compound operations stay atomic across `await`.
 *
 * Go answers concurrent map use with sync.RWMutex around a map, sync.Map, or sharded maps with a
 * lock per shard. JavaScript runs one thing at a time, so every single Map operation is already
 * atomic; what breaks is a read, an `await`, then a write that relies on the read, while another
 * task writes the same key in between. SafeMap serializes such sections per key:
 *
 * - `getOrCompute` (single flight), `update` (read-modify-write), `withLock` / `withReadLock` and
 *   the `lock()` / `readLock()` handles take per-key reader/writer locks (see locks.ts), FIFO and
 *   deadlock-free; other keys proceed.
 * - Plain synchronous `get`/`has`/iteration read committed values and never wait. A plain `set` or
 *   `delete` of a key that a section holds would be overwritten when the section commits, so it
 *   throws Go's "concurrent map writes" instead of being lost; the section writes through its view.
 * - A section that asks the same map for another lock would wait for itself; SafeMap knows the
 *   sections of the current async context (AsyncLocalStorage) and refuses with ERR_LOCK_REENTRY.
 *
 * ShardedMap is the same machinery over N stores and lock tables (GuardedMap below is shared).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { ConcurrentMapError, SafeMapError } from './errors.js';
import { GoMap } from './go-map.js';
import { acquireSections, checkLockOptions, compareKeys, LockTable, WaitBound, type LockOptions, type Section, type TableScope } from './locks.js';

export type { LockOptions } from './locks.js';

/** Options of `new SafeMap(...)`. */
export interface SafeMapOptions {
  /** The map that holds the entries: a native `Map` (default) or a `GoMap`. */
  store?: 'map' | 'go';
  /** A name for the map in error reports. */
  name?: string;
}

/** What a section locks: one key, several keys (in any order), or `null` for the whole map. */
export type LockScope<K> = K | readonly K[] | null;

/** The reads a section may make: only of its keys, or of any key for a whole-map section. */
export interface SafeMapReadView<K, V> {
  get(key: K): V | undefined;
  has(key: K): boolean;
  /** Whole-map sections only. */
  readonly size: number;
  /** Whole-map sections only. */
  entries(): IterableIterator<[K, V]>;
  keys(): IterableIterator<K>;
  values(): IterableIterator<V>;
  [Symbol.iterator](): IterableIterator<[K, V]>;
  forEach(fn: (value: V, key: K) => void): void;
}

/** A writer section's handle on the map: reads and writes of the locked keys. */
export interface SafeMapView<K, V> extends SafeMapReadView<K, V> {
  set(key: K, value: V): this;
  delete(key: K): boolean;
  /** Whole-map sections only. */
  clear(): void;
}

/** A held lock, for `await using lock = await map.lock(key)`; release() is idempotent. */
export interface LockHandle<View> {
  readonly view: View;
  /** Commits the view's writes and releases the lock (idempotent). */
  release(): void;
  /** Drops the view's writes and releases the lock. */
  discard(): void;
  [Symbol.dispose](): void;
  [Symbol.asyncDispose](): Promise<void>;
}

// The sections held by the current async context, across every SafeMap and ShardedMap.
const heldSections = new AsyncLocalStorage<readonly Section<unknown>[]>();

const storeOptionValues = new Set(['map', 'go']);
const isOptionsObject = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && !(Symbol.iterator in value);

function sameValueZero(a: unknown, b: unknown): boolean {
  return a === b || (a !== a && b !== b);
}

/** One store and the locks that guard it. */
interface Shard<K, V> {
  store: Map<K, V>;
  locks: LockTable<K>;
}

/** The locks a section holds, across one or more shards. */
class Held<K> {
  constructor(
    readonly sections: Section<K>[],
    /** The keys in scope: one key, a set of them, or null for the whole map. */
    private readonly scope: { one: K } | ReadonlySet<K> | null,
  ) {}

  get whole(): boolean {
    return this.scope === null;
  }

  covers(key: K): boolean {
    const scope = this.scope;
    if (scope === null) return true;
    return scope instanceof Set ? scope.has(key) : sameValueZero((scope as { one: K }).one, key);
  }

  get released(): boolean {
    return this.sections[0]!.released;
  }

  release(): void {
    for (let i = this.sections.length - 1; i >= 0; i--) this.sections[i]!.release();
  }
}

/**
 * The machinery SafeMap and ShardedMap share: Map methods over the shards, sections, views and
 * the compound operations. Subclasses say how many shards there are and which one a key uses.
 */
export abstract class GuardedMap<K, V> implements Map<K, V> {
  protected readonly shards: Shard<K, V>[];
  protected readonly mapName: string;
  private readonly inflight = new Map<K, Promise<V>>();

  protected constructor(kind: string, shardCount: number, options: SafeMapOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError(`${kind}: options must be an object`);
    for (const key of Object.keys(options)) {
      if (key !== 'store' && key !== 'name' && !(kind === 'ShardedMap' && key === 'shards')) {
        throw new TypeError(`${kind}: unknown option '${key}'`);
      }
    }
    if (options.store !== undefined && !storeOptionValues.has(options.store)) {
      throw new TypeError(`${kind}: option 'store' must be 'map' or 'go', got ${String(options.store)}`);
    }
    if (options.name !== undefined && typeof options.name !== 'string') {
      throw new TypeError(`${kind}: option 'name' must be a string`);
    }
    this.mapName = options.name === undefined ? kind : `${kind} '${options.name}'`;
    this.shards = Array.from({ length: shardCount }, () => ({
      store: options.store === 'go' ? new GoMap<K, V>(options.name === undefined ? {} : { name: options.name }) : new Map<K, V>(),
      locks: new LockTable<K>(),
    }));
  }

  /** The shard a key lives in. */
  protected abstract shardIndex(key: K): number;

  private shardOfKey(key: K): Shard<K, V> {
    return this.shards[this.shardIndex(key)]!;
  }

  abstract get [Symbol.toStringTag](): string;

  // ---- Map<K, V> -------------------------------------------------------------------------------

  get size(): number {
    let size = 0;
    for (const shard of this.shards) size += shard.store.size;
    return size;
  }

  get(key: K): V | undefined {
    return this.shardOfKey(key).store.get(key);
  }

  has(key: K): boolean {
    return this.shardOfKey(key).store.has(key);
  }

  /** Stores value for key; throws "concurrent map writes" when a section holds the key. */
  set(key: K, value: V): this {
    const shard = this.shardOfKey(key);
    if (shard.locks.isBusy(key)) this.concurrentWrite(key);
    shard.store.set(key, value);
    return this;
  }

  /** Removes key; throws "concurrent map writes" when a section holds the key. */
  delete(key: K): boolean {
    const shard = this.shardOfKey(key);
    if (shard.locks.isBusy(key)) this.concurrentWrite(key);
    return shard.store.delete(key);
  }

  /** Removes every entry; throws "concurrent map writes" while any section is active. */
  clear(): void {
    if (this.shards.some((shard) => shard.locks.active > 0)) this.concurrentWrite(undefined);
    for (const shard of this.shards) shard.store.clear();
  }

  forEach(fn: (value: V, key: K, map: Map<K, V>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.entries()) fn.call(thisArg, value, key, this);
  }

  entries(): MapIterator<[K, V]> {
    return this.walk((shard) => shard.store.entries());
  }

  keys(): MapIterator<K> {
    return this.walk((shard) => shard.store.keys());
  }

  values(): MapIterator<V> {
    return this.walk((shard) => shard.store.values());
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  /** Walks the shards one at a time, each with its store's own iterator. */
  private walk<T>(iterate: (shard: Shard<K, V>) => Iterator<T>): MapIterator<T> {
    if (this.shards.length === 1) return iterate(this.shards[0]!) as MapIterator<T>;
    const shards = this.shards;
    function* all(): Generator<T, undefined> {
      for (const shard of shards) {
        const it = iterate(shard);
        for (let step = it.next(); step.done !== true; step = it.next()) yield step.value;
      }
      return undefined;
    }
    return all() as unknown as MapIterator<T>;
  }

  /** A consistent copy of the committed entries, to iterate while others write. */
  snapshot(): Map<K, V> {
    return new Map(this.entries());
  }

  private concurrentWrite(key: unknown): never {
    throw new ConcurrentMapError('ERR_CONCURRENT_MAP_WRITES', { mapName: this.mapName, key });
  }

  // ---- sections --------------------------------------------------------------------------------

  /** Refuses a lock asked for from inside a section of this map, which would wait for itself. */
  private refuseReentry(what: string): void {
    const held = heldSections.getStore();
    if (held === undefined) return;
    for (const section of held) {
      if (!section.released && this.shards.some((shard) => shard.locks === section.table)) {
        throw new SafeMapError(
          'ERR_LOCK_REENTRY',
          `${this.mapName}.${what}: called inside a section that already holds a lock of this map; ` +
            'read and write through the section\'s view, or lock every key you need in one scope',
        );
      }
    }
  }

  /** The tables and keys a scope locks, in lock order: shards ascending, keys by compareKeys. */
  private plan(scope: LockScope<K>, what: string): { tables: TableScope<K>[]; covered: { one: K } | Set<K> | null } {
    if (scope === null) return { tables: this.shards.map((shard) => ({ table: shard.locks, keys: null })), covered: null };
    if (!Array.isArray(scope)) {
      const key = scope as K;
      return { tables: [{ table: this.shardOfKey(key).locks, keys: [key] }], covered: { one: key } };
    }
    const keys = new Set<K>(scope as readonly K[]);
    if (keys.size === 0) throw new TypeError(`${this.mapName}.${what}: the scope names no key (use null for the whole map)`);
    const byShard = new Map<number, K[]>();
    for (const key of keys) {
      const index = this.shardIndex(key);
      let group = byShard.get(index);
      if (group === undefined) byShard.set(index, (group = []));
      group.push(key);
    }
    const tables = [...byShard]
      .sort((x, y) => x[0] - y[0])
      .map(([index, group]) => ({ table: this.shards[index]!.locks, keys: group.sort(compareKeys) }));
    return { tables, covered: keys };
  }

  /**
   * Takes the scope's locks, first come first served: synchronously when they are free (the
   * Held comes back at once), else a promise that waits within the options' signal and timeout.
   */
  private enter(scope: LockScope<K>, write: boolean, what: string, options: LockOptions | undefined): Held<K> | Promise<Held<K>> {
    if (options !== undefined) checkLockOptions(`${this.mapName}.${what}`, options);
    this.refuseReentry(what);
    if (options?.signal?.aborted === true) {
      throw new SafeMapError('ERR_LOCK_ABORTED', `${this.mapName}.${what}: aborted before waiting for the lock`, {
        cause: options.signal.reason,
      });
    }
    const bounded = options !== undefined && (options.signal !== undefined || options.timeout !== undefined);
    const bound = bounded ? new WaitBound(`${this.mapName}.${what}`, options.signal, options.timeout) : undefined;
    if (scope !== null && !Array.isArray(scope)) {
      const key = scope as K;
      const table = this.shardOfKey(key).locks;
      const section = table.tryKey(key, write);
      if (section !== undefined) {
        bound?.dispose();
        return new Held([section], { one: key });
      }
      return table.acquireKey(key, write, bound, (sections) => new Held(sections, { one: key }));
    }
    const { tables, covered } = this.plan(scope, what);
    return acquireSections(tables, write, bound, (sections) => new Held(sections, covered));
  }

  /** Runs fn as the body of a section: the current async context holds `held` while it runs. */
  private runInSection<R>(held: Held<K>, fn: () => R): R {
    const outer = heldSections.getStore();
    return heldSections.run(outer === undefined ? held.sections : [...outer, ...held.sections], fn);
  }

  private view(held: Held<K>, write: boolean): SectionView<K, V> {
    return new SectionView(this.mapName, held, write, (key) => this.shardOfKey(key).store, () => this.shards.map((s) => s.store));
  }

  // ---- compound operations ---------------------------------------------------------------------

  /**
   * Returns the value for key; when absent, runs `fn` once however many callers ask at the same
   * time, stores its result and returns it to all. A rejection is not stored; it reaches every
   * waiter, and the next call runs `fn` again. A caller's signal and timeout bound that caller's
   * wait only: the computation, once started, goes on for the others and fills the map.
   */
  async getOrCompute(key: K, fn: (key: K) => V | Promise<V>, options?: LockOptions): Promise<V> {
    if (typeof fn !== 'function') throw new TypeError(`${this.mapName}.getOrCompute: fn must be a function`);
    const store = this.shardOfKey(key).store;
    const present = store.get(key);
    if (present !== undefined || store.has(key)) return present as V;
    if (options !== undefined) checkLockOptions(`${this.mapName}.getOrCompute`, options);
    this.refuseReentry('getOrCompute');
    if (options?.signal?.aborted === true) {
      throw new SafeMapError('ERR_LOCK_ABORTED', `${this.mapName}.getOrCompute: aborted before waiting for the lock`, {
        cause: options.signal.reason,
      });
    }
    let flight = this.inflight.get(key);
    if (flight === undefined) {
      const started = this.compute(key, fn);
      flight = started;
      this.inflight.set(key, started);
      const settled = (): void => {
        if (this.inflight.get(key) === started) this.inflight.delete(key);
      };
      started.then(settled, settled);
    }
    if (options === undefined || (options.signal === undefined && options.timeout === undefined)) return flight;
    return waitWithin(flight, new WaitBound(`${this.mapName}.getOrCompute`, options.signal, options.timeout));
  }

  private async compute(key: K, fn: (key: K) => V | Promise<V>): Promise<V> {
    const entered = this.enter(key, true, 'getOrCompute', undefined);
    const held = entered instanceof Promise ? await entered : entered;
    try {
      const store = this.shardOfKey(key).store;
      if (store.has(key)) return store.get(key) as V; // filled by a section while we waited
      const value = await this.runInSection(held, () => fn(key));
      store.set(key, value);
      return value;
    } finally {
      held.release();
    }
  }

  /**
   * Read-modify-write of one key under its lock: `fn` gets the current value (undefined when
   * absent) and returns the new one; returning undefined deletes the key. Resolves to the new value.
   * When fn throws, nothing is written.
   */
  async update(
    key: K,
    fn: (old: V | undefined) => V | undefined | Promise<V | undefined>,
    options?: LockOptions,
  ): Promise<V | undefined> {
    if (typeof fn !== 'function') throw new TypeError(`${this.mapName}.update: fn must be a function`);
    const entered = this.enter(key, true, 'update', options);
    const held = entered instanceof Promise ? await entered : entered;
    try {
      const store = this.shardOfKey(key).store;
      const next = await this.runInSection(held, () => fn(store.get(key)));
      if (next === undefined) store.delete(key);
      else store.set(key, next);
      return next;
    } finally {
      held.release();
    }
  }

  /**
   * Runs fn as a critical section over one key, several keys (taken in a fixed order, so never
   * deadlocking) or the whole map (`null`). Reads and writes go through `view`; the writes are
   * the section's own until it ends, then they are committed together (plain reads never see half
   * a section). When fn throws or rejects, none of its writes are committed.
   */
  async withLock<R>(scope: LockScope<K>, fn: (view: SafeMapView<K, V>) => R | Promise<R>, options?: LockOptions): Promise<R> {
    if (typeof fn !== 'function') throw new TypeError(`${this.mapName}.withLock: fn must be a function`);
    const entered = this.enter(scope, true, 'withLock', options);
    const held = entered instanceof Promise ? await entered : entered;
    const view = this.view(held, true);
    try {
      const result = await this.runInSection(held, () => fn(view));
      view.commit();
      return result;
    } finally {
      held.release();
    }
  }

  /** Like withLock for readers: readers of a key run together, writers wait until they finish. */
  async withReadLock<R>(scope: LockScope<K>, fn: (view: SafeMapReadView<K, V>) => R | Promise<R>, options?: LockOptions): Promise<R> {
    if (typeof fn !== 'function') throw new TypeError(`${this.mapName}.withReadLock: fn must be a function`);
    const entered = this.enter(scope, false, 'withReadLock', options);
    const held = entered instanceof Promise ? await entered : entered;
    try {
      return await this.runInSection(held, () => fn(this.view(held, false)));
    } finally {
      held.release();
    }
  }

  /**
   * A writer lock as a handle: `await using lock = await map.lock(key)` commits the view's writes
   * and releases the lock at the end of the block, thrown or not (a disposer cannot tell; call
   * `lock.discard()` in a catch to drop them). The map cannot tell which task holds a handle, so a
   * lock asked for again by the same task waits (bound it with `timeout`); sections with
   * callbacks are refused.
   */
  async lock(scope: LockScope<K>, options?: LockOptions): Promise<LockHandle<SafeMapView<K, V>>> {
    const held = await this.enter(scope, true, 'lock', options);
    return handleOf(held, this.view(held, true));
  }

  /** A reader lock as a handle (see lock()). */
  async readLock(scope: LockScope<K>, options?: LockOptions): Promise<LockHandle<SafeMapReadView<K, V>>> {
    const held = await this.enter(scope, false, 'readLock', options);
    return handleOf(held, this.view(held, false));
  }

  /**
   * Sets key to `next` if its value is `expected` (SameValueZero; undefined means absent), under
   * the key's lock; `next` undefined deletes. Resolves to whether it did (sync.Map's CompareAndSwap).
   */
  async compareAndSet(key: K, expected: V | undefined, next: V | undefined, options?: LockOptions): Promise<boolean> {
    const held = await this.enter(key, true, 'compareAndSet', options);
    try {
      const store = this.shardOfKey(key).store;
      const matches = expected === undefined ? !store.has(key) : store.has(key) && sameValueZero(store.get(key), expected);
      if (!matches) return false;
      if (next === undefined) store.delete(key);
      else store.set(key, next);
      return true;
    } finally {
      held.release();
    }
  }

  /** Removes key under its lock and resolves to the value it had (sync.Map's LoadAndDelete). */
  async getAndDelete(key: K, options?: LockOptions): Promise<V | undefined> {
    const held = await this.enter(key, true, 'getAndDelete', options);
    try {
      const store = this.shardOfKey(key).store;
      const value = store.get(key);
      store.delete(key);
      return value;
    } finally {
      held.release();
    }
  }

  /** Node's util.inspect: shown like a native Map under its own name. */
  [Symbol.for('nodejs.util.inspect.custom')](
    _depth: number,
    options: object,
    inspect: (value: unknown, options: object) => string,
  ): string {
    return inspect(new Map(this.entries()), options).replace(/^Map/u, this[Symbol.toStringTag]);
  }
}

function handleOf<K, V, View>(held: Held<K>, view: SectionView<K, V>): LockHandle<View> {
  const release = (): void => {
    if (held.released) return;
    view.commit();
    held.release();
  };
  return {
    view: view as unknown as View,
    release,
    discard: () => {
      view.discard();
      held.release();
    },
    [Symbol.dispose]: release,
    [Symbol.asyncDispose]: async () => release(),
  };
}

/** Waits for a promise unless the bound ends first. */
function waitWithin<T>(promise: Promise<T>, bound: WaitBound): Promise<T> {
  bound.check();
  return new Promise<T>((resolve, reject) => {
    const stop = bound.onEnd(reject);
    promise.then(
      (value) => {
        stop();
        bound.dispose();
        resolve(value);
      },
      (error: unknown) => {
        stop();
        bound.dispose();
        reject(error);
      },
    );
  });
}

const DELETED: unique symbol = Symbol('deleted');

/**
 * The view a section reads and writes through: its keys only, and only while it holds them. A
 * writer's view keeps its writes to itself (and reads them back) until commit() applies them.
 */
class SectionView<K, V> implements SafeMapView<K, V> {
  private readonly pending = new Map<K, V | typeof DELETED>();
  private cleared = false;

  constructor(
    private readonly mapName: string,
    private readonly held: Held<K>,
    private readonly writable: boolean,
    private readonly storeOf: (key: K) => Map<K, V>,
    private readonly allStores: () => Map<K, V>[],
  ) {}

  get [Symbol.toStringTag](): string {
    return 'SafeMapView';
  }

  /** Applies the section's writes to the map, all in one synchronous step. */
  commit(): void {
    if (this.cleared) for (const store of this.allStores()) store.clear();
    for (const [key, value] of this.pending) {
      if (value === DELETED) this.storeOf(key).delete(key);
      else this.storeOf(key).set(key, value);
    }
    this.discard();
  }

  discard(): void {
    this.pending.clear();
    this.cleared = false;
  }

  private check(key: K): void {
    this.checkHeld();
    if (!this.held.covers(key)) {
      throw new SafeMapError('ERR_KEY_NOT_LOCKED', `${this.mapName}: key ${describeKey(key)} is not locked by this section`);
    }
  }

  private checkHeld(): void {
    if (this.held.released) {
      throw new SafeMapError('ERR_LOCK_RELEASED', `${this.mapName}: the view is used after its section ended`);
    }
  }

  private wholeMap(what: string): Map<K, V>[] {
    this.checkHeld();
    if (!this.held.whole) {
      throw new SafeMapError('ERR_KEY_NOT_LOCKED', `${this.mapName}: ${what} needs a whole-map section (scope null)`);
    }
    return this.allStores();
  }

  private checkWritable(what: string): void {
    if (!this.writable) throw new TypeError(`${this.mapName}: ${what} through a read lock's view`);
  }

  get(key: K): V | undefined {
    this.check(key);
    if (this.pending.has(key)) {
      const value = this.pending.get(key)!;
      return value === DELETED ? undefined : value;
    }
    return this.cleared ? undefined : this.storeOf(key).get(key);
  }

  has(key: K): boolean {
    this.check(key);
    if (this.pending.has(key)) return this.pending.get(key) !== DELETED;
    return !this.cleared && this.storeOf(key).has(key);
  }

  set(key: K, value: V): this {
    this.checkWritable('set');
    this.check(key);
    this.pending.set(key, value);
    return this;
  }

  delete(key: K): boolean {
    this.checkWritable('delete');
    const existed = this.has(key);
    this.pending.set(key, DELETED);
    return existed;
  }

  clear(): void {
    this.checkWritable('clear');
    this.wholeMap('clear()');
    this.pending.clear();
    this.cleared = true;
  }

  get size(): number {
    let size = 0;
    if (!this.cleared) for (const store of this.wholeMap('size')) size += store.size;
    else this.wholeMap('size');
    for (const [key, value] of this.pending) {
      const committed = !this.cleared && this.storeOf(key).has(key);
      if (value === DELETED && committed) size--;
      else if (value !== DELETED && !committed) size++;
    }
    return size;
  }

  *entries(): IterableIterator<[K, V]> {
    const stores = this.wholeMap('entries()');
    if (!this.cleared) {
      for (const store of stores) {
        for (const [key, value] of store) {
          this.checkHeld();
          if (!this.pending.has(key)) yield [key, value];
          else {
            const mine = this.pending.get(key)!;
            if (mine !== DELETED) yield [key, mine];
          }
        }
      }
    }
    for (const [key, value] of this.pending) {
      this.checkHeld();
      if (value !== DELETED && (this.cleared || !this.storeOf(key).has(key))) yield [key, value];
    }
  }

  *keys(): IterableIterator<K> {
    for (const [key] of this.entries()) yield key;
  }

  *values(): IterableIterator<V> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  forEach(fn: (value: V, key: K) => void): void {
    for (const [key, value] of this.entries()) fn(value, key);
  }
}

function describeKey(key: unknown): string {
  return typeof key === 'string' ? `'${key}'` : typeof key === 'symbol' ? key.toString() : String(key);
}

/**
 * A Map whose compound operations — getOrCompute, update, withLock — are atomic across `await`,
 * serialized per key. The replacement the maprace rules' fixes introduce.
 */
export class SafeMap<K, V> extends GuardedMap<K, V> {
  private readonly store: Map<K, V>;
  private readonly locks: LockTable<K>;

  constructor(options?: SafeMapOptions);
  constructor(entries?: Iterable<readonly [K, V]> | null, options?: SafeMapOptions);
  constructor(entriesOrOptions?: Iterable<readonly [K, V]> | SafeMapOptions | null, maybeOptions?: SafeMapOptions) {
    const asOptions = isOptionsObject(entriesOrOptions);
    super('SafeMap', 1, ((asOptions ? entriesOrOptions : maybeOptions) ?? {}) as SafeMapOptions);
    this.store = this.shards[0]!.store;
    this.locks = this.shards[0]!.locks;
    if (!asOptions && entriesOrOptions != null) {
      for (const [key, value] of entriesOrOptions as Iterable<readonly [K, V]>) this.set(key, value);
    }
  }

  protected shardIndex(): number {
    return 0;
  }

  // the single-store fast paths of the synchronous Map methods

  override get(key: K): V | undefined {
    return this.store.get(key);
  }

  override has(key: K): boolean {
    return this.store.has(key);
  }

  override set(key: K, value: V): this {
    if (this.locks.active !== 0) return super.set(key, value); // throws if a section holds key
    this.store.set(key, value);
    return this;
  }

  override get size(): number {
    return this.store.size;
  }

  get [Symbol.toStringTag](): string {
    return 'SafeMap';
  }
}

/** @internal Shared by ShardedMap's constructor. */
export { isOptionsObject };
