/**
 * SafeMap.shared and ShardedMap.shared: SafeMap's guarantees for one map that several
 * worker_threads use, in shared memory.
 *
 * A shared guarded map is N shards (SafeMap.shared: one), each a SharedStore (store.ts: Go's
 * layout in a growable SharedArrayBuffer) guarded by its own reader/writer lock of one LockSpace
 * (lock.ts): lock striping, as ShardedMap does in one thread. A key's shard is hashKey(key) with a
 * seed kept in the lock space, so every thread picks the same shard.
 *
 * - Plain get/has/size take no lock: a seqlock read of the shard's committed store (sections stage
 *   their writes), tried again when it overlaps a write, under the read lock after a few tries.
 *   Iteration takes the shard's read lock for each shard's copy; set/delete/clear its write lock
 *   (all synchronous: Atomics.wait, bounded by the option `syncTimeout`; before it blocks, the
 *   thread gives back the writer flags of its own acquisitions that are not granted yet). A plain
 *   write thus waits for another thread's section on its shard, and then runs after it: nothing
 *   is lost, as with Go's RWMutex around a map. In the thread that holds a section, where a
 *   synchronous wait could never end, a plain read reads (the thread's section lets no other thread
 *   write), and a plain write throws SafeMap's "concurrent map writes" when a section of the thread
 *   holds the key (else it writes: the thread holds the shard).
 * - Sections (withLock, withReadLock, update, compareAndSet, getAndDelete) take their shards' locks
 *   in shard order (no deadlock between threads), waiting with Atomics.waitAsync, and hold them
 *   across the callback, awaits included. Writes go to the view and are committed when the
 *   callback returns; when it throws, none are. Re-entry from inside a section is refused with
 *   ERR_LOCK_REENTRY, as in SafeMap (the same AsyncLocalStorage, safe-map.ts).
 * - getOrCompute is single flight across threads: a claim in shared memory (a compute slot naming
 *   the key's hash, the claimer, and a sequence number) makes the other threads wait (waitAsync on
 *   the sequence) instead of computing, with no lock held while fn runs. A claim whose thread died
 *   is taken over. A rejection reaches every waiter, in other threads as a structured clone of the
 *   error, and is not stored: the next call computes again.
 */
import { ConcurrentMapError, heldKeyWriteCause, SafeMapError, type SectionHolder } from '../errors.js';
import { hashKey, randomSeed } from '../hash.js';
import { checkLockOptions, compareKeys, describeValue, type LockOptions } from '../locks.js';
import {
  heldSections,
  holdBegins,
  holdEnds,
  isThenable,
  joinFlight,
  nestedSections,
  noSections,
  refuseOwnSection,
  sameValueZero,
  SectionView,
  type HeldSection,
  type LockScope,
  type SafeMapReadView,
  type SafeMapView,
  type ViewScope,
} from '../safe-map.js';
import { deserializeValue, serializeValue } from './encoding.js';
import { checkHandle, makeHandle, sharedOptions, type SharedMapHandle } from './handle.js';
import { checkSpaceOptions, LockSpace, SLICE, type SharedRWLock } from './lock.js';
import type { Participant } from './participants.js';
import { SharedStore, type SharedKey, type SharedMapOptions } from './store.js';

/** Options of `SafeMap.shared(options)`: the store's, and the locks' liveness. */
export interface SharedSafeMapOptions extends SharedMapOptions {
  /** Threads that may be attached at once (rows of the participants table): 1 to 1023, default 64. */
  maxThreads?: number;
  /**
   * Milliseconds after which a thread whose heartbeat stopped is presumed dead, for threads whose
   * creator does not watch them (see docs/runtime.md, "Liveness"). Default 5000, at least 100.
   */
  lease?: number;
  /** Bound of the synchronous waits of plain operations (get, set, …), in ms. Default 5000. */
  syncTimeout?: number;
}

/** Options of `ShardedMap.shared(options)`. */
export interface SharedShardedMapOptions extends SharedSafeMapOptions {
  /** Number of shards, each a store with its own lock: a power of two from 1 to 1024, default 32. */
  shards?: number;
}

/** Lock-free tries of a plain read that met a write, before it takes the read lock. */
const OPTIMISTIC_READS = 4;

const livenessOptionKeys = ['maxThreads', 'lease', 'syncTimeout'] as const;
const defaultShards = 32;
const maxShards = 1024;

// The lock space's own words (extraBase + …): the shard seed, the compute claims.
const X_SEED_LO = 0;
const X_SEED_HI = 1;
const X_SHARDS = 2;
/** Bumped when a claim slot is freed: a caller that found every slot taken waits on it. */
const X_CLAIMS_FREED = 3;
const X_CLAIMS = 16;

// One compute claim: STATE, the key's hash, the claimer's owner id, a sequence bumped at each
// change of state (waiters wait on it), the shard, and the bytes of a failure's payload.
const C_STATE = 0;
const C_HASH = 1;
const C_OWNER = 2;
const C_SEQ = 3;
const C_SHARD = 4;
const C_ERROR_BYTES = 5;
const CLAIM_WORDS = 8;
const CLAIM_FREE = 0;
const CLAIM_PENDING = 1;
const CLAIM_FAILED = 2;
/** Claims at once per map: more concurrent first computations wait for a slot. */
const CLAIMS = 64;
/** Room for a failure (the key and the error, structured-cloned) per claim. */
const ERROR_BYTES = 2048;

const claimsWords = CLAIMS * CLAIM_WORDS + (CLAIMS * ERROR_BYTES) / 4;

type MapType = 'SafeMap' | 'ShardedMap';

/** One shard as this thread sees it. */
interface Shard<K extends SharedKey, V> {
  readonly index: number;
  readonly store: SharedStore<K, V>;
  readonly lock: SharedRWLock;
  /** This thread's sections holding the shard's lock (several tasks may share a read lock). */
  readonly sections: Set<SharedSection<K>>;
}

/**
 * This thread's sections by lock: shared by every map object of the thread over the same memory
 * (attach() twice gives two objects, one LockSpace and the same locks).
 */
const sectionsOf = new WeakMap<SharedRWLock, Set<SharedSection<unknown>>>();

/** One shard's lock held by one section: what the section storage (safe-map.ts) lists. */
class SharedSection<K> implements HeldSection {
  released = false;

  constructor(
    /** The shard's lock: how a map recognizes its own sections. */
    readonly table: SharedRWLock,
    readonly keys: readonly K[] | null,
    readonly write: boolean,
  ) {}

  covers(key: K): boolean {
    return this.keys === null || this.keys.some((held) => sameValueZero(held, key));
  }
}

/** The keys a section covers: 'one' (the only key of its only shard), a set of them, or null for the whole map. */
type Covered<K> = 'one' | ReadonlySet<K> | null;

/** The locks of one section across its shards, from the grant to release(). */
class SharedHeld<K extends SharedKey> implements ViewScope<K> {
  private ended = false;

  constructor(
    readonly shards: readonly Shard<K, unknown>[],
    readonly sections: readonly SharedSection<K>[],
    private readonly scope: Covered<K>,
    readonly outer: readonly HeldSection[] | undefined,
  ) {}

  get whole(): boolean {
    return this.scope === null;
  }

  get released(): boolean {
    return this.ended;
  }

  covers(key: K): boolean {
    const scope = this.scope;
    if (scope === null) return true;
    if (scope === 'one') return sameValueZero(this.sections[0]!.keys![0], key);
    for (const held of scope) if (sameValueZero(held, key)) return true;
    return false;
  }

  /** Releases the locks, last taken first (idempotent). */
  release(): void {
    if (this.ended) return;
    this.ended = true;
    let failure: unknown;
    for (let i = this.sections.length - 1; i >= 0; i--) {
      const section = this.sections[i]!;
      section.released = true;
      this.shards[i]!.sections.delete(section);
      try {
        if (section.write) section.table.unlockWrite();
        else section.table.unlockRead();
      } catch (error) {
        failure ??= error;
      }
    }
    holdEnds();
    if (failure !== undefined) throw failure;
  }
}

/** A shard's keys in one section's plan. */
interface PlanStep<K extends SharedKey> {
  shard: Shard<K, unknown>;
  keys: K[] | null;
}

/**
 * The machinery SharedSafeMap and SharedShardedMap share (GuardedMap's counterpart). Not
 * exported: the two classes are the API.
 */
abstract class SharedGuardedMap<K extends SharedKey, V> implements Map<K, V> {
  /** The plain object to post to another thread (postMessage, workerData) and attach there. */
  readonly handle: SharedMapHandle;
  protected readonly mapName: string;
  protected readonly shards: Shard<K, V>[];
  private readonly space: LockSpace;
  private readonly seedLo: number;
  private readonly seedHi: number;
  private readonly mask: number;
  /** This thread's computations in flight, by key: its other callers join them. */
  private readonly inflight = new Map<K, Promise<V>>();
  private readonly claims: Claims;

  protected constructor(type: MapType, space: LockSpace, stores: SharedStore<K, V>[], name: string | undefined) {
    this.mapName = name === undefined ? `${type}.shared` : `${type}.shared '${name}'`;
    this.space = space;
    const words = space.words;
    this.seedLo = words[space.extraBase + X_SEED_LO]!;
    this.seedHi = words[space.extraBase + X_SEED_HI]!;
    this.mask = stores.length - 1;
    this.shards = stores.map((store, index) => {
      const lock = space.lock(index);
      lock.name = stores.length === 1 ? this.mapName : `${this.mapName} shard ${index}`;
      // A writer that died holding the lock may have died inside a store write: the write flag is
      // cleared, then the layout checked; a broken layout poisons the lock (lock.ts).
      lock.onOwnerDied = () => {
        store.resetWriteFlag();
        try {
          store.checkInvariants();
        } catch (error) {
          store.refuseReads(); // plain reads take no lock: they go to the poisoned lock instead
          throw error;
        }
      };
      let sections = sectionsOf.get(lock) as Set<SharedSection<K>> | undefined;
      if (sections === undefined) sectionsOf.set(lock, (sections = new Set()));
      return { index, store, lock, sections };
    });
    this.claims = new Claims(space, space.extraBase + X_CLAIMS, this.mapName);
    this.handle = makeHandle(type, name, [space.words.buffer as SharedArrayBuffer, ...stores.map((store) => store.buffer)]);
  }

  /** Lays out and fills a new map's memory; returns the lock space and the stores. */
  protected static make<K extends SharedKey, V>(
    kind: string,
    shards: number,
    options: SharedSafeMapOptions,
  ): { space: LockSpace; stores: SharedStore<K, V>[] } {
    const { maxThreads, lease, syncTimeout } = checkSpaceOptions(kind, options);
    const storeOptions: SharedMapOptions = {};
    if (options.name !== undefined) storeOptions.name = options.name;
    if (options.hint !== undefined) storeOptions.hint = Math.ceil(options.hint / shards);
    if (options.byteLength !== undefined) storeOptions.byteLength = options.byteLength;
    if (options.maxByteLength !== undefined) storeOptions.maxByteLength = options.maxByteLength;
    const stores = Array.from({ length: shards }, () => SharedStore.create<K, V>(storeOptions, kind));
    const buffer = LockSpace.create({ locks: shards, maxThreads, lease, syncTimeout, extraWords: X_CLAIMS + claimsWords });
    const words = new Int32Array(buffer);
    const space = LockSpace.attach(buffer, options.name === undefined ? kind : `${kind} '${options.name}'`);
    words[space.extraBase + X_SEED_LO] = randomSeed();
    words[space.extraBase + X_SEED_HI] = randomSeed();
    words[space.extraBase + X_SHARDS] = shards;
    return { space, stores };
  }

  /** Opens a handle's memory in this thread. */
  protected static open<K extends SharedKey, V>(caller: string, type: MapType, handle: unknown): { space: LockSpace; stores: SharedStore<K, V>[]; name: string | undefined } {
    const checked = checkHandle(caller, type, handle);
    const [locks, ...buffers] = checked.buffers;
    const kind = `${type}.shared`;
    const space = LockSpace.attach(locks!, checked.name === undefined ? kind : `${kind} '${checked.name}'`);
    const shards = space.words[space.extraBase + X_SHARDS]!;
    if (buffers.length !== shards || space.lockCount !== shards) {
      space.detach();
      throw new TypeError(`${caller}: the handle holds ${buffers.length} store buffers for ${shards} shards`);
    }
    const stores = buffers.map((buffer) => SharedStore.attach<K, V>(buffer, { name: checked.name, kind }));
    return { space, stores, name: checked.name };
  }

  abstract get [Symbol.toStringTag](): string;

  /** The map's name, if it was given one. */
  get name(): string | undefined {
    return this.handle.name;
  }

  protected shardIndex(key: K): number {
    return this.mask === 0 ? 0 : hashKey(key, this.seedLo, this.seedHi) & this.mask;
  }

  private shardFor(key: K): Shard<K, V> {
    return this.shards[this.shardIndex(key)]!;
  }

  private checkAttached(): void {
    if (this.space.detached) throw new TypeError(`${this.mapName}: used after detach() in this thread`);
  }

  /**
   * Lets go of the map in this thread: once every map object of the thread attached to this memory
   * has detached, the thread's participant row is free for another thread. Throws when the thread
   * holds a lock of the map. The memory lives on in the other threads.
   */
  detach(): void {
    this.space.detach();
  }

  // ---- plain operations: one short hold each --------------------------------------------------

  /** Runs read() under the shard's read lock, or at once when this thread holds the shard already. */
  private read<T>(shard: Shard<K, V>, what: string, read: () => T): T {
    this.checkAttached();
    if (shard.lock.heldByThisThread !== undefined) return read();
    shard.lock.readLockSync(undefined, what);
    try {
      return read();
    } finally {
      shard.lock.unlockRead();
    }
  }

  /**
   * Runs write() under the shard's write lock. In a thread that holds the shard (a section of
   * one of its tasks), write() runs at once unless a section holds `key`, which would overwrite
   * the write when it commits: that is "concurrent map writes", as in SafeMap.
   */
  private write<T>(shard: Shard<K, V>, op: 'set' | 'delete', key: K, write: () => T): T {
    this.checkAttached();
    const mine = this.ownSectionOver(shard, key);
    if (mine !== undefined) this.concurrentWrite(op, key, mine);
    const held = this.heldPastPending(shard);
    if (held === undefined) {
      shard.lock.writeLockSync(undefined, op);
      try {
        return write();
      } finally {
        shard.lock.unlockWrite();
      }
    }
    if (held === 'read') {
      // another task of this thread reads the shard: a synchronous wait for it could never end
      return this.concurrentWrite(op, key, 'another task');
    }
    for (const section of shard.sections) if (section.write && section.covers(key)) this.concurrentWrite(op, key, 'another task');
    // A section of another task of this thread holds the shard's write lock (granted: its readers
    // have left, and its writes are staged): the write goes in now, as in SafeMap.
    return write();
  }

  /**
   * What this thread holds of the shard for a plain write, once an acquisition of the thread that
   * has the writer flag but is not granted yet (it drains readers; no code of it has run) has given
   * the flag back: the plain write goes first, the acquisition takes the flag again when it wakes.
   */
  private heldPastPending(shard: Shard<K, V>): 'write' | 'read' | undefined {
    const held = shard.lock.heldByThisThread;
    if (held !== 'write' || shard.lock.writeHeld) return held;
    shard.lock.yieldPendingFlag();
    return shard.lock.heldByThisThread;
  }

  /** Whether the current task's own section holds `key` of `shard` (as safe-map.ts' holderOf). */
  private ownSectionOver(shard: Shard<K, V>, key: K | undefined): SectionHolder | undefined {
    let holder: SectionHolder | undefined;
    for (const section of heldSections.getStore() ?? noSections) {
      if (section.released || section.table !== shard.lock) continue;
      if (key !== undefined && !(section as SharedSection<K>).covers(key)) continue;
      if (section.write) return 'this task';
      holder = "this task's read lock";
    }
    return holder;
  }

  private concurrentWrite(op: 'set' | 'delete' | 'clear', key: K | undefined, holder: SectionHolder): never {
    const cause = heldKeyWriteCause(this.mapName, op, key, holder);
    throw new ConcurrentMapError('ERR_CONCURRENT_MAP_WRITES', { mapName: this.mapName, key, cause });
  }

  /**
   * Runs read() of the shard's committed store with no lock (the store's seqlock: a read that
   * overlaps a write throws "concurrent map read and map write" instead of returning what it read,
   * and every offset it follows is checked, so a grow or a freed bucket cannot mislead it); retried
   * up to OPTIMISTIC_READS times, then read under the read lock. Sections stage their writes, so
   * this is what SafeMap's plain get returns during another task's section: the committed state.
   */
  private peek<T>(shard: Shard<K, V>, what: string, read: () => T): T {
    this.checkAttached();
    if (shard.lock.heldByThisThread === undefined) {
      for (let tries = 0; tries < OPTIMISTIC_READS; tries++) {
        try {
          return read();
        } catch (error) {
          // (a store whose lock is poisoned refuses every read this way: the lock reports why)
          if (error instanceof ConcurrentMapError && error.code === 'ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE') continue;
          throw error;
        }
      }
    }
    return this.read(shard, what, read);
  }

  /** Entries, summed over the shards' counts with no lock (each count is one atomic word). */
  get size(): number {
    this.checkAttached();
    let size = 0;
    for (const shard of this.shards) size += shard.store.size;
    return size;
  }

  /** The value for key: a lock-free read of the committed store (see peek). */
  get(key: K): V | undefined {
    const shard = this.shardFor(key);
    return this.peek(shard, 'get', () => shard.store.get(key));
  }

  has(key: K): boolean {
    const shard = this.shardFor(key);
    return this.peek(shard, 'has', () => shard.store.has(key));
  }

  /** Stores value for key (waiting for another thread's section on its shard; see the file's top). */
  set(key: K, value: V): this {
    const shard = this.shardFor(key);
    this.write(shard, 'set', key, () => shard.store.set(key, value));
    return this;
  }

  delete(key: K): boolean {
    const shard = this.shardFor(key);
    return this.write(shard, 'delete', key, () => shard.store.delete(key));
  }

  /** Removes every entry, holding every shard's write lock at once (taken in shard order). */
  clear(): void {
    this.checkAttached();
    for (const shard of this.shards) {
      if (this.heldPastPending(shard) !== undefined) this.concurrentWrite('clear', undefined, this.ownSectionOver(shard, undefined) ?? 'another task');
    }
    let taken = 0;
    try {
      for (const shard of this.shards) {
        shard.lock.writeLockSync(undefined, 'clear');
        taken++;
      }
      for (const shard of this.shards) shard.store.clear();
    } finally {
      for (let i = taken - 1; i >= 0; i--) this.shards[i]!.lock.unlockWrite();
    }
  }

  forEach(fn: (value: V, key: K, map: Map<K, V>) => void, thisArg?: unknown): void {
    if (typeof fn !== 'function') throw new TypeError(`${this.mapName}.forEach: ${describeValue(fn)} is not a function`);
    for (const [key, value] of this.entries()) fn.call(thisArg, value, key, this);
  }

  /**
   * The entries, shard by shard: each shard's entries are copied under its read lock when the loop
   * reaches it (no lock is held between steps, so a loop may await), in the store's Go order.
   */
  entries(): MapIterator<[K, V]> {
    return this.walk((shard) => [...shard.store.entries()]);
  }

  keys(): MapIterator<K> {
    return this.walk((shard) => [...shard.store.keys()]);
  }

  values(): MapIterator<V> {
    return this.walk((shard) => [...shard.store.values()]);
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  private walk<T>(copy: (shard: Shard<K, V>) => T[]): MapIterator<T> {
    const shards = this.shards;
    const read = this.read.bind(this);
    function* all(): Generator<T, undefined> {
      for (const shard of shards) yield* read(shard, 'entries', () => copy(shard));
      return undefined;
    }
    return all() as unknown as MapIterator<T>;
  }

  /** A copy of the entries (shard by shard, as iteration). */
  snapshot(): Map<K, V> {
    return new Map(this.entries());
  }

  /**
   * Checks every shard's store layout under its read lock (counts, tophash and key agreement,
   * overflow chains, arena accounting); throws an Error naming the broken invariant.
   */
  checkInvariants(): void {
    for (const shard of this.shards) this.read(shard, 'checkInvariants', () => shard.store.checkInvariants());
  }

  /** The threads attached to the map now (their threadIds; the main thread is 0). */
  attachedThreads(): number[] {
    return this.space.participants.census().threads;
  }

  // ---- sections -------------------------------------------------------------------------------

  private checkKey(key: K, what: string): K {
    const type = typeof key;
    if (type !== 'number' && type !== 'string' && type !== 'bigint') {
      throw new TypeError(`${this.mapName}.${what}: a key must be a number, a string or a bigint, got ${describeValue(key)}`);
    }
    return key;
  }

  /** Refuses a lock asked for from inside a section of this map (it would wait for itself). */
  private refuseReentry(what: string): readonly HeldSection[] | undefined {
    return refuseOwnSection(`${this.mapName}.${what}`, (table) => this.shards.some((shard) => shard.lock === table), 'inside a section');
  }

  /**
   * The shards a scope locks, in shard order, with their keys; and the keys in scope ('one': the
   * only key of the only step; null: all). A key of a type the store cannot hold is refused before
   * any lock is taken, so that a section never fails half-committed for it.
   */
  private plan(scope: LockScope<K>, what: string): { steps: PlanStep<K>[]; covered: Covered<K> } {
    if (scope === null) return { steps: this.shards.map((shard) => ({ shard, keys: null })), covered: null };
    if (!Array.isArray(scope)) {
      const key = this.checkKey(scope as K, what);
      return { steps: [{ shard: this.shardFor(key) as Shard<K, unknown>, keys: [key] }], covered: 'one' };
    }
    const keys = new Set<K>(scope as readonly K[]);
    if (keys.size === 0) throw new TypeError(`${this.mapName}.${what}: the scope names no key (use null for the whole map)`);
    const byShard = new Map<number, K[]>();
    for (const key of keys) {
      this.checkKey(key, what);
      const index = this.shardIndex(key);
      let group = byShard.get(index);
      if (group === undefined) byShard.set(index, (group = []));
      group.push(key);
    }
    const steps = [...byShard]
      .sort((x, y) => x[0] - y[0])
      .map(([index, group]) => ({ shard: this.shards[index]! as Shard<K, unknown>, keys: group.sort(compareKeys) }));
    return { steps, covered: keys };
  }

  /**
   * A section: checks, takes the scope's shard locks in order (at once when free, else waiting
   * with waitAsync, bounded by the options), runs body in the section's async context, then
   * done(result) (the commit) and the release. Never throws: the promise rejects.
   */
  private section<R, T>(
    scope: LockScope<K>,
    write: boolean,
    what: string,
    options: LockOptions | undefined,
    body: (held: SharedHeld<K>) => R | PromiseLike<R>,
    done: (result: R, held: SharedHeld<K>) => T,
  ): Promise<T> {
    let outer: readonly HeldSection[] | undefined;
    let steps: PlanStep<K>[];
    let covered: Covered<K>;
    try {
      this.checkAttached();
      if (options !== undefined) checkLockOptions(`${this.mapName}.${what}`, options);
      outer = this.refuseReentry(what);
      if (options?.signal?.aborted === true) {
        throw new SafeMapError('ERR_LOCK_ABORTED', `${this.mapName}.${what}: aborted before waiting for the lock`, { cause: options.signal.reason });
      }
      ({ steps, covered } = this.plan(scope, what));
    } catch (error) {
      return Promise.reject(error);
    }
    holdBegins();
    const sections: SharedSection<K>[] = [];
    const take = (i: number): void => {
      const step = steps[i]!;
      const section = new SharedSection<K>(step.shard.lock, step.keys, write);
      step.shard.sections.add(section);
      sections.push(section);
    };
    let started = false;
    // the acquisition failed: give back what it holds (once the body started, the Held does that)
    const giveBack = (error: unknown): never => {
      if (started) throw error;
      for (let i = sections.length - 1; i >= 0; i--) {
        const section = sections[i]!;
        section.released = true;
        sectionsOf.get(section.table)?.delete(section);
        try {
          if (write) section.table.unlockWrite();
          else section.table.unlockRead();
        } catch {
          // the error that ended the acquisition is the one to report
        }
      }
      holdEnds();
      throw error;
    };
    const run = (): Promise<T> => {
      started = true;
      const held = new SharedHeld<K>(steps.map((step) => step.shard), sections, covered, outer);
      let result: R | PromiseLike<R>;
      try {
        result = heldSections.run(nestedSections(outer, sections), body, held);
      } catch (error) {
        return releaseAndReject(held, error);
      }
      if (!isThenable(result)) return finish(held, done, result);
      return Promise.resolve(result).then(
        (value) => finish(held, done, value),
        (error: unknown) => releaseAndReject(held, error),
      );
    };
    // uncontended: every lock at once, and a synchronous body ends before this returns
    let blocked: number;
    try {
      blocked = this.tryAll(steps, write, take, -1);
    } catch (error) {
      try {
        giveBack(error);
      } catch (thrown) {
        return Promise.reject(thrown);
      }
      return Promise.reject(error);
    }
    if (blocked < 0) return run();
    let waiting: Promise<T>;
    try {
      waiting = this.acquireAll(steps, write, what, options, take, sections, blocked, run);
    } catch (error) {
      waiting = Promise.reject(error);
    }
    return waiting.catch(giveBack);
  }

  /**
   * Takes the steps' locks in order without waiting, skipping `held` (taken already); returns -1
   * when it has them all, else the index of the first it could not take (what it took stays
   * taken: acquireAll gives it back before it waits).
   */
  private tryAll(steps: PlanStep<K>[], write: boolean, take: (i: number) => void, held: number): number {
    for (let i = 0; i < steps.length; i++) {
      if (i === held) continue;
      const lock = steps[i]!.shard.lock;
      if (write ? lock.tryWriteLock() : lock.tryReadLock()) {
        take(i);
        continue;
      }
      return i;
    }
    return -1;
  }

  /**
   * The waiting part of a section's acquisition, all or nothing: it waits for one lock at a time
   * holding no other (else a thread blocked in a plain operation could be waiting for a lock this
   * section holds while this section waits for a lock that thread holds), then tries the rest at
   * once; when one is busy, it gives everything back and waits for that one. One deadline and one
   * signal for the whole. The sections it took stay in `sections`, in step order, when it resolves.
   */
  private acquireAll<T>(
    steps: PlanStep<K>[],
    write: boolean,
    what: string,
    options: LockOptions | undefined,
    take: (i: number) => void,
    sections: SharedSection<K>[],
    blocked: number,
    run: () => Promise<T>,
  ): Promise<T> {
    const deadline = options?.timeout === undefined ? undefined : Date.now() + options.timeout;
    const giveBackAll = (): void => {
      for (let j = sections.length - 1; j >= 0; j--) {
        const section = sections[j]!;
        section.released = true;
        for (const step of steps) step.shard.sections.delete(section);
        if (write) section.table.unlockWrite();
        else section.table.unlockRead();
      }
      sections.length = 0;
    };
    const attempt = (index: number): Promise<T> => {
      giveBackAll();
      const bound: LockOptions | undefined =
        options === undefined ? undefined : { signal: options.signal, timeout: deadline === undefined ? undefined : Math.max(0, deadline - Date.now()) };
      // the rest is tried, and the body started, in the step of the grant (see acquireThen)
      return steps[index]!.shard.lock.acquireThen(write, bound, what, () => {
        take(index);
        const next = this.tryAll(steps, write, take, index);
        if (next >= 0) return attempt(next);
        // in step order, as release() expects
        const order = (section: SharedSection<K>): number => steps.findIndex((step) => step.shard.lock === section.table);
        sections.sort((x, y) => order(x) - order(y));
        return run();
      });
    };
    return attempt(blocked);
  }

  private view(held: SharedHeld<K>, write: boolean): SectionView<K, V> {
    return new SectionView<K, V>(this.mapName, held, write, (key) => this.shardFor(key).store, () => this.shards.map((shard) => shard.store));
  }

  // ---- compound operations --------------------------------------------------------------------

  /**
   * Read-modify-write of one key under its shard's write lock: `fn` gets the current value
   * (undefined when absent) and returns the new one; undefined deletes. Resolves to the new value.
   * When fn throws, nothing is written.
   */
  update(key: K, fn: (old: V | undefined) => V | undefined | Promise<V | undefined>, options?: LockOptions): Promise<V | undefined> {
    if (typeof fn !== 'function') return Promise.reject(new TypeError(`${this.mapName}.update: fn must be a function, got ${describeValue(fn)}`));
    const store = (): SharedStore<K, V> => this.shardFor(key).store;
    return this.section(key, true, 'update', options, () => fn(store().get(key)), (next) => {
      if (next === undefined) store().delete(key);
      else store().set(key, next);
      return next;
    });
  }

  /**
   * Runs fn as a critical section over one key, several keys or the whole map (`null`), across
   * threads: the keys' shards are locked (in shard order) for the whole of fn, awaits included.
   * Reads and writes go through `view`; the writes are committed together when fn returns, and
   * dropped when it throws or rejects.
   */
  withLock<R>(scope: LockScope<K>, fn: (view: SafeMapView<K, V>) => R | Promise<R>, options?: LockOptions): Promise<R> {
    if (typeof fn !== 'function') return Promise.reject(new TypeError(`${this.mapName}.withLock: fn must be a function, got ${describeValue(fn)}`));
    let view!: SectionView<K, V>;
    return this.section(scope, true, 'withLock', options, (held) => fn((view = this.view(held, true))), (result) => {
      view.commit();
      return result;
    });
  }

  /** Like withLock for readers: readers of a shard run together (in every thread), writers wait. */
  withReadLock<R>(scope: LockScope<K>, fn: (view: SafeMapReadView<K, V>) => R | Promise<R>, options?: LockOptions): Promise<R> {
    if (typeof fn !== 'function') return Promise.reject(new TypeError(`${this.mapName}.withReadLock: fn must be a function, got ${describeValue(fn)}`));
    return this.section(scope, false, 'withReadLock', options, (held) => fn(this.view(held, false)), (result) => result);
  }

  /** Sets key to `next` if its value is `expected` (SameValueZero; undefined means absent); `next` undefined deletes. */
  compareAndSet(key: K, expected: V | undefined, next: V | undefined, options?: LockOptions): Promise<boolean> {
    return this.section(key, true, 'compareAndSet', options, () => {
      const store = this.shardFor(key).store;
      const matches = expected === undefined ? !store.has(key) : store.has(key) && sameValueZero(store.get(key), expected);
      if (!matches) return false;
      if (next === undefined) store.delete(key);
      else store.set(key, next);
      return true;
    }, (result) => result);
  }

  /** Removes key under its shard's lock and resolves to the value it had. */
  getAndDelete(key: K, options?: LockOptions): Promise<V | undefined> {
    return this.section(key, true, 'getAndDelete', options, () => {
      const store = this.shardFor(key).store;
      const value = store.get(key);
      store.delete(key);
      return value;
    }, (result) => result);
  }

  /**
   * Returns the value for key; when absent, runs `fn` once across every thread attached, however
   * many callers ask at the same time, stores its result and returns it to all (values are stored,
   * so callers in other threads get a copy of an object value). No lock is held while fn runs; a
   * plain set of the key meanwhile is overwritten by the result. A rejection is not stored: it
   * reaches every waiter (in other threads as a structured clone of the error) and the next call
   * runs fn again. A claimer thread that dies is replaced by a waiter, which runs fn. A caller's
   * signal and timeout bound that caller's wait only.
   */
  getOrCompute(key: K, fn: (key: K) => V | Promise<V>, options?: LockOptions): Promise<V> {
    try {
      if (typeof fn !== 'function') throw new TypeError(`${this.mapName}.getOrCompute: fn must be a function, got ${describeValue(fn)}`);
      if (options !== undefined) checkLockOptions(`${this.mapName}.getOrCompute`, options);
      const shard = this.shardFor(key);
      const present = this.peek(shard, 'getOrCompute', () => (shard.store.has(key) ? { value: shard.store.get(key) as V } : undefined));
      if (present !== undefined) return Promise.resolve(present.value);
      this.refuseReentry('getOrCompute');
      return joinFlight(this.inflight, key, () => this.fly(shard, key, fn), `${this.mapName}.getOrCompute`, options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** This thread's flight for key: claim, compute, store; or wait for another thread's claim. */
  private async fly(shard: Shard<K, V>, key: K, fn: (key: K) => V | Promise<V>): Promise<V> {
    const hash = hashKey(key, ~this.seedLo, ~this.seedHi);
    for (;;) {
      const decision = await shard.lock.acquireThen(true, undefined, 'getOrCompute', (): Decision<V> => {
        try {
          return shard.store.has(key)
            ? { kind: 'present', value: shard.store.get(key) as V }
            : this.claims.decide(shard.index, hash, this.space.participant());
        } finally {
          shard.lock.unlockWrite();
        }
      });
      switch (decision.kind) {
        case 'present':
          return decision.value;
        case 'wait': {
          const outcome = await this.claims.waitFor(decision.slot, decision.seq, key);
          if (outcome !== undefined) throw outcome.error;
          continue;
        }
        case 'slots':
          await this.claims.waitForSlot(decision.seq);
          continue;
        case 'claimed':
          return this.compute(shard, key, fn, decision.slot, decision.owner);
      }
    }
  }

  /** Runs fn as the claimer (no lock held), then stores the value, or publishes the failure. */
  private async compute(shard: Shard<K, V>, key: K, fn: (key: K) => V | Promise<V>, slot: number, owner: number): Promise<V> {
    // fn runs as a section of this map for re-entry (the marker holds no lock): a lock it asked
    // of this map, or a getOrCompute of the same key, would wait for this very computation
    const marker = new SharedSection<K>(shard.lock, [key], true);
    let value: V;
    holdBegins();
    try {
      value = await heldSections.run(nestedSections(heldSections.getStore(), [marker]), fn, key);
    } catch (error) {
      marker.released = true;
      holdEnds();
      await shard.lock.acquireThen(true, undefined, 'getOrCompute', () => {
        try {
          this.claims.fail(slot, owner, key, error);
        } finally {
          shard.lock.unlockWrite();
        }
      });
      throw error;
    }
    marker.released = true;
    holdEnds();
    return shard.lock.acquireThen(true, undefined, 'getOrCompute', () => {
      try {
        shard.store.set(key, value);
      } finally {
        this.claims.release(slot, owner);
        shard.lock.unlockWrite();
      }
      return value;
    });
  }

  /** Node's util.inspect: shown like a native Map under its own name. */
  [Symbol.for('nodejs.util.inspect.custom')](_depth: number, options: object, inspect: (value: unknown, options: object) => string): string {
    return inspect(new Map(this.entries()), options).replace(/^Map/u, this[Symbol.toStringTag]);
  }
}

/** finishSection of safe-map.ts: done, then the release, whatever done does. */
function finish<K extends SharedKey, R, T>(held: SharedHeld<K>, done: (result: R, held: SharedHeld<K>) => T, result: R): Promise<T> {
  let outcome: T;
  try {
    outcome = done(result, held);
  } catch (error) {
    return releaseAndReject(held, error);
  }
  try {
    held.release();
  } catch (error) {
    return Promise.reject(error);
  }
  return Promise.resolve(outcome);
}

function releaseAndReject<K extends SharedKey>(held: SharedHeld<K>, error: unknown): Promise<never> {
  try {
    held.release();
  } catch {
    // the section's own error is the one to report
  }
  return Promise.reject(error);
}

// ---- compute claims in shared memory -----------------------------------------------------------

type Decision<V = never> =
  | { kind: 'present'; value: V }
  | { kind: 'claimed'; slot: number; owner: number }
  | { kind: 'wait'; slot: number; seq: number }
  | { kind: 'slots'; seq: number };

type WaitAsync = (words: Int32Array, index: number, value: number, timeout?: number) =>
  | { async: false; value: 'not-equal' | 'timed-out' }
  | { async: true; value: Promise<'ok' | 'timed-out'> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/**
 * The table of computations in progress (getOrCompute's single flight across threads). A free
 * slot is taken with compareExchange (deciders of different shards scan the same slots at once);
 * after that it is changed only under the write lock of the shard it names; its SEQ word is bumped at every change
 * so that waiters (waitAsync on SEQ) wake. A claim names the key by a 32-bit hash: two keys with
 * the same hash share a flight, and the second then finds its key still absent and claims again.
 */
class Claims {
  private readonly words: Int32Array;
  private readonly bytes: Uint8Array;

  constructor(
    private readonly space: LockSpace,
    private readonly base: number,
    private readonly mapName: string,
  ) {
    this.words = space.words;
    this.bytes = new Uint8Array(space.words.buffer, (base + CLAIMS * CLAIM_WORDS) * 4, CLAIMS * ERROR_BYTES);
  }

  private at(slot: number, word: number): number {
    return this.base + slot * CLAIM_WORDS + word;
  }

  /** Under the shard's write lock: join a live claim of the hash, take over a dead one, or claim a slot. */
  decide(shard: number, hash: number, me: Participant): Decision {
    const words = this.words;
    for (let slot = 0; slot < CLAIMS; slot++) {
      const state = Atomics.load(words, this.at(slot, C_STATE));
      if (state !== CLAIM_PENDING) continue;
      if (words[this.at(slot, C_SHARD)] !== shard || words[this.at(slot, C_HASH)] !== hash) continue;
      const owner = Atomics.load(words, this.at(slot, C_OWNER));
      if (owner !== me.ownerId && this.space.participants.isAlive(owner)) {
        return { kind: 'wait', slot, seq: Atomics.load(words, this.at(slot, C_SEQ)) };
      }
      if (owner === me.ownerId) {
        // a flight of this thread for another key with the same hash: wait for it
        return { kind: 'wait', slot, seq: Atomics.load(words, this.at(slot, C_SEQ)) };
      }
      // the claimer died: take its claim over
      return this.claim(slot, shard, hash, me);
    }
    // A free slot, else a failed one (whose waiters may not all have read the failure yet). The
    // slots are shared by every shard and this thread holds only its shard's lock: a thread
    // deciding for another shard may take the same slot at the same time, so it is taken with
    // compareExchange (two claims in one slot would lose one, and its key would be computed twice).
    const seq = Atomics.load(words, this.space.extraBase + X_CLAIMS_FREED);
    for (const from of [CLAIM_FREE, CLAIM_FAILED]) {
      for (let slot = 0; slot < CLAIMS; slot++) {
        if (Atomics.load(words, this.at(slot, C_STATE)) !== from) continue;
        if (Atomics.compareExchange(words, this.at(slot, C_STATE), from, CLAIM_PENDING) === from) return this.claim(slot, shard, hash, me);
      }
    }
    return { kind: 'slots', seq };
  }

  /** Fills in a slot this thread has taken (its STATE is PENDING already, or taken over). */
  private claim(slot: number, shard: number, hash: number, me: Participant): Decision {
    const words = this.words;
    words[this.at(slot, C_SHARD)] = shard;
    words[this.at(slot, C_HASH)] = hash;
    Atomics.store(words, this.at(slot, C_OWNER), me.ownerId);
    Atomics.store(words, this.at(slot, C_STATE), CLAIM_PENDING);
    this.bump(slot);
    return { kind: 'claimed', slot, owner: me.ownerId };
  }

  private bump(slot: number): void {
    Atomics.add(this.words, this.at(slot, C_SEQ), 1);
    Atomics.notify(this.words, this.at(slot, C_SEQ));
  }

  /** Under the shard's write lock: the claim is done (its value stored). */
  release(slot: number, owner: number): void {
    if (Atomics.load(this.words, this.at(slot, C_OWNER)) !== owner) return; // taken over meanwhile
    Atomics.store(this.words, this.at(slot, C_STATE), CLAIM_FREE);
    this.bump(slot);
    this.slotFreed();
  }

  private slotFreed(): void {
    const at = this.space.extraBase + X_CLAIMS_FREED;
    Atomics.add(this.words, at, 1);
    Atomics.notify(this.words, at);
  }

  /** Under the shard's write lock: the computation failed; its waiters get a copy of the error. */
  fail(slot: number, owner: number, key: unknown, error: unknown): void {
    if (Atomics.load(this.words, this.at(slot, C_OWNER)) !== owner) return;
    const payload = failurePayload(`${this.mapName}.getOrCompute`, key, error);
    const room = payload.length <= ERROR_BYTES;
    if (room) this.bytes.set(payload, slot * ERROR_BYTES);
    this.words[this.at(slot, C_ERROR_BYTES)] = room ? payload.length : 0;
    Atomics.store(this.words, this.at(slot, C_STATE), CLAIM_FAILED);
    this.bump(slot);
    this.slotFreed();
  }

  /**
   * Waits until the claim in `slot` changes from `seq` (or its claimer dies). Returns the error
   * when the flight it waited for failed for `key`; undefined when the caller should look again.
   */
  async waitFor(slot: number, seq: number, key: unknown): Promise<{ error: unknown } | undefined> {
    const at = this.at(slot, C_SEQ);
    for (;;) {
      if (Atomics.load(this.words, at) !== seq) break;
      const owner = Atomics.load(this.words, this.at(slot, C_OWNER));
      if (!this.space.participants.isAlive(owner)) return undefined; // look again: take it over
      await sliceWait(this.words, at, seq);
    }
    if (Atomics.load(this.words, at) !== seq + 1 || Atomics.load(this.words, this.at(slot, C_STATE)) !== CLAIM_FAILED) return undefined;
    const length = this.words[this.at(slot, C_ERROR_BYTES)]!;
    const failure = length === 0 ? undefined : (deserializeValue(this.bytes.slice(slot * ERROR_BYTES, slot * ERROR_BYTES + length)) as { key: unknown; error: unknown });
    // read it all, then check nothing changed meanwhile (a new claim reuses the slot)
    if (Atomics.load(this.words, at) !== seq + 1) return undefined;
    if (failure === undefined) {
      // even the summary did not fit: the key is very long
      return { error: new Error(`${this.mapName}.getOrCompute: the computation in another thread failed (its error was too large to pass on)`) };
    }
    return sameValueZero(failure.key, key) ? { error: failure.error } : undefined;
  }

  /** Waits until some claim slot is freed (every slot was taken). */
  async waitForSlot(seq: number): Promise<void> {
    await sliceWait(this.words, this.space.extraBase + X_CLAIMS_FREED, seq);
  }
}

/** One slice of waiting on a word (waitAsync, kept alive by a timer: a pending waitAsync does not hold the event loop open). */
async function sliceWait(words: Int32Array, index: number, value: number): Promise<void> {
  const wait = waitAsync(words, index, value, SLICE);
  if (!wait.async) return;
  const keepAlive = setTimeout(() => {}, SLICE + 10);
  await wait.value;
  clearTimeout(keepAlive);
}

/**
 * The bytes of a failure for other threads: the key and the error, structured-cloned; else (an
 * error that does not clone, or too large) the key and an Error that says what it was.
 */
function failurePayload(label: string, key: unknown, error: unknown): Uint8Array {
  try {
    const payload = serializeValue(label, { key, error });
    if (payload.length <= ERROR_BYTES) return payload;
  } catch {
    // summarized below
  }
  const summary = error instanceof Error ? `${error.name}: ${error.message}` : describeValue(error);
  return serializeValue(label, { key, error: new Error(`${label}: the computation in another thread failed with ${summary.slice(0, 500)}`) });
}

// ---- the two maps -------------------------------------------------------------------------------

/**
 * A SafeMap in shared memory: one store and one reader/writer lock across threads. Made by
 * `SafeMap.shared(options)`, opened in another thread by `SafeMap.attach(map.handle)`.
 */
export class SharedSafeMap<K extends SharedKey = SharedKey, V = unknown> extends SharedGuardedMap<K, V> {
  private constructor(space: LockSpace, stores: SharedStore<K, V>[], name: string | undefined) {
    super('SafeMap', space, stores, name);
  }

  /** `SafeMap.shared(options)`. */
  static create<K extends SharedKey = SharedKey, V = unknown>(options?: SharedSafeMapOptions): SharedSafeMap<K, V> {
    const checked = sharedOptions<SharedSafeMapOptions>('SafeMap.shared', options, livenessOptionKeys);
    const { space, stores } = SharedGuardedMap.make<K, V>('SafeMap.shared', 1, checked);
    return new SharedSafeMap(space, stores, checked.name);
  }

  /** `SafeMap.attach(handle)`. */
  static attach<K extends SharedKey = SharedKey, V = unknown>(handle: SharedMapHandle): SharedSafeMap<K, V> {
    const { space, stores, name } = SharedGuardedMap.open<K, V>('SafeMap.attach', 'SafeMap', handle);
    return new SharedSafeMap(space, stores, name);
  }

  get [Symbol.toStringTag](): string {
    return 'SharedSafeMap';
  }
}

/**
 * A ShardedMap in shared memory: N stores, each with its own lock (lock striping). Made by
 * `ShardedMap.shared(options)`, opened in another thread by `ShardedMap.attach(map.handle)`.
 */
export class SharedShardedMap<K extends SharedKey = SharedKey, V = unknown> extends SharedGuardedMap<K, V> {
  private constructor(space: LockSpace, stores: SharedStore<K, V>[], name: string | undefined) {
    super('ShardedMap', space, stores, name);
  }

  /** `ShardedMap.shared(options)`. */
  static create<K extends SharedKey = SharedKey, V = unknown>(options?: SharedShardedMapOptions): SharedShardedMap<K, V> {
    const checked = sharedOptions<SharedShardedMapOptions>('ShardedMap.shared', options, [...livenessOptionKeys, 'shards']);
    const shards = checked.shards ?? defaultShards;
    if (typeof shards !== 'number' || !Number.isInteger(shards) || shards < 1 || shards > maxShards || (shards & (shards - 1)) !== 0) {
      throw new TypeError(`ShardedMap.shared: option 'shards' must be a power of two from 1 to ${maxShards}, got ${describeValue(shards)}`);
    }
    const { space, stores } = SharedGuardedMap.make<K, V>('ShardedMap.shared', shards, checked);
    return new SharedShardedMap(space, stores, checked.name);
  }

  /** `ShardedMap.attach(handle)`. */
  static attach<K extends SharedKey = SharedKey, V = unknown>(handle: SharedMapHandle): SharedShardedMap<K, V> {
    const { space, stores, name } = SharedGuardedMap.open<K, V>('ShardedMap.attach', 'ShardedMap', handle);
    return new SharedShardedMap(space, stores, name);
  }

  /** Number of shards. */
  get shardCount(): number {
    return this.shards.length;
  }

  /** The shard key lives in (the same in every thread). */
  shardOf(key: K): number {
    return this.shardIndex(key);
  }

  get [Symbol.toStringTag](): string {
    return 'SharedShardedMap';
  }
}
