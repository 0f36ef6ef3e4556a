/**
 * Reader/writer locks across threads, in a SharedArrayBuffer: what SafeMap.shared and
 * ShardedMap.shared hold while they touch their store (lock striping: one lock per shard).
 *
 * A LockSpace is one SharedArrayBuffer: a header, the participants table (participants.ts), N
 * lock records, and words the caller asks for (the maps keep their compute claims there). Each
 * thread attaches it once (attach() hands the same object back for the same memory) and gets one
 * owner id for it.
 *
 * One lock record (Int32 words, padded to 64 bytes):
 *   STATE        0: no writer; -ownerId: that participant has the writer flag (it is draining
 *                readers, or holds the lock); POISONED: a writer died and left the data broken
 *   WAITING      writers waiting for the flag (readers defer to them: writer preference)
 *   OWNER_THREAD threadId of the flag's holder, for messages
 *   POISONED_BY  threadId + 1 of the dead writer, once poisoned
 *   DRAIN_SEQ    bumped by a reader leaving while a writer drains (the writer waits on it)
 *   RECOVERIES   dead holders recovered so far
 * Readers are not counted in STATE but per participant (in its row of the participants table):
 * a reader adds 1 to its own count, then reads STATE; a writer sets STATE, then sums the counts.
 * Atomics are sequentially consistent, so one of the two sees the other (the handshake of
 * Dekker's algorithm). The per-participant count is what lets a dead reader's share be dropped
 * exactly: it is its row, zeroed when the row is marked dead.
 *
 * Fairness: writer-preferring, not FIFO. A reader that finds a writer holding, draining or waiting
 * waits; so a steady stream of writers can hold readers back, never the reverse. Among waiters of
 * the same kind, whoever wakes first wins. Several tasks of one thread share the thread's owner
 * id: a second task of the thread waits for the first like any waiter (asynchronously), and one
 * thread's read shares stack.
 *
 * Waiting: Atomics.wait (sync variants, bounded by a timeout; they throw rather than wait for a
 * hold of their own thread, which could never end, and before they block they give back the writer
 * flags of this thread's async acquisitions still draining readers) and Atomics.waitAsync (async variants: the
 * main thread, and any caller that must not block its event loop). Every wait is cut in slices of
 * SLICE ms: each slice refreshes this thread's heartbeat and looks at the holder's liveness.
 *
 * Recovery: a waiter that finds the flag held by a dead participant takes the flag over
 * (compareExchange from the dead owner to itself), then calls the lock's `onOwnerDied` check of
 * the data it protects. If the check passes, the lock goes on as taken (a writer keeps it, a
 * reader releases it and reads). If it throws, the lock is POISONED: every later attempt throws
 * SafeMapError ERR_LOCK_OWNER_DIED naming the dead thread, with the check's error as cause.
 */
import { threadId } from 'node:worker_threads';
import { SafeMapError } from '../errors.js';
import { checkLockOptions, describeValue, MAX_TIMEOUT, WaitBound, type LockOptions } from '../locks.js';
import { beatAll, DEFAULT_LEASE, MAX_PARTICIPANTS, MIN_LEASE, Participant, Participants, participantsWords } from './participants.js';

const SPACE_MAGIC = 0x6d61706c; // 'mapl'

// space header words
const S_MAGIC = 0;
const S_LOCKS = 1;
const S_PARTICIPANTS = 2;
const S_LOCK_BASE = 3;
const S_EXTRA_BASE = 4;
const S_EXTRA_WORDS = 5;
const S_ID_LO = 6;
const S_ID_HI = 7;
const S_SYNC_TIMEOUT = 8;
const SPACE_HEADER = 16;

// lock record words
const STATE = 0;
const WAITING = 1;
const OWNER_THREAD = 2;
const POISONED_BY = 3;
const DRAIN_SEQ = 4;
const RECOVERIES = 5;
const LOCK_WORDS = 16;

const POISONED = -(2 ** 31);

/** Longest single wait: how soon a waiter looks at liveness (and beats) while it waits. */
export const SLICE = 50;

export const DEFAULT_MAX_THREADS = 64;
export const DEFAULT_SYNC_TIMEOUT = 5000;

/** How a lock space is laid out. All counts are checked by the caller (see checkSpaceOptions). */
export interface LockSpaceOptions {
  /** Number of locks. */
  locks: number;
  /** Participant rows: threads attached at once. */
  maxThreads: number;
  /** Lease in ms: a participant whose heartbeat is older is presumed dead. */
  lease: number;
  /** Bound of the synchronous waits of plain operations, in ms. */
  syncTimeout: number;
  /** Words of shared memory the caller wants for itself (zeroed). */
  extraWords: number;
}

/** Checks the liveness options a shared map accepts; returns them with their defaults. */
export function checkSpaceOptions(
  what: string,
  options: { maxThreads?: unknown; lease?: unknown; syncTimeout?: unknown },
): { maxThreads: number; lease: number; syncTimeout: number } {
  const integer = (name: string, value: unknown, fallback: number, min: number, max: number): number => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new TypeError(`${what}: option '${name}' must be an integer from ${min} to ${max}, got ${describeValue(value)}`);
    }
    return value;
  };
  return {
    maxThreads: integer('maxThreads', options.maxThreads, DEFAULT_MAX_THREADS, 1, MAX_PARTICIPANTS),
    lease: integer('lease', options.lease, DEFAULT_LEASE, MIN_LEASE, MAX_TIMEOUT),
    syncTimeout: integer('syncTimeout', options.syncTimeout, DEFAULT_SYNC_TIMEOUT, 0, MAX_TIMEOUT),
  };
}

type WaitAsync = (words: Int32Array, index: number, value: number, timeout?: number) =>
  | { async: false; value: 'not-equal' | 'timed-out' }
  | { async: true; value: Promise<'ok' | 'timed-out'> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/** This thread's spaces, by the id in their header: attaching the same memory again reuses one. */
const attached = new Map<string, LockSpace>();

/**
 * This thread's locks whose writer flag an asynchronous acquisition holds while it drains readers,
 * not granted yet (no user code has run under it): what a synchronous wait gives back first.
 */
const pendingFlags = new Set<SharedRWLock>();

/**
 * Gives back the writer flags of this thread's asynchronous acquisitions that are still draining
 * readers (they take them again when they wake). A synchronous wait calls it before it blocks: the
 * thread it waits for may be blocked on one of those flags, and this thread's event loop, which
 * would let the acquisition go on, is about to stop. Returns how many it gave back.
 */
function yieldPendingFlags(): number {
  let given = 0;
  for (const lock of [...pendingFlags]) if (lock.yieldPendingFlag()) given++;
  return given;
}

/**
 * One SharedArrayBuffer of locks and participants, as this thread sees it. Obtain with
 * LockSpace.create(...) or LockSpace.attach(buffer): one object per thread and memory.
 */
export class LockSpace {
  readonly words: Int32Array;
  readonly participants: Participants;
  readonly syncTimeout: number;
  /** The words of the caller's own region: [extraBase, extraBase + extraWords). */
  readonly extraBase: number;
  readonly extraWords: number;
  private readonly locks: SharedRWLock[] = [];
  private readonly id: string;
  private me: Participant;
  private refs = 1;
  /** Locks this thread holds or drains for, in this space (read shares and writer flags). */
  holds = 0;

  static create(options: LockSpaceOptions): SharedArrayBuffer {
    const participantsBase = SPACE_HEADER;
    const lockBase = participantsBase + participantsWords(options.maxThreads, options.locks);
    const extraBase = lockBase + options.locks * LOCK_WORDS;
    const buffer = new SharedArrayBuffer((extraBase + options.extraWords) * 4);
    const words = new Int32Array(buffer);
    Participants.initialize(words, participantsBase, options.maxThreads, options.locks, options.lease);
    words[S_LOCKS] = options.locks;
    words[S_PARTICIPANTS] = participantsBase;
    words[S_LOCK_BASE] = lockBase;
    words[S_EXTRA_BASE] = extraBase;
    words[S_EXTRA_WORDS] = options.extraWords;
    words[S_ID_LO] = (Math.random() * 2 ** 32) | 0;
    words[S_ID_HI] = (Math.random() * 2 ** 32) | 0;
    words[S_SYNC_TIMEOUT] = options.syncTimeout;
    Atomics.store(words, S_MAGIC, SPACE_MAGIC);
    return buffer;
  }

  /** This thread's object for the space in `buffer` (registering the thread on first attach). */
  static attach(buffer: SharedArrayBuffer, mapName: string): LockSpace {
    const words = new Int32Array(buffer);
    if (words.length < SPACE_HEADER || Atomics.load(words, S_MAGIC) !== SPACE_MAGIC) {
      throw new TypeError(`${mapName}: the handle's lock buffer is not a shared map's`);
    }
    const id = `${words[S_ID_HI]}:${words[S_ID_LO]}`;
    const known = attached.get(id);
    if (known !== undefined) {
      known.refs++;
      return known;
    }
    const space = new LockSpace(words, id, mapName);
    attached.set(id, space);
    return space;
  }

  private constructor(words: Int32Array, id: string, private readonly mapName: string) {
    this.words = words;
    this.id = id;
    this.participants = new Participants(words, words[S_PARTICIPANTS]!);
    this.participants.onDeath = () => this.wakeAll();
    this.syncTimeout = words[S_SYNC_TIMEOUT]!;
    this.extraBase = words[S_EXTRA_BASE]!;
    this.extraWords = words[S_EXTRA_WORDS]!;
    this.me = this.participants.register(mapName);
    const lockBase = words[S_LOCK_BASE]!;
    for (let i = 0; i < words[S_LOCKS]!; i++) this.locks.push(new SharedRWLock(this, i, lockBase + i * LOCK_WORDS));
  }

  get lockCount(): number {
    return this.locks.length;
  }

  lock(index: number): SharedRWLock {
    return this.locks[index]!;
  }

  /**
   * This thread's participant. A thread presumed dead (its lease ran out while it was busy) joins
   * again under a new owner id, but only once it holds nothing: what it held was taken over.
   */
  participant(): Participant {
    const me = this.me;
    me.touch();
    if (this.holds === 0 && !me.alive) {
      me.leave();
      this.me = this.participants.register(this.mapName);
    }
    return this.me;
  }

  /** Wakes every waiter of every lock: a participant died, or a wait was given up. */
  wakeAll(): void {
    for (const lock of this.locks) lock.wake();
  }

  /**
   * Lets go of this thread's attachment; the last detach of the thread gives its row back.
   * Throws if the thread still holds a lock of the space.
   */
  detach(): void {
    if (this.refs === 0) return;
    if (this.refs === 1 && this.holds !== 0) {
      throw new SafeMapError('ERR_LOCK_REENTRY', `${this.mapName}: detach() while this thread holds or waits for a lock of the map; end its sections first`);
    }
    this.refs--;
    if (this.refs > 0) return;
    attached.delete(this.id);
    this.me.leave();
  }

  get detached(): boolean {
    return this.refs === 0;
  }
}

/** One acquisition in progress, of one lock, by one task of this thread. */
class Acquisition {
  /** The value of the word it last found in its way, to wait on. */
  observed = 0;
  /** It counted itself in WAITING. */
  counted = false;
  /** It holds the writer flag and waits for readers to leave. */
  draining = false;
  drainSeq = 0;
  /** Made by a synchronous (blocking) call. */
  sync = false;
  constructor(readonly write: boolean) {}
}

/** A wait ended: the error that ended it. */
type WaitEnd = { error: SafeMapError | undefined };

/**
 * One reader/writer lock of a LockSpace, as this thread sees it. Holds belong to the thread:
 * unlockRead/unlockWrite release one read share or the write lock this thread holds.
 */
export class SharedRWLock {
  /** The name of what the lock guards, for messages (`SafeMap 'hits'`, `ShardedMap 'x' shard 3`). */
  name = 'shared lock';
  /**
   * Called when a waiter has taken over the lock from a writer that died holding it, with the
   * dead thread's id: throws when the data the lock guards is not consistent (the lock is then
   * poisoned), else makes it usable again (the lock goes on as taken).
   */
  onOwnerDied: ((deadThread: number | undefined) => void) | undefined;
  /** Read shares this thread holds. */
  private readers = 0;
  /** The acquisition of this thread that has the writer flag (draining or holding). */
  private flag: Acquisition | undefined;
  private flagHeld = false;
  /** Acquisitions of this thread counted in WAITING. */
  private waitingHere = 0;

  constructor(
    private readonly space: LockSpace,
    /** The lock's index: also the index of its read counter in each participant row. */
    readonly index: number,
    private readonly base: number,
  ) {}

  /** What this thread holds: 'write' (held, or draining readers for a task of it), 'read', or undefined. */
  get heldByThisThread(): 'write' | 'read' | undefined {
    return this.flag !== undefined ? 'write' : this.readers > 0 ? 'read' : undefined;
  }

  /** True when this thread holds the write lock (readers drained). */
  get writeHeld(): boolean {
    return this.flag !== undefined && this.flagHeld;
  }

  /** Dead holders this lock recovered, over its life. */
  get recoveries(): number {
    return Atomics.load(this.space.words, this.base + RECOVERIES);
  }

  /** Wakes every waiter of this lock, in every thread. */
  wake(): void {
    const words = this.space.words;
    Atomics.add(words, this.base + DRAIN_SEQ, 1);
    Atomics.notify(words, this.base + STATE);
    Atomics.notify(words, this.base + DRAIN_SEQ);
  }

  // ---- one attempt -----------------------------------------------------------------------------

  /** One attempt at a read share; true when held. */
  private stepRead(acq: Acquisition): boolean {
    const words = this.space.words;
    const me = this.space.participant();
    const count = me.countIndex(this.index);
    if (this.readers > 0) {
      // this thread holds a share already: no writer can hold the lock, stack another one
      Atomics.add(words, count, 1);
      this.took(false);
      return true;
    }
    Atomics.add(words, count, 1);
    const state = Atomics.load(words, this.base + STATE);
    // An asynchronous reader defers to writers waiting in other threads. A synchronous one does
    // not: the writers it would defer to may be tasks of threads that are themselves blocked in
    // a synchronous read deferring to this thread's waiting writers, and none could ever move.
    // Once a writer has the flag, every reader waits (writers cannot starve: they take the flag
    // with one compareExchange, whatever the readers do).
    if (state === 0 && (acq.sync || Atomics.load(words, this.base + WAITING) <= this.waitingHere)) {
      this.took(false);
      return true;
    }
    Atomics.sub(words, count, 1);
    if (state === POISONED) throw this.poisonedError();
    if (state < 0) {
      this.readerLeft();
      const owner = -state;
      if (owner !== me.ownerId && !this.space.participants.isAlive(owner)) {
        // recover the dead writer, then give the flag back and try again
        if (this.takeOver(state, acq, me)) {
          this.releaseFlag();
          return this.stepRead(acq);
        }
      }
    }
    acq.observed = Atomics.load(words, this.base + STATE);
    return false;
  }

  /** One attempt at the write lock; true when held (the flag taken and the readers gone). */
  private stepWrite(acq: Acquisition): boolean {
    const words = this.space.words;
    if (this.flag === acq) return this.drained(acq);
    const me = this.space.participant();
    for (;;) {
      const state = Atomics.load(words, this.base + STATE);
      if (state === 0 && this.flag === undefined) {
        if (Atomics.compareExchange(words, this.base + STATE, 0, -me.ownerId) !== 0) continue;
        this.gotFlag(acq);
        return this.drained(acq);
      }
      if (state === POISONED) throw this.poisonedError();
      if (state < 0 && -state !== me.ownerId && !this.space.participants.isAlive(-state)) {
        if (this.takeOver(state, acq, me)) return this.drained(acq);
        continue;
      }
      acq.observed = state;
      if (!acq.counted) {
        acq.counted = true;
        this.waitingHere++;
        Atomics.add(words, this.base + WAITING, 1);
      }
      return false;
    }
  }

  private gotFlag(acq: Acquisition): void {
    const words = this.space.words;
    Atomics.store(words, this.base + OWNER_THREAD, threadId);
    this.flag = acq;
    this.flagHeld = false;
    if (!acq.sync) pendingFlags.add(this);
    this.space.holds++;
    if (acq.counted) {
      acq.counted = false;
      this.waitingHere--;
      Atomics.sub(words, this.base + WAITING, 1);
    }
  }

  /** With the flag: true once no participant has a read share. */
  private drained(acq: Acquisition): boolean {
    const words = this.space.words;
    const table = this.space.participants;
    acq.drainSeq = Atomics.load(words, this.base + DRAIN_SEQ);
    for (let slot = 0; slot < table.capacity; slot++) {
      if (Atomics.load(words, table.countIndex(slot, this.index)) !== 0) {
        acq.draining = true;
        return false;
      }
    }
    acq.draining = false;
    this.flagHeld = true;
    pendingFlags.delete(this);
    return true;
  }

  /**
   * Gives back the writer flag an asynchronous acquisition of this thread holds while it drains
   * readers (see yieldPendingFlags); its wait wakes and takes the flag again. False when there is
   * no such flag.
   */
  yieldPendingFlag(): boolean {
    pendingFlags.delete(this);
    const acq = this.flag;
    if (acq === undefined || this.flagHeld || acq.sync) return false;
    acq.draining = false;
    acq.observed = 0;
    try {
      this.releaseFlag();
    } catch {
      // taken over while this thread was presumed dead: the acquisition simply tries again
    }
    this.wake(); // its waitAsync (on DRAIN_SEQ) ends and it steps again
    return true;
  }

  /**
   * Takes the flag from a dead writer (`state` is -its owner id) and runs the recovery check.
   * False when another waiter was first. Throws ERR_LOCK_OWNER_DIED when the check fails.
   */
  private takeOver(state: number, acq: Acquisition, me: Participant): boolean {
    const words = this.space.words;
    const dead = -state;
    const deadThread = this.space.participants.threadOf(dead) ?? Atomics.load(words, this.base + OWNER_THREAD);
    if (Atomics.compareExchange(words, this.base + STATE, state, -me.ownerId) !== state) return false;
    this.gotFlag(acq);
    try {
      this.onOwnerDied?.(deadThread);
    } catch (cause) {
      Atomics.store(words, this.base + POISONED_BY, deadThread + 1);
      Atomics.store(words, this.base + STATE, POISONED);
      this.flag = undefined;
      pendingFlags.delete(this);
      this.space.holds--;
      this.wake();
      throw this.poisonedError(cause);
    }
    Atomics.add(words, this.base + RECOVERIES, 1);
    return true;
  }

  private poisonedError(cause?: unknown): SafeMapError {
    const thread = Atomics.load(this.space.words, this.base + POISONED_BY) - 1;
    const why = cause instanceof Error ? `: ${cause.message}` : '';
    return new SafeMapError(
      'ERR_LOCK_OWNER_DIED',
      `${this.name}: thread ${thread} died holding the write lock and left the data it guards inconsistent${why}; ` +
        'the map cannot be used any more (make a new one)',
      cause === undefined ? undefined : { cause },
    );
  }

  /** A read share was dropped while a writer drains: tell it. */
  private readerLeft(): void {
    const words = this.space.words;
    Atomics.add(words, this.base + DRAIN_SEQ, 1);
    Atomics.notify(words, this.base + DRAIN_SEQ);
  }

  private took(write: boolean): void {
    if (!write) {
      this.readers++;
      this.space.holds++;
    }
  }

  /** Gives back what a failed or ended acquisition holds: its place among waiting writers, its flag. */
  private abandon(acq: Acquisition): void {
    const words = this.space.words;
    if (acq.counted) {
      acq.counted = false;
      this.waitingHere--;
      Atomics.sub(words, this.base + WAITING, 1);
      Atomics.notify(words, this.base + STATE); // readers deferring to this writer may go
    }
    if (this.flag === acq) this.releaseFlag();
  }

  private releaseFlag(): void {
    const words = this.space.words;
    const me = this.space.participant();
    pendingFlags.delete(this);
    this.flag = undefined;
    this.flagHeld = false;
    this.space.holds--;
    if (Atomics.compareExchange(words, this.base + STATE, -me.ownerId, 0) !== -me.ownerId) {
      this.wake();
      throw new SafeMapError(
        'ERR_LOCK_LOST',
        `${this.name}: this thread (${threadId}) was presumed dead while it held the write lock (its heartbeat was older than ` +
          `the lease of ${this.space.participants.lease} ms: its event loop was blocked that long) and another thread took the lock over; ` +
          'what it wrote may have overlapped the other thread\'s writes. Raise the option \'lease\', or keep sections shorter',
      );
    }
    Atomics.notify(words, this.base + STATE);
  }

  /** Looks at the liveness of the participants that hold read shares (their leases). */
  private checkReaders(): void {
    const table = this.space.participants;
    const words = this.space.words;
    for (let slot = 0; slot < table.capacity; slot++) {
      if (Atomics.load(words, table.countIndex(slot, this.index)) === 0) continue;
      const owner = table.ownerAt(slot);
      if (owner !== undefined) table.isAlive(owner);
    }
  }

  /** The word and value a blocked acquisition waits on. */
  private waitTarget(acq: Acquisition): [number, number] {
    return acq.draining ? [this.base + DRAIN_SEQ, acq.drainSeq] : [this.base + STATE, acq.observed];
  }

  private step(acq: Acquisition): boolean {
    return acq.write ? this.stepWrite(acq) : this.stepRead(acq);
  }

  // ---- waiting ---------------------------------------------------------------------------------

  private timeoutError(what: string, timeout: number, write: boolean): SafeMapError {
    const state = Atomics.load(this.space.words, this.base + STATE);
    const holder = state < 0 && state !== POISONED
      ? `thread ${Atomics.load(this.space.words, this.base + OWNER_THREAD)} holds the write lock`
      : 'threads hold read shares';
    return new SafeMapError(
      'ERR_LOCK_TIMEOUT',
      `${this.name}.${what}: timed out after ${timeout} ms waiting for the ${write ? 'write' : 'read'} lock (${holder})${this.ownHoldsNote(holder)}`,
    );
  }

  /**
   * For a timed-out synchronous wait: the locks this thread holds meanwhile (a section of one of its
   * tasks, mid-flight). The thread that holds what it waited for may be waiting for one of them, and
   * neither event loop can run until a wait ends: say so, and what to do instead.
   */
  private ownHoldsNote(holder: string): string {
    const held: string[] = [];
    for (const space of attached.values()) {
      for (let i = 0; i < space.lockCount; i++) {
        const lock = space.lock(i);
        if (lock === this) continue;
        if (lock.writeHeld) held.push(`${lock.name} (write lock)`);
        else if (lock.readers > 0) held.push(`${lock.name} (read share)`);
      }
    }
    if (held.length === 0) return '';
    return (
      `; this thread (${threadId}) holds a section on ${held.join(', ')} while it waits for ${this.name}, held by ${holder.startsWith('thread ') ? holder.replace(/ holds .*$/u, '') : 'readers in other threads'}: ` +
      'if that thread waits for this one, neither event loop can run until a wait gives up. A plain (synchronous) operation must not ' +
      'wait for another thread while a section of its own thread is open: use the async API (update, withLock, …) in tasks that may overlap sections'
    );
  }

  /** Throws instead of blocking for a hold of this thread's own, which could never end during the wait. */
  private refuseSelfWait(what: string, write: boolean): void {
    if (this.flag !== undefined && !this.flagHeld && !this.flag.sync) this.yieldPendingFlag();
    if (this.flag !== undefined || (write && this.readers > 0)) {
      throw new SafeMapError(
        'ERR_LOCK_REENTRY',
        `${this.name}.${what}: this thread already holds ${this.flag !== undefined ? 'the write lock' : 'a read share'} ` +
          '(a section of another task of this thread), and a synchronous wait would block the event loop that must release it',
      );
    }
  }

  /** Takes a read share, blocking up to `timeout` ms (default: the space's syncTimeout). */
  readLockSync(timeout?: number, what = 'readLockSync'): void {
    this.refuseSelfWait(what, false);
    this.acquireSync(new Acquisition(false), timeout ?? this.space.syncTimeout, what);
  }

  /** Takes the write lock, blocking up to `timeout` ms (default: the space's syncTimeout). */
  writeLockSync(timeout?: number, what = 'writeLockSync'): void {
    this.refuseSelfWait(what, true);
    this.acquireSync(new Acquisition(true), timeout ?? this.space.syncTimeout, what);
  }

  private acquireSync(acq: Acquisition, timeout: number, what: string): void {
    acq.sync = true;
    // uncontended: no clock, no closure
    try {
      if (acq.write ? this.stepWrite(acq) : this.stepRead(acq)) return;
    } catch (error) {
      this.abandon(acq);
      throw error;
    }
    this.waitSync(acq, timeout, what, () => this.step(acq));
  }

  private waitSync(acq: Acquisition, timeout: number, what: string, step: () => boolean): void {
    const words = this.space.words;
    const deadline = Date.now() + timeout;
    let yielded = false;
    try {
      while (!step()) {
        if (!yielded) {
          // before this thread's event loop stops: its pending acquisitions let go of their flags
          yielded = true;
          if (yieldPendingFlags() > 0) continue;
        }
        const remaining = deadline - Date.now();
        if (remaining <= 0) throw this.timeoutError(what, timeout, acq.write);
        const [index, value] = this.waitTarget(acq);
        const outcome = Atomics.wait(words, index, value, Math.min(SLICE, remaining));
        beatAll();
        if (outcome === 'timed-out' && acq.draining) this.checkReaders();
      }
    } catch (error) {
      this.abandon(acq);
      throw error;
    }
  }

  /** One attempt at a read share, no waiting (not deferring to waiting writers). */
  tryReadLock(): boolean {
    const acq = new Acquisition(false);
    acq.sync = true;
    return this.stepRead(acq);
  }

  /** One attempt at the write lock, no waiting (false when readers are in). */
  tryWriteLock(): boolean {
    if (this.flag !== undefined) return false;
    const acq = new Acquisition(true);
    if (this.stepWrite(acq)) return true;
    this.abandon(acq);
    return false;
  }

  /** Takes a read share, waiting with Atomics.waitAsync (the event loop keeps running). */
  readLock(options?: LockOptions, what = 'readLock'): Promise<void> {
    return this.acquireThen(false, options, what, noop);
  }

  /** Takes the write lock, waiting with Atomics.waitAsync (the event loop keeps running). */
  writeLock(options?: LockOptions, what = 'writeLock'): Promise<void> {
    return this.acquireThen(true, options, what, noop);
  }

  /**
   * Takes the lock (waiting with Atomics.waitAsync) and calls granted() in the same step as the
   * grant, before any other code of this thread runs: the lock is never held idle while other
   * tasks of the thread run, one of which could block the thread in a synchronous wait that a
   * thread waiting for this lock holds up. Resolves to what granted() returns (it owns the lock
   * from then on); a failed wait rejects and granted() is not called.
   */
  acquireThen<T>(write: boolean, options: LockOptions | undefined, what: string, granted: () => T): Promise<Awaited<T>> {
    const acq = new Acquisition(write);
    let held: boolean;
    try {
      if (options !== undefined) checkLockOptions(`${this.name}.${what}`, options);
      if (options?.signal?.aborted === true) {
        throw new SafeMapError('ERR_LOCK_ABORTED', `${this.name}.${what}: aborted before waiting for the lock`, { cause: options.signal.reason });
      }
      held = this.step(acq);
    } catch (error) {
      try {
        this.abandon(acq);
      } catch {
        // the error that ended the attempt is the one to report
      }
      return Promise.reject(error);
    }
    if (held) {
      try {
        return Promise.resolve(granted());
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const bounded = options !== undefined && (options.signal !== undefined || options.timeout !== undefined);
    const end: WaitEnd = { error: undefined };
    let bound: WaitBound | undefined;
    if (bounded) {
      bound = new WaitBound(`${this.name}.${what}`, options.signal, options.timeout);
      bound.onEnd((error) => {
        end.error = error;
        const [index] = this.waitTarget(acq);
        Atomics.notify(this.space.words, index); // wake our own wait (others re-check and sleep again)
      });
    }
    return this.waitLoop(acq, end, bound, granted);
  }

  private async waitLoop<T>(acq: Acquisition, end: WaitEnd, bound: WaitBound | undefined, granted: () => T): Promise<Awaited<T>> {
    const words = this.space.words;
    try {
      for (;;) {
        const [index, value] = this.waitTarget(acq);
        const wait = waitAsync(words, index, value, SLICE);
        let outcome: string;
        if (wait.async) {
          // a pending waitAsync does not keep Node's event loop alive: a timer does
          const keepAlive = setTimeout(noop, SLICE + 10);
          outcome = await wait.value;
          clearTimeout(keepAlive);
        } else outcome = wait.value;
        if (end.error !== undefined) throw end.error;
        beatAll();
        if (outcome === 'timed-out' && acq.draining) this.checkReaders();
        if (this.step(acq)) break;
        if (!wait.async) await new Promise(setImmediate); // the word changed under us: let others run
      }
    } catch (error) {
      bound?.dispose();
      this.abandon(acq);
      throw error;
    }
    bound?.dispose();
    return await granted();
  }

  // ---- release ---------------------------------------------------------------------------------

  /** Releases one read share of this thread. */
  unlockRead(): void {
    if (this.readers === 0) throw new Error(`${this.name}: unlockRead() without a read share held by this thread`);
    const words = this.space.words;
    const me = this.space.participant(); // (alive checked there only when the thread holds nothing)
    this.readers--;
    this.space.holds--;
    if (!me.alive) {
      throw new SafeMapError('ERR_LOCK_LOST', `${this.name}: this thread (${threadId}) was presumed dead while it held a read share (lease ran out)`);
    }
    Atomics.sub(words, me.countIndex(this.index), 1);
    if (Atomics.load(words, this.base + STATE) < 0) this.readerLeft();
  }

  /** Releases the write lock this thread holds. */
  unlockWrite(): void {
    if (this.flag === undefined || !this.flagHeld) throw new Error(`${this.name}: unlockWrite() without the write lock held by this thread`);
    this.releaseFlag();
  }
}

function noop(): void {}
