/**
 * The locks behind SafeMap and ShardedMap: per-key reader/writer locks under one map-wide lock,
 * with the intention modes of multi-granularity locking so that a whole-map section and key
 * sections exclude each other without listing keys.
 *
 * Modes of the map-wide lock: a key reader takes IS, a key writer IX, a whole-map reader S, a
 * whole-map writer X. Key locks take S (read) or X (write). Locks are granted first come, first
 * served: a waiter is never overtaken by a later compatible request, so writers do not starve.
 *
 * Deadlock freedom: every acquisition takes the map-wide lock first, then its keys in one total
 * order (compareKeys), and a section never takes more locks of the same map (re-entry is refused
 * by the maps). With a fixed order and no lock taken while holding one out of order, no cycle of
 * waiters can form.
 */
import { SafeMapError } from './errors.js';

export type LockMode = 'IS' | 'IX' | 'S' | 'X';

interface Waiter {
  mode: LockMode;
  grant: () => void;
}

/**
 * One lock with four modes, FIFO among waiters. Compatibility (held → requests it admits):
 * IS admits IS, IX, S; IX admits IS, IX; S admits IS, S; X admits nothing.
 */
export class ModeLock {
  private is = 0;
  private ix = 0;
  private s = 0;
  private x = 0;
  private readonly queue: Waiter[] = [];

  private grantable(mode: LockMode): boolean {
    if (this.x > 0) return false;
    switch (mode) {
      case 'IS':
        return true;
      case 'IX':
        return this.s === 0;
      case 'S':
        return this.ix === 0;
      case 'X':
        return this.is + this.ix + this.s === 0;
    }
  }

  private add(mode: LockMode, delta: number): void {
    switch (mode) {
      case 'IS':
        this.is += delta;
        break;
      case 'IX':
        this.ix += delta;
        break;
      case 'S':
        this.s += delta;
        break;
      case 'X':
        this.x += delta;
        break;
    }
  }

  private count(mode: LockMode): number {
    return mode === 'IS' ? this.is : mode === 'IX' ? this.ix : mode === 'S' ? this.s : this.x;
  }

  /** Takes the lock at once when no one waits and the mode is compatible; false otherwise. */
  tryAcquire(mode: LockMode): boolean {
    if (this.queue.length > 0 || !this.grantable(mode)) return false;
    this.add(mode, 1);
    return true;
  }

  /** Takes the lock at once (true) or queues `waiter`, whose grant() runs when its turn comes. */
  enqueue(waiter: Waiter): boolean {
    if (this.tryAcquire(waiter.mode)) return true;
    this.queue.push(waiter);
    return false;
  }

  /** Takes a waiter out of the queue; those behind it may now be granted. */
  cancel(waiter: Waiter): void {
    const index = this.queue.indexOf(waiter);
    if (index < 0) return;
    this.queue.splice(index, 1);
    this.drain();
  }

  release(mode: LockMode): void {
    if (this.count(mode) === 0) throw new Error(`lock released in mode ${mode} that it was not held in`);
    this.add(mode, -1);
    if (this.queue.length > 0) this.drain();
  }

  private drain(): void {
    while (this.queue.length > 0 && this.grantable(this.queue[0]!.mode)) {
      const waiter = this.queue.shift()!;
      this.add(waiter.mode, 1);
      waiter.grant();
    }
  }

  get waiting(): number {
    return this.queue.length;
  }

  get busy(): boolean {
    return this.is + this.ix + this.s + this.x > 0;
  }

  /** True while a whole-map section (S or X) holds this map-wide lock. */
  get wholeMapHeld(): boolean {
    return this.s + this.x > 0;
  }

  get idle(): boolean {
    return this.queue.length === 0 && !this.busy;
  }
}

/** What can end a wait: an AbortSignal and a timeout, either optional. */
export interface LockOptions {
  /** Stops waiting for the lock when aborted (rejects with ERR_LOCK_ABORTED, `cause` = the reason). */
  signal?: AbortSignal;
  /** Stops waiting after this many milliseconds (rejects with ERR_LOCK_TIMEOUT). Never ends a held section. */
  timeout?: number;
}

/** The bound of one acquisition's waits: a deadline and a signal shared by its several locks. */
export class WaitBound {
  private error: SafeMapError | undefined;
  private readonly listeners = new Set<(error: SafeMapError) => void>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly onAbort = () => this.end(new SafeMapError('ERR_LOCK_ABORTED', `${this.what}: aborted while waiting for the lock`, { cause: this.signal?.reason }));

  constructor(
    private readonly what: string,
    private readonly signal: AbortSignal | undefined,
    timeout: number | undefined,
  ) {
    if (signal?.aborted) {
      this.error = new SafeMapError('ERR_LOCK_ABORTED', `${what}: aborted before waiting for the lock`, { cause: signal.reason });
      return;
    }
    signal?.addEventListener('abort', this.onAbort, { once: true });
    if (timeout !== undefined) {
      this.timer = setTimeout(() => this.end(new SafeMapError('ERR_LOCK_TIMEOUT', `${what}: timed out after ${timeout} ms waiting for the lock`)), timeout);
    }
  }

  /** Rejects at once when the wait was over before it began. */
  check(): void {
    if (this.error !== undefined) throw this.error;
  }

  /** Calls `listener` when the wait ends; returns the function that unsubscribes. */
  onEnd(listener: (error: SafeMapError) => void): () => void {
    if (this.error !== undefined) {
      queueMicrotask(() => listener(this.error!));
      return () => {};
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private end(error: SafeMapError): void {
    if (this.error !== undefined) return;
    this.error = error;
    this.dispose();
    for (const listener of [...this.listeners]) listener(error);
  }

  /** Stops the timer and the signal listener: call once the locks are held or the wait failed. */
  dispose(): void {
    clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this.onAbort);
  }
}

/** Validates LockOptions the way every public method does. */
export function checkLockOptions(what: string, options: LockOptions | undefined): void {
  if (options === undefined) return;
  if (!isPlainObject(options)) {
    throw new TypeError(`${what}: options must be a plain object such as { signal, timeout }, got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (key !== 'signal' && key !== 'timeout') throw new TypeError(`${what}: unknown option '${key}'`);
  }
  const { timeout, signal } = options;
  if (timeout !== undefined) {
    if (typeof timeout !== 'number' || !(timeout >= 0) || timeout === Infinity) {
      throw new TypeError(`${what}: option 'timeout' must be a finite number of milliseconds >= 0, got ${describeValue(timeout)}`);
    }
    if (timeout > MAX_TIMEOUT) {
      // setTimeout would fire after about 1 ms instead (its delay is a signed 32-bit integer)
      throw new TypeError(`${what}: option 'timeout' must be at most ${MAX_TIMEOUT} ms (about 24.8 days, setTimeout's limit), got ${timeout}`);
    }
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`${what}: option 'signal' must be an AbortSignal, got ${describeValue(signal)}`);
  }
}

/** The longest timeout setTimeout honours: 2^31 - 1 ms. Node fires a longer one after 1 ms. */
export const MAX_TIMEOUT = 2 ** 31 - 1;

/** An object literal (or Object.create(null)): what options are. A Date, a Map, a signal are not. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A value as an error message shows it: its type, and its text when short. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return `string '${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return `${typeof value} ${String(value)}`;
    case 'symbol':
      return value.toString();
    case 'function':
      return 'a function';
    default: {
      const tag = Object.prototype.toString.call(value).slice(8, -1);
      if (tag === 'Object') return 'an object';
      return `${/^[AEIOU]/u.test(tag) ? 'an' : 'a'} ${tag}`;
    }
  }
}

// ---- key order --------------------------------------------------------------------------------

const typeRank: Record<string, number> = {
  number: 0, bigint: 1, string: 2, boolean: 3, undefined: 4, symbol: 6, object: 7, function: 7,
};
const identityOrder = new WeakMap<WeakKey, number>();
const registeredSymbolOrder = new Map<symbol, number>();
let nextIdentity = 1;

function identityOf(key: object | symbol): number {
  if (typeof key === 'symbol' && Symbol.keyFor(key) !== undefined) {
    let id = registeredSymbolOrder.get(key);
    if (id === undefined) registeredSymbolOrder.set(key, (id = nextIdentity++));
    return id;
  }
  let id = identityOrder.get(key as WeakKey);
  if (id === undefined) identityOrder.set(key as WeakKey, (id = nextIdentity++));
  return id;
}

/** A total order on keys (SameValueZero-equal keys compare equal): the order locks are taken in. */
export function compareKeys(a: unknown, b: unknown): number {
  if (a === b || (a !== a && b !== b)) return 0;
  const ra = a === null ? 5 : typeRank[typeof a]!;
  const rb = b === null ? 5 : typeRank[typeof b]!;
  if (ra !== rb) return ra - rb;
  switch (typeof a) {
    case 'number':
      if (a !== a) return -1; // NaN first
      if (b !== b) return 1;
      return (a as number) < (b as number) ? -1 : 1;
    case 'bigint':
    case 'string':
      return (a as string) < (b as string) ? -1 : 1;
    case 'boolean':
      return a ? 1 : -1;
    default:
      return identityOf(a as object) - identityOf(b as object);
  }
}

// ---- sections -----------------------------------------------------------------------------------

const maxSpareLocks = 16;

/** The locks of one map (or one shard): the map-wide lock and a lock per key in use. */
export class LockTable<K> {
  /** @internal */
  readonly global = new ModeLock();
  private readonly keys = new Map<K, ModeLock>();
  /**
   * Idle key locks kept for reuse: a key's lock exists only while someone holds or waits for it,
   * so an uncontended section would otherwise allocate one and drop it every time.
   */
  private readonly spare: ModeLock[] = [];
  /** Sections holding locks in this table. */
  active = 0;

  /** @internal */
  keyLock(key: K): ModeLock {
    let lock = this.keys.get(key);
    if (lock === undefined) this.keys.set(key, (lock = this.spare.pop() ?? new ModeLock()));
    return lock;
  }

  /** True when a section holds `key` (or the whole map): a plain write to it would be lost. */
  isBusy(key: K): boolean {
    if (this.active === 0) return false;
    return this.global.wholeMapHeld || this.keys.get(key)?.busy === true;
  }

  /** Takes one key's lock at once when it and the map-wide lock are free of conflicts and queues. */
  tryKey(key: K, write: boolean): Section<K> | undefined {
    const globalMode: LockMode = write ? 'IX' : 'IS';
    if (!this.global.tryAcquire(globalMode)) return undefined;
    const lock = this.keyLock(key);
    if (!lock.tryAcquire(write ? 'X' : 'S')) {
      this.global.release(globalMode);
      return undefined;
    }
    this.active++;
    return new Section(this, [key], write);
  }

  /**
   * acquireSections for one key of this table, without its bookkeeping: the map-wide lock, then
   * the key's lock, each requested the moment the one before is granted. `waiting` hears the
   * outcome, always later (see deliverGrants()).
   */
  acquireKey(key: K, write: boolean, bound: WaitBound | undefined, waiting: Waiting<Section<K>[]>): void {
    new KeyWait(this, key, write, bound, waiting).start();
  }

  /** @internal Drops the lock of a key nobody holds or waits for. */
  forget(key: K): void {
    const lock = this.keys.get(key);
    if (lock?.idle === true) this.drop(key, lock);
  }

  private drop(key: K, lock: ModeLock): void {
    this.keys.delete(key);
    if (this.spare.length < maxSpareLocks) this.spare.push(lock);
  }

  /** @internal Call between changing++ and changing-- (Section.release does). */
  releaseSection(section: Section<K>): void {
    this.active--;
    const keyMode: LockMode = section.write ? 'X' : 'S';
    if (section.keys !== null) {
      for (let j = section.keys.length - 1; j >= 0; j--) {
        const key = section.keys[j]!;
        const lock = this.keys.get(key)!;
        lock.release(keyMode);
        if (lock.idle) this.drop(key, lock);
      }
    }
    this.global.release(globalModeOf(section.keys, section.write));
  }

  /** Numbers for ShardedMap.shardStats(). */
  stats(): { lockedKeys: number; waiting: number } {
    let lockedKeys = 0;
    let waiting = this.global.waiting;
    for (const lock of this.keys.values()) {
      if (lock.busy) lockedKeys++;
      waiting += lock.waiting;
    }
    return { lockedKeys, waiting };
  }
}

/** One request for one key's lock (LockTable.acquireKey): first the map-wide lock, then the key's. */
class KeyWait<K> implements Waiter {
  /** The mode asked of the lock it waits in: IX/IS of the map-wide lock, then X/S of the key's. */
  mode: LockMode;
  private stage = 0; // 0: waiting for the map-wide lock, 1: for the key's, 2: done
  private keyLock: ModeLock | undefined;
  private stop: (() => void) | undefined;

  constructor(
    private readonly table: LockTable<K>,
    private readonly key: K,
    private readonly write: boolean,
    private readonly bound: WaitBound | undefined,
    private readonly waiting: Waiting<Section<K>[]>,
  ) {
    this.mode = write ? 'IX' : 'IS';
  }

  start(): void {
    if (this.bound !== undefined) this.stop = this.bound.onEnd((error) => this.end(error));
    changing++;
    try {
      if (this.table.global.enqueue(this)) this.grant();
    } finally {
      changing--;
    }
    deliverGrants();
  }

  /** Called by the lock it waits in, once it holds it. */
  grant(): void {
    if (this.stage === 0) {
      this.stage = 1;
      this.mode = this.write ? 'X' : 'S';
      this.keyLock = this.table.keyLock(this.key);
      if (!this.keyLock.enqueue(this)) return;
    }
    this.stage = 2;
    this.stop?.();
    this.bound?.dispose();
    this.table.active++;
    deliver(this.waiting, [new Section(this.table, [this.key], this.write)]);
  }

  private end(error: SafeMapError): void {
    if (this.stage === 2) return;
    changing++;
    try {
      if (this.stage === 0) this.table.global.cancel(this);
      else {
        this.keyLock!.cancel(this);
        this.table.forget(this.key);
        this.table.global.release(this.write ? 'IX' : 'IS');
      }
      this.bound!.dispose();
    } finally {
      changing--;
    }
    this.waiting.failed(error);
    deliverGrants();
  }
}

function globalModeOf(keys: readonly unknown[] | null, write: boolean): LockMode {
  return keys === null ? (write ? 'X' : 'S') : write ? 'IX' : 'IS';
}

/** Locks held in one LockTable by one section; released once. */
export class Section<K> {
  released = false;

  constructor(
    readonly table: LockTable<K>,
    readonly keys: readonly K[] | null,
    readonly write: boolean,
  ) {}

  release(): void {
    if (this.released) return;
    this.released = true;
    changing++;
    try {
      this.table.releaseSection(this);
    } finally {
      changing--;
    }
    deliverGrants();
  }
}

/** Releases sections, last first, then delivers the grants they made (all of them, together). */
export function releaseSections(sections: readonly Section<unknown>[]): void {
  changing++;
  try {
    for (let i = sections.length - 1; i >= 0; i--) sections[i]!.release();
  } finally {
    changing--;
  }
  deliverGrants();
}

// ---- handing locks over -----------------------------------------------------------------------

/** Who waits for a lock: told once, either way, after the change of lock state that decided it. */
export interface Waiting<T> {
  granted(value: T): void;
  failed(error: unknown): void;
}

/**
 * Grants decided by the change of lock state in progress: a release, a wait given up. They are
 * delivered when the change is complete (changing back at 0), never in the middle of its
 * bookkeeping, and in order. A delivery runs user code: a waiter's section starts at once, in the
 * releasing task's call stack (as async-lock runs the next callback) but in the waiter's own async
 * context (the section enters it with an AsyncResource made when the waiter asked). Grants made
 * by the code a delivery runs join the queue behind it: a long line of synchronous sections hands
 * over in one loop, not in ever deeper calls.
 */
const grants: (Waiting<unknown> | unknown)[] = [];
let grantCount = 0; // grants[0 .. grantCount) are to deliver, as (waiting, value) pairs
let changing = 0;
let delivering = false;

function deliver<T>(waiting: Waiting<T>, value: T): void {
  grants[grantCount++] = waiting;
  grants[grantCount++] = value;
}

function deliverGrants(): void {
  if (changing !== 0 || delivering || grantCount === 0) return;
  delivering = true;
  try {
    for (let i = 0; i < grantCount; i += 2) {
      const waiting = grants[i] as Waiting<unknown>;
      const value = grants[i + 1];
      grants[i] = grants[i + 1] = undefined;
      try {
        waiting.granted(value);
      } catch (error) {
        // a Waiting handles its own errors; should one escape, it must not strand the rest
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  } finally {
    // after a long hand-over line, let the array shrink back
    if (grantCount > 1024) grants.length = 0;
    grantCount = 0;
    delivering = false;
  }
}

/** What one section locks in one table: some keys (sorted by compareKeys) or the whole table. */
export interface TableScope<K> {
  table: LockTable<K>;
  keys: readonly K[] | null;
}

/**
 * Takes the locks of a section over one or more tables, in order: each table's map-wide lock,
 * then its keys. Every lock is requested the moment the one before it is granted, in the same
 * synchronous step, so a request never loses its place to one made later: grants are first come,
 * first served across the whole scope. Returns the section at once when every lock was free;
 * else calls onWait() (still synchronously, in the requester's context) for the Waiting that hears
 * the outcome later, and returns undefined. `bound` (if any) may end the wait, which gives back
 * what was taken.
 */
export function acquireSections<K>(
  scopes: readonly TableScope<K>[],
  write: boolean,
  bound: WaitBound | undefined,
  onWait: () => Waiting<Section<K>[]>,
): Section<K>[] | undefined {
  const keyMode: LockMode = write ? 'X' : 'S';
  // A key's lock is looked up when its turn comes: until then it may be dropped as idle.
  const steps: { table: LockTable<K>; mode: LockMode; key?: K; lock?: ModeLock }[] = [];
  for (const { table, keys } of scopes) {
    steps.push({ table, mode: globalModeOf(keys, write), lock: table.global });
    if (keys !== null) for (const key of keys) steps.push({ table, mode: keyMode, key });
  }
  const lockOf = (step: (typeof steps)[number]): ModeLock => (step.lock ??= step.table.keyLock(step.key!));
  const finish = (): Section<K>[] =>
    scopes.map(({ table, keys }) => {
      table.active++;
      return new Section(table, keys, write);
    });

  let taken = 0;
  while (taken < steps.length && lockOf(steps[taken]!).tryAcquire(steps[taken]!.mode)) taken++;
  if (taken === steps.length) {
    bound?.dispose();
    return finish();
  }

  const waiting = onWait();
  let waiter: Waiter | undefined;
  let stop = (): void => {};
  const advance = (): void => {
    waiter = undefined;
    while (taken < steps.length) {
      const step = steps[taken]!;
      const next: Waiter = { mode: step.mode, grant: () => {
        taken++;
        advance();
      } };
      if (!lockOf(step).enqueue(next)) {
        waiter = next;
        return;
      }
      taken++;
    }
    stop();
    bound?.dispose();
    deliver(waiting, finish());
  };
  if (bound !== undefined) {
    stop = bound.onEnd((error) => {
      if (taken === steps.length || waiter === undefined) return;
      changing++;
      try {
        lockOf(steps[taken]!).cancel(waiter);
        for (let j = taken - 1; j >= 0; j--) steps[j]!.lock!.release(steps[j]!.mode);
        for (let j = 0; j <= taken; j++) if (steps[j]!.key !== undefined) steps[j]!.table.forget(steps[j]!.key!);
        bound.dispose();
      } finally {
        changing--;
      }
      waiting.failed(error);
      deliverGrants();
    });
  }
  changing++;
  try {
    advance();
  } finally {
    changing--;
  }
  deliverGrants();
  return undefined;
}
