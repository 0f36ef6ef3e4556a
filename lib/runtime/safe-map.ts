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
 *   The storage is switched on only while some lock is held or waited for (see holdBegins).
 *   A lock handle counts from the moment its holder binds it with `using` or reads its view.
 * - No async functions on the lock paths: a free lock is taken, and a synchronous section run,
 *   committed and released, before the call returns; a released lock is handed to the next waiter
 *   at once, whose fn runs in the waiter's own async context (see Request).
 *
 * ShardedMap is the same machinery over N stores and lock tables (GuardedMap below is shared).
 */
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { ConcurrentMapError, describeKey, heldKeyWriteCause, SafeMapError, type SectionHolder } from './errors.js';
import { GoMap } from './go-map.js';
import { checkRaceOption, MapRaceMonitor, watchAccesses, type RaceModeOptions } from './race-detector.js';
import { isRaceModeRequested } from './race-flag.js';
import type { SharedMapHandle } from './shared/handle.js';
import { SharedSafeMap, type SharedSafeMapOptions } from './shared/safe-map-shared.js';
import type { SharedKey } from './shared/store.js';
import {
  acquireSections,
  checkLockOptions,
  compareKeys,
  describeValue,
  isPlainObject,
  LockTable,
  releaseSections,
  WaitBound,
  type LockOptions,
  type Section,
  type TableScope,
  type Waiting,
} from './locks.js';

export type { LockOptions } from './locks.js';

/** Options of `new SafeMap(...)`. */
export interface SafeMapOptions {
  /** The map that holds the entries: a native `Map` (default) or a `GoMap`. */
  store?: 'map' | 'go';
  /** A name for the map in error reports. */
  name?: string;
  /** Race mode for the plain get/set/has/delete/clear and loops, as GoMap's option (docs/runtime.md). */
  race?: boolean | RaceModeOptions;
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

/**
 * A held lock, for `await using lock = await map.lock(key)`; release() is idempotent. The task
 * that binds it with `using` / `await using` or reads its `view` holds it: until it is released,
 * that task's lock requests to the same map are refused (ERR_LOCK_REENTRY) instead of hanging.
 */
export interface LockHandle<View> {
  readonly view: View;
  /** Commits the view's writes and releases the lock (idempotent). */
  release(): void;
  /** Drops the view's writes and releases the lock. */
  discard(): void;
  [Symbol.dispose](): void;
  [Symbol.asyncDispose](): Promise<void>;
}

// The sections held by the current async context, across every SafeMap and ShardedMap: those of
// callback sections (set by AsyncLocalStorage.run around the callback) and of lock handles (set by
// enterWith in the context that binds or uses the handle, see Handle.claim).
export const heldSections = new AsyncLocalStorage<readonly HeldSection[]>();

/**
 * What the storage lists: a Section of locks.ts, or a section of a shared map (shared/safe-map-shared.ts),
 * whose `table` is the lock of one of its shards. A map knows its own sections by their tables.
 */
export interface HeldSection {
  readonly released: boolean;
  readonly table: object;
  /** The keys it holds, or null for the whole table. */
  readonly keys: readonly unknown[] | null;
  readonly write: boolean;
}

/**
 * getOrCompute's single flight within one thread: joins the flight for key in `inflight`, or
 * starts one with `start` (dropped from `inflight` once it settles). Every caller gets a promise
 * of its own, so that a rejection nobody handles is reported, and its signal and timeout bound
 * its own wait only. A caller whose signal is already aborted is refused before anything starts.
 */
export function joinFlight<K, V>(
  inflight: Map<K, Promise<V>>,
  key: K,
  start: () => Promise<V>,
  where: string,
  options: LockOptions | undefined,
): Promise<V> {
  if (options?.signal?.aborted === true) {
    throw new SafeMapError('ERR_LOCK_ABORTED', `${where}: aborted before waiting for the lock`, { cause: options.signal.reason });
  }
  let flight = inflight.get(key);
  if (flight === undefined) {
    const started = start();
    flight = started;
    inflight.set(key, started);
    const settled = (): void => {
      if (inflight.get(key) === started) inflight.delete(key);
    };
    started.then(settled, settled);
  }
  if (options === undefined || (options.signal === undefined && options.timeout === undefined)) return flight.then();
  return waitWithin(flight, new WaitBound(where, options.signal, options.timeout));
}

/**
 * Refuses a lock asked for by a task that already holds a section of the same map (`owns` says
 * which tables are the map's), which would wait for itself: SafeMapError ERR_LOCK_REENTRY naming
 * `where` and how the task holds it. Returns the sections the current context holds (of other
 * maps, or released). SafeMap, ShardedMap and their shared-memory forms all ask this.
 */
export function refuseOwnSection(where: string, owns: (table: object) => boolean, holding: string): readonly HeldSection[] | undefined {
  const held = heldSections.getStore();
  if (held === undefined) return undefined;
  for (const section of held) {
    if (!section.released && owns(section.table)) {
      throw new SafeMapError(
        'ERR_LOCK_REENTRY',
        `${where}: called by a task that already holds a lock of this map (${holding}), which would wait for itself; ` +
          "read and write through the section's view, or lock every key you need in one scope",
      );
    }
  }
  return held;
}

/*
 * The storage costs only while it can matter. On Node 20 an enabled AsyncLocalStorage keeps
 * promise hooks on for the whole process (an `await` costs about 2.7× more: docs/runtime.md,
 * "Cost"), but its stores only matter while some section holds or waits for a lock: with none,
 * every store lists released sections only, which refuseReentry and nestedSections skip. So the
 * storage is switched on when the first hold of the process begins (a Held is made, or a Request
 * starts waiting) and off (disable(): Node removes its hooks once no storage is enabled) once none
 * is left. A switch off and on costs about a microsecond, so the switch-off waits for the next
 * turn of the event loop (setImmediate): a loop of sections keeps the hooks on and pays nothing
 * more; the application's own microtasks pay until that turn ends.
 *
 * Invariant: liveHolds > 0 implies tracking. A request waits only behind a live hold, so its
 * AsyncResource and its promise are made while tracking.
 */
let liveHolds = 0;
let tracking = false;
let switchOffScheduled = false;
let trackingStarts = 0;
export const noSections: readonly HeldSection[] = [];

/**
 * A hold begins. Switching tracking on happens before the hold's promises are made: on Node 20 a
 * promise made while the hooks are off is not tracked, and enterWith() in its continuation would
 * mark whatever context ran last instead of the continuation alone (Handle.claim relies on it).
 */
export function holdBegins(): void {
  liveHolds++;
  if (tracking) return;
  tracking = true;
  trackingStarts++;
  // No lock is held anywhere, so whatever store the current context had lists released sections
  // only: replacing it by an empty one changes nothing but switches the storage on.
  heldSections.enterWith(noSections);
}

/** A hold ends; the last one schedules the switch-off. */
export function holdEnds(): void {
  liveHolds--;
  if (liveHolds !== 0 || switchOffScheduled) return;
  switchOffScheduled = true;
  setImmediate(switchTrackingOff).unref();
}

function switchTrackingOff(): void {
  switchOffScheduled = false;
  if (liveHolds !== 0 || !tracking) return;
  tracking = false;
  heldSections.disable();
}

/** `outer`'s sections that are still held, then `sections`: the store of a nested context. */
export function nestedSections(outer: readonly HeldSection[] | undefined, sections: readonly HeldSection[]): readonly HeldSection[] {
  if (outer === undefined || outer.length === 0) return sections;
  const live = outer.filter((section) => !section.released);
  return live.length === 0 ? sections : [...live, ...sections];
}

const storeOptionValues = new Set(['map', 'go']);
const safeMapOptionKeys = ['store', 'name', 'race'] as const;

/**
 * Splits a constructor's arguments as `new Map(entries)` reads entries: `(options)` when the only
 * argument is a plain object, else `(entries, options)`. Entries must be iterable (a string is, and
 * then fails as a Map's would: its characters are not entries); options must be a plain object with
 * known keys.
 */
export function constructorArguments<O extends object>(
  kind: string,
  first: unknown,
  second: unknown,
  knownKeys: readonly string[],
): { entries: Iterable<unknown> | undefined; options: O } {
  let entries: unknown;
  let options: unknown;
  if (second === undefined && isPlainObject(first)) options = first;
  else {
    entries = first ?? undefined;
    options = second === undefined ? {} : second;
  }
  if (entries !== undefined && typeof (entries as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function') {
    throw new TypeError(`${kind}: ${describeValue(entries)} is not iterable (pass entries, an iterable of [key, value] pairs, or an options object)`);
  }
  if (!isPlainObject(options)) throw new TypeError(`${kind}: options must be a plain object, got ${describeValue(options)}`);
  for (const key of Object.keys(options)) {
    if (!knownKeys.includes(key)) throw new TypeError(`${kind}: unknown option '${key}'`);
  }
  return { entries: entries as Iterable<unknown> | undefined, options: options as O };
}

/** Whether `await value` would wait: a promise or another thenable (reading `then` may throw). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  if (value instanceof Promise) return true;
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function';
}

export function sameValueZero(a: unknown, b: unknown): boolean {
  return a === b || (a !== a && b !== b);
}

/** One store and the locks that guard it. */
interface Shard<K, V> {
  store: Map<K, V>;
  locks: LockTable<K>;
}

/** The locks a section holds, across one or more shards: a hold, from its making to release(). */
class Held<K> {
  private ended = false;

  constructor(
    readonly sections: Section<K>[],
    /** The keys in scope: 'one' (the key of the only section), a set of them, or null for the whole map. */
    private readonly scope: 'one' | ReadonlySet<K> | null,
    /** The sections the requesting context held already (of other maps), from its AsyncLocalStorage. */
    readonly outer: readonly HeldSection[] | undefined,
  ) {
    holdBegins();
  }

  get whole(): boolean {
    return this.scope === null;
  }

  covers(key: K): boolean {
    const scope = this.scope;
    if (scope === null) return true;
    return scope === 'one' ? sameValueZero(this.sections[0]!.keys![0], key) : scope.has(key);
  }

  get released(): boolean {
    return this.sections[0]!.released;
  }

  /** Idempotent. The hold ends after the release has handed the locks over (to holds of their own). */
  release(): void {
    if (this.ended) return;
    this.ended = true;
    try {
      if (this.sections.length === 1) this.sections[0]!.release();
      else releaseSections(this.sections);
    } finally {
      holdEnds();
    }
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

  /** `options` comes from constructorArguments (a plain object with known keys). */
  protected constructor(kind: string, shardCount: number, options: SafeMapOptions) {
    if (options.store !== undefined && !storeOptionValues.has(options.store)) {
      throw new TypeError(`${kind}: option 'store' must be 'map' or 'go', got ${describeValue(options.store)}`);
    }
    if (options.name !== undefined && typeof options.name !== 'string') {
      throw new TypeError(`${kind}: option 'name' must be a string, got ${describeValue(options.name)}`);
    }
    checkRaceOption(kind, options.race);
    this.mapName = options.name === undefined ? kind : `${kind} '${options.name}'`;
    const race = options.race ?? isRaceModeRequested();
    this.shards = Array.from({ length: shardCount }, () => {
      const store = options.store === 'go' ? new GoMap<K, V>({ name: options.name, race: false }) : new Map<K, V>();
      // Race mode watches the stores, so section commits count as writes too.
      if (race !== false) watchAccesses(store, new MapRaceMonitor(this.mapName, race === true ? {} : race));
      return { store, locks: new LockTable<K>() };
    });
  }

  /** The shard a key lives in. */
  protected abstract shardIndex(key: K): number;

  /** Adds the constructor's entries, checked as `new Map(entries)` checks them. */
  protected load(kind: string, entries: Iterable<unknown> | undefined): void {
    if (entries === undefined) return;
    for (const entry of entries) {
      if ((typeof entry !== 'object' || entry === null) && typeof entry !== 'function') {
        throw new TypeError(`${kind}: iterator value ${String(entry)} is not an entry object`);
      }
      const pair = entry as { 0: K; 1: V };
      this.set(pair[0], pair[1]);
    }
  }

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
    if (shard.locks.isBusy(key)) this.concurrentWrite('set', key, shard);
    shard.store.set(key, value);
    return this;
  }

  /** Removes key; throws "concurrent map writes" when a section holds the key. */
  delete(key: K): boolean {
    const shard = this.shardOfKey(key);
    if (shard.locks.isBusy(key)) this.concurrentWrite('delete', key, shard);
    return shard.store.delete(key);
  }

  /** Removes every entry; throws "concurrent map writes" while any section is active. */
  clear(): void {
    if (this.shards.some((shard) => shard.locks.active > 0)) this.concurrentWrite('clear', undefined, undefined);
    for (const shard of this.shards) shard.store.clear();
  }

  forEach(fn: (value: V, key: K, map: Map<K, V>) => void, thisArg?: unknown): void {
    if (typeof fn !== 'function') throw new TypeError(`${this.mapName}.forEach: ${describeValue(fn)} is not a function`);
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

  /**
   * Throws Go's "concurrent map writes" for a plain write that a section is in the way of; its
   * `cause` names the key and whose section it is, and says how to write instead.
   */
  private concurrentWrite(op: 'set' | 'delete' | 'clear', key: K | undefined, shard: Shard<K, V> | undefined): never {
    const cause = heldKeyWriteCause(this.mapName, op, key, this.holderOf(key, shard));
    throw new ConcurrentMapError('ERR_CONCURRENT_MAP_WRITES', { mapName: this.mapName, key, cause });
  }

  /**
   * Whether the current task's own section is what holds `key` in `shard` (with no shard, for
   * clear(): any key of the map), as far as the section storage knows (see "Misuse is loud" in docs/runtime.md: a
   * lock() handle the task has neither bound nor used is not known to be its own).
   */
  private holderOf(key: K | undefined, shard: Shard<K, V> | undefined): SectionHolder {
    let holder: SectionHolder = 'another task';
    for (const section of heldSections.getStore() ?? noSections) {
      if (section.released) continue;
      const covers = shard === undefined
        ? this.shards.some((s) => s.locks === section.table)
        : section.table === shard.locks && (section.keys === null || (section.keys as readonly unknown[]).includes(key));
      if (!covers) continue;
      if (section.write) return 'this task';
      holder = "this task's read lock";
    }
    return holder;
  }

  // ---- sections --------------------------------------------------------------------------------

  /**
   * Refuses a lock asked for from inside a section of this map, which would wait for itself.
   * Returns the sections the current context holds (of other maps, or released).
   */
  private refuseReentry(what: string): readonly HeldSection[] | undefined {
    return refuseOwnSection(
      `${this.mapName}.${what}`,
      (table) => this.shards.some((shard) => shard.locks === table),
      "inside a section, or holding a lock()/readLock() handle it has not released",
    );
  }

  /** The tables and keys a scope locks, in lock order: shards ascending, keys by compareKeys. */
  private plan(scope: LockScope<K>, what: string): { tables: TableScope<K>[]; covered: 'one' | Set<K> | null } {
    if (scope === null) return { tables: this.shards.map((shard) => ({ table: shard.locks, keys: null })), covered: null };
    if (!Array.isArray(scope)) {
      const key = scope as K;
      return { tables: [{ table: this.shardOfKey(key).locks, keys: [key] }], covered: 'one' };
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
   * Takes the scope's locks, first come first served: when they are free, the Held comes back at
   * once; else request() is called (synchronously, in the caller's context) for the Request that
   * waits, hears later of the grant or of the end of the wait (the options' signal and timeout),
   * and is returned. Throws on bad options, re-entry and an aborted signal.
   */
  private enter<T>(
    scope: LockScope<K>,
    write: boolean,
    what: string,
    options: LockOptions | undefined,
    request: () => Request<K, T>,
  ): Held<K> | Request<K, T> {
    if (options !== undefined) checkLockOptions(`${this.mapName}.${what}`, options);
    const outer = this.refuseReentry(what);
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
        return new Held([section], 'one', outer);
      }
      const waiting = request();
      waiting.outer = outer;
      table.acquireKey(key, write, bound, waiting);
      return waiting;
    }
    const { tables, covered } = this.plan(scope, what);
    let waiting: Request<K, T> | undefined;
    const sections = acquireSections(tables, write, bound, () => {
      waiting = request();
      waiting.covered = covered;
      waiting.outer = outer;
      return waiting;
    });
    return sections === undefined ? waiting! : new Held(sections, covered, outer);
  }

  /**
   * Runs fn(arg) as the body of a section: the current async context holds `held` while it runs.
   * (The context is the requester's: held.outer is what it held when it asked.)
   */
  private runInSection<A, R>(held: Held<K>, fn: (arg: A) => R, arg: A): R {
    return heldSections.run(nestedSections(held.outer, held.sections), fn, arg);
  }

  private view(held: Held<K>, write: boolean): SectionView<K, V> {
    return new SectionView(this.mapName, held, write, (key) => this.shardOfKey(key).store, () => this.shards.map((s) => s.store));
  }

  /**
   * A section: takes the scope's locks, runs `body(held)` (the caller's fn, inside the section's
   * async context), then, once its result is known, `done(result)` (the commit) and the release,
   * in that order and in one synchronous step. When body throws or rejects, or done throws,
   * nothing more is done: the locks are released and the promise rejects. Bad options and
   * re-entry reject too: this never throws.
   *
   * No async function and no await. Uncontended with a synchronous body, the section has ended
   * (committed and released) when this returns; with an async body it ends in the callback of
   * the body's promise. A waiter's body starts as soon as the lock is handed over, in the call
   * stack of the release (as async-lock runs its next callback) but not in the releasing task's
   * async context: inside an AsyncResource made when the waiter asked, so its AsyncLocalStorage
   * stores (ours, and the application's) are the waiter's own.
   */
  private section<R, T>(
    scope: LockScope<K>,
    write: boolean,
    what: string,
    options: LockOptions | undefined,
    body: (held: Held<K>) => R | PromiseLike<R>,
    done: (result: R) => T,
  ): Promise<T> {
    let entered: Held<K> | Request<K, T>;
    try {
      entered = this.enter(scope, write, what, options, () => new SectionRequest<K, R, T>(body, done));
    } catch (error) {
      return Promise.reject(error);
    }
    return entered instanceof Held ? runSectionNow(entered, body, done) : entered.promise;
  }

  // ---- compound operations ---------------------------------------------------------------------

  /**
   * Returns the value for key; when absent, runs `fn` once however many callers ask at the same
   * time, stores its result and returns it to all. A rejection is not stored; it reaches every
   * waiter, and the next call runs `fn` again. A caller's signal and timeout bound that caller's
   * wait only: the computation, once started, goes on for the others and fills the map.
   */
  getOrCompute(key: K, fn: (key: K) => V | Promise<V>, options?: LockOptions): Promise<V> {
    try {
      if (typeof fn !== 'function') throw new TypeError(`${this.mapName}.getOrCompute: fn must be a function, got ${describeValue(fn)}`);
      if (options !== undefined) checkLockOptions(`${this.mapName}.getOrCompute`, options);
      const store = this.shardOfKey(key).store;
      const present = store.get(key);
      if (present !== undefined || store.has(key)) return Promise.resolve(present as V);
      this.refuseReentry('getOrCompute');
      return joinFlight(this.inflight, key, () => this.compute(key, fn), `${this.mapName}.getOrCompute`, options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private compute(key: K, fn: (key: K) => V | Promise<V>): Promise<V> {
    const store = this.shardOfKey(key).store;
    return this.section(
      key,
      true,
      'getOrCompute',
      undefined,
      // filled by a section while we waited: fn does not run
      (held) => (store.has(key) ? (filled as V) : this.runInSection(held, fn, key)),
      (value) => {
        if (value === filled) return store.get(key) as V;
        store.set(key, value);
        return value;
      },
    );
  }

  /**
   * Read-modify-write of one key under its lock: `fn` gets the current value (undefined when
   * absent) and returns the new one; returning undefined deletes the key. Resolves to the new value.
   * When fn throws, nothing is written.
   */
  update(key: K, fn: (old: V | undefined) => V | undefined | Promise<V | undefined>, options?: LockOptions): Promise<V | undefined> {
    if (typeof fn !== 'function') return Promise.reject(new TypeError(`${this.mapName}.update: fn must be a function, got ${describeValue(fn)}`));
    const store = this.shardOfKey(key).store;
    return this.section(
      key,
      true,
      'update',
      options,
      (held) => this.runInSection(held, fn, store.get(key)),
      (next) => {
        if (next === undefined) store.delete(key);
        else store.set(key, next);
        return next;
      },
    );
  }

  /**
   * Runs fn as a critical section over one key, several keys (taken in a fixed order, so never
   * deadlocking) or the whole map (`null`). Reads and writes go through `view`; the writes are
   * the section's own until it ends, then they are committed together (plain reads never see half
   * a section). When fn throws or rejects, none of its writes are committed.
   */
  withLock<R>(scope: LockScope<K>, fn: (view: SafeMapView<K, V>) => R | Promise<R>, options?: LockOptions): Promise<R> {
    if (typeof fn !== 'function') return Promise.reject(new TypeError(`${this.mapName}.withLock: fn must be a function, got ${describeValue(fn)}`));
    let view!: SectionView<K, V>;
    return this.section(
      scope,
      true,
      'withLock',
      options,
      (held) => this.runInSection(held, fn, (view = this.view(held, true))),
      (result) => {
        view.commit();
        return result;
      },
    );
  }

  /** Like withLock for readers: readers of a key run together, writers wait until they finish. */
  withReadLock<R>(scope: LockScope<K>, fn: (view: SafeMapReadView<K, V>) => R | Promise<R>, options?: LockOptions): Promise<R> {
    if (typeof fn !== 'function') return Promise.reject(new TypeError(`${this.mapName}.withReadLock: fn must be a function, got ${describeValue(fn)}`));
    return this.section(scope, false, 'withReadLock', options, (held) => this.runInSection(held, fn, this.view(held, false)), identity);
  }

  /**
   * A writer lock as a handle: `await using lock = await map.lock(key)` commits the view's writes
   * and releases the lock at the end of the block, thrown or not (a disposer cannot tell; call
   * `lock.discard()` in a catch to drop them).
   *
   * The task holds the handle from the moment it binds it with `using` / `await using` or first
   * reads `lock.view`: from then until release, a lock it asks of this map (update, withLock,
   * another lock(), ...) is refused with ERR_LOCK_REENTRY, as inside a callback section, instead
   * of waiting for itself. Tasks it starts meanwhile inherit that. A handle kept in a variable and
   * never used through `using` or its view is not known to be held by anyone.
   */
  lock(scope: LockScope<K>, options?: LockOptions): Promise<LockHandle<SafeMapView<K, V>>> {
    return this.handle(scope, true, 'lock', options);
  }

  /** A reader lock as a handle (see lock()). */
  readLock(scope: LockScope<K>, options?: LockOptions): Promise<LockHandle<SafeMapReadView<K, V>>> {
    return this.handle(scope, false, 'readLock', options);
  }

  private handle<View>(scope: LockScope<K>, write: boolean, what: string, options: LockOptions | undefined): Promise<LockHandle<View>> {
    let entered: Held<K> | Request<K, LockHandle<View>>;
    try {
      entered = this.enter(scope, write, what, options, () => new HandleRequest<K, LockHandle<View>>((held) => new Handle(held, this.view(held, write))));
    } catch (error) {
      return Promise.reject(error);
    }
    if (entered instanceof Held) return Promise.resolve(new Handle<K, V, View>(entered, this.view(entered, write)));
    return entered.promise;
  }

  /**
   * Sets key to `next` if its value is `expected` (SameValueZero; undefined means absent), under
   * the key's lock; `next` undefined deletes. Resolves to whether it did (sync.Map's CompareAndSwap).
   * When the key is free, the swap is done before this returns.
   */
  compareAndSet(key: K, expected: V | undefined, next: V | undefined, options?: LockOptions): Promise<boolean> {
    const store = this.shardOfKey(key).store;
    return this.section(key, true, 'compareAndSet', options, () => {
      const matches = expected === undefined ? !store.has(key) : store.has(key) && sameValueZero(store.get(key), expected);
      if (!matches) return false;
      if (next === undefined) store.delete(key);
      else store.set(key, next);
      return true;
    }, identity);
  }

  /**
   * Removes key under its lock and resolves to the value it had (sync.Map's LoadAndDelete). When
   * the key is free, it is removed before this returns.
   */
  getAndDelete(key: K, options?: LockOptions): Promise<V | undefined> {
    const store = this.shardOfKey(key).store;
    return this.section(key, true, 'getAndDelete', options, () => {
      const value = store.get(key);
      store.delete(key);
      return value;
    }, identity);
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

const identity = <T>(value: T): T => value;

/**
 * A lock request that has to wait: the lock tables tell it, once and later, of the grant or of
 * the end of the wait. It is an AsyncResource made in the requester's async context, so that
 * what it runs when granted (in the call stack of the release that granted it) runs in the
 * requester's context, not the releasing task's.
 */
abstract class Request<K, T> extends AsyncResource implements Waiting<Section<K>[]> {
  /** What the Held will cover: set by enter(). */
  covered: 'one' | ReadonlySet<K> | null = 'one';
  outer: readonly HeldSection[] | undefined;
  readonly promise: Promise<T>;
  protected resolve!: (value: T) => void;
  protected reject!: (error: unknown) => void;

  /** A waiting request is a hold until it is granted (and becomes a Held) or fails. */
  constructor() {
    holdBegins();
    super('SafeMapRequest');
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  granted(sections: Section<K>[]): void {
    const held = new Held(sections, this.covered, this.outer);
    holdEnds();
    this.start(held);
  }

  failed(error: unknown): void {
    holdEnds();
    this.reject(error);
  }

  protected abstract start(held: Held<K>): void;
}

/** A section that waits: its body runs the moment it is granted, in the requester's context. */
class SectionRequest<K, R, T> extends Request<K, T> {
  constructor(
    private readonly body: (held: Held<K>) => R | PromiseLike<R>,
    private readonly done: (result: R) => T,
  ) {
    super();
  }

  protected start(held: Held<K>): void {
    this.runInAsyncScope(runSectionLater, undefined, held, this.body, this.done, this.resolve, this.reject);
  }
}

/** A lock() / readLock() that waits: resolves to the handle. */
class HandleRequest<K, T> extends Request<K, T> {
  constructor(private readonly make: (held: Held<K>) => T) {
    super();
  }

  protected start(held: Held<K>): void {
    this.resolve(this.make(held));
  }
}

/** What compute's body returns when a section filled the key while it waited. */
const filled: unique symbol = Symbol('filled');

/** done(result) then the release, whatever done does. */
function finishSection<K, R, T>(held: Held<K>, done: (result: R) => T, result: R): T {
  try {
    return done(result);
  } finally {
    held.release();
  }
}

/** GuardedMap.section for a section held at once: returns the promise of its outcome. */
function runSectionNow<K, R, T>(held: Held<K>, body: (held: Held<K>) => R | PromiseLike<R>, done: (result: R) => T): Promise<T> {
  let result: R | PromiseLike<R>;
  try {
    result = body(held);
    if (!isThenable(result)) return Promise.resolve(finishSection(held, done, result));
  } catch (error) {
    held.release(); // idempotent: done may have released already
    return Promise.reject(error);
  }
  return Promise.resolve(result).then(
    (value) => finishSection(held, done, value),
    (error: unknown) => {
      held.release();
      throw error;
    },
  );
}

/** GuardedMap.section for a section granted later: settles the promise made at the request. */
function runSectionLater<K, R, T>(
  held: Held<K>,
  body: (held: Held<K>) => R | PromiseLike<R>,
  done: (result: R) => T,
  resolve: (value: T) => void,
  reject: (error: unknown) => void,
): void {
  let result: R | PromiseLike<R>;
  try {
    result = body(held);
    if (!isThenable(result)) {
      resolve(finishSection(held, done, result));
      return;
    }
  } catch (error) {
    held.release();
    reject(error);
    return;
  }
  Promise.resolve(result).then(
    (value) => {
      let outcome: T;
      try {
        outcome = finishSection(held, done, value);
      } catch (error) {
        reject(error);
        return;
      }
      resolve(outcome);
    },
    (error: unknown) => {
      held.release();
      reject(error);
    },
  );
}

/**
 * A lock handle. Binding it with `using` / `await using` reads its dispose method, and working
 * with it reads `view`: both getters mark the context that reads them as holding the handle's
 * locks (claim), so that its further lock requests to the same map are refused, not left to hang.
 *
 * Why there and not in lock() itself: lock() is usually called in the first synchronous stretch
 * of an async function, which runs in its caller's context, and AsyncLocalStorage.enterWith()
 * there would mark the caller and every task the caller starts after it (Promise.all siblings
 * included) for as long as the handle is held. The getters run in the continuation after
 * `await map.lock(...)`, a context of the holder's own.
 */
class Handle<K, V, View> implements LockHandle<View> {
  readonly release: () => void;
  readonly discard: () => void;
  private readonly disposeAsync: () => Promise<void>;

  constructor(
    private readonly held: Held<K>,
    private readonly sectionView: SectionView<K, V>,
  ) {
    this.release = () => {
      if (held.released) return;
      try {
        sectionView.commit();
      } finally {
        held.release();
      }
    };
    this.discard = () => {
      sectionView.discard();
      held.release();
    };
    this.disposeAsync = () => {
      try {
        this.release();
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(error);
      }
    };
  }

  get [Symbol.toStringTag](): string {
    return 'LockHandle';
  }

  get view(): View {
    this.claim();
    return this.sectionView as unknown as View;
  }

  get [Symbol.dispose](): () => void {
    this.claim();
    return this.release;
  }

  get [Symbol.asyncDispose](): () => Promise<void> {
    this.claim();
    return this.disposeAsync;
  }

  /** Marks the current async context as holding this handle's locks, until they are released. */
  private claim(): void {
    const held = this.held;
    if (held.released) return;
    const outer = heldSections.getStore();
    if (outer !== undefined && outer.includes(held.sections[0]!)) return;
    heldSections.enterWith(nestedSections(outer, held.sections));
  }
}

/** Waits for a promise unless the bound ends first. */
export function waitWithin<T>(promise: Promise<T>, bound: WaitBound): Promise<T> {
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

/** What a SectionView needs of a section: which keys it covers, and whether it has ended. */
export interface ViewScope<K> {
  covers(key: K): boolean;
  readonly released: boolean;
  /** A whole-map section. */
  readonly whole: boolean;
}

/** What a SectionView reads and writes: a Map, a GoMap, or a shared map's store. */
export interface ViewStore<K, V> {
  get(key: K): V | undefined;
  has(key: K): boolean;
  set(key: K, value: V): unknown;
  delete(key: K): boolean;
  clear(): void;
  readonly size: number;
  [Symbol.iterator](): Iterator<[K, V]>;
}

/**
 * The view a section reads and writes through: its keys only, and only while it holds them. A
 * writer's view keeps its writes to itself (and reads them back) until commit() applies them.
 */
export class SectionView<K, V> implements SafeMapView<K, V> {
  private readonly pending = new Map<K, V | typeof DELETED>();
  private cleared = false;

  constructor(
    private readonly mapName: string,
    private readonly held: ViewScope<K>,
    private readonly writable: boolean,
    private readonly storeOf: (key: K) => ViewStore<K, V>,
    private readonly allStores: () => ViewStore<K, V>[],
  ) {}

  get [Symbol.toStringTag](): string {
    return 'SafeMapView';
  }

  /**
   * Applies the section's writes to the map, all in one synchronous step. A store write can fail
   * (a shared map's MapFullError): the writes already applied are then undone, last first, so
   * that the section's writes land all or none, and the error is thrown. (After a clear() there
   * is nothing to undo to: the writes that follow it stay.)
   */
  commit(): void {
    if (this.cleared) for (const store of this.allStores()) store.clear();
    // what each applied write replaced: [store, key, had it, its value]
    const undo: [ViewStore<K, V>, K, boolean, V | undefined][] | undefined = this.cleared || this.pending.size < 2 ? undefined : [];
    let applied = 0;
    try {
      for (const [key, value] of this.pending) {
        const store = this.storeOf(key);
        if (undo !== undefined) {
          const had = store.has(key);
          undo.push([store, key, had, had ? store.get(key) : undefined]);
        }
        if (value === DELETED) store.delete(key);
        else store.set(key, value);
        applied++;
      }
    } catch (error) {
      for (let i = applied - 1; undo !== undefined && i >= 0; i--) {
        const [store, key, had, old] = undo[i]!;
        if (had) store.set(key, old as V);
        else store.delete(key);
      }
      throw error;
    } finally {
      this.discard();
    }
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

  private wholeMap(what: string): ViewStore<K, V>[] {
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

/**
 * A Map whose compound operations — getOrCompute, update, withLock — are atomic across `await`,
 * serialized per key. The replacement the maprace rules' fixes introduce.
 */
export class SafeMap<K, V> extends GuardedMap<K, V> {
  private readonly store: Map<K, V>;
  private readonly locks: LockTable<K>;

  /**
   * A SafeMap in shared memory, for several worker_threads: one store (Go's layout in a growable
   * SharedArrayBuffer) under one reader/writer lock across threads. Post `map.handle` to a worker
   * and open it there with `SafeMap.attach(handle)`. See docs/runtime.md, "Shared memory (worker_threads)".
   */
  static shared<K extends SharedKey = SharedKey, V = unknown>(options?: SharedSafeMapOptions): SharedSafeMap<K, V> {
    return SharedSafeMap.create<K, V>(options);
  }

  /** The SafeMap.shared of `handle` (its `map.handle`, posted from another thread), in this thread: same memory. */
  static attach<K extends SharedKey = SharedKey, V = unknown>(handle: SharedMapHandle): SharedSafeMap<K, V> {
    return SharedSafeMap.attach<K, V>(handle);
  }

  constructor(options?: SafeMapOptions);
  constructor(entries?: Iterable<readonly [K, V]> | null, options?: SafeMapOptions);
  constructor(entriesOrOptions?: Iterable<readonly [K, V]> | SafeMapOptions | null, maybeOptions?: SafeMapOptions) {
    const { entries, options } = constructorArguments<SafeMapOptions>('SafeMap', entriesOrOptions, maybeOptions, safeMapOptionKeys);
    super('SafeMap', 1, options);
    this.store = this.shards[0]!.store;
    this.locks = this.shards[0]!.locks;
    this.load('SafeMap', entries);
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


/** @internal For tests: how many sections the current async context's store lists, released or not. */
export function currentHeldSections(): number {
  return heldSections.getStore()?.length ?? 0;
}

/**
 * @internal For tests: whether the section storage is switched on (and with it, on Node 20, the
 * process's promise hooks), how many holds are live, and how many times tracking was switched on.
 */
export function heldSectionsTracking(): { tracking: boolean; liveHolds: number; starts: number } {
  return { tracking, liveHolds, starts: trackingStarts };
}
