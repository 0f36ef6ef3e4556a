/**
 * Participants: the threads attached to one shared map, in a table in shared memory, so that a
 * lock can tell whether the thread that holds it is still alive.
 *
 * A thread joins (register) when it creates or attaches the map and gets a row and an owner id;
 * the locks record owner ids, never thread ids, because a row is reused once its thread is gone.
 * A thread is known dead in two ways:
 *
 * - At once, by the thread that created it: every thread that loads this module listens to
 *   `process.on('worker')` and, for each worker it starts, to the worker's 'exit', and marks the
 *   worker's threadId dead in every table it is attached to. This is the only sure signal for
 *   `worker.terminate()`: a terminated worker runs none of its own `process.on('exit')` handlers
 *   (measured on Node 20), so it cannot say goodbye itself.
 * - By lease, for a thread whose creator does not watch (it created the worker before loading the
 *   runtime, or never attached this map): each thread refreshes a heartbeat in its rows from an
 *   unref'd timer and from every slice of a wait; a row whose heartbeat is older than the lease is
 *   presumed dead by the first thread that looks. A live thread whose event loop is kept busy
 *   longer than the lease is presumed dead too: the lease must exceed the longest synchronous
 *   stretch of any attached thread (docs/runtime.md, "Liveness").
 *
 * Marking a row dead also cleans it: the read shares its thread held in any lock of the table
 * (counted per row, see lock.ts) are dropped, then the row is free for the next thread. A dead
 * writer is left to the lock, which recovers it (lock.ts, "Recovery").
 *
 * Layout (Int32 words from `base`):
 *   header  MAGIC, CAPACITY, COUNTERS (read counters per row), ROW (words per row), LEASE (ms),
 *           GENERATION (next owner-id generation), DEATHS (rows ever marked dead)
 *   rows    CAPACITY rows of ROW words: STATE, THREAD, HEARTBEAT, then COUNTERS read counts,
 *           padded to 64 bytes so that threads do not share cache lines.
 * STATE is `ownerId << 2 | state`: every transition is one compareExchange on a word that names
 * the owner, so a row reused by a new thread can never be marked dead for its predecessor (no ABA).
 */
import { threadId } from 'node:worker_threads';
import { SafeMapError } from '../errors.js';

const MAGIC = 0x6d617070; // 'mapp'

// header words
const H_MAGIC = 0;
const H_CAPACITY = 1;
const H_COUNTERS = 2;
const H_ROW = 3;
const H_LEASE = 4;
const H_GENERATION = 5;
const H_DEATHS = 6;
const HEADER_WORDS = 16; // one cache line

// row words
const R_STATE = 0;
const R_THREAD = 1;
const R_HEARTBEAT = 2;
const R_COUNTS = 4;

// row states (the low two bits of R_STATE)
const FREE = 0;
const ALIVE = 1;
const DEAD = 2;
const CLEANING = 3;

/** The most rows a table may have: the slot number takes the low 10 bits of an owner id. */
export const MAX_PARTICIPANTS = 1023;
const SLOT_BITS = 10;
/** Generations wrap at 2^19, so that `ownerId << 2` stays a positive int32. */
const GENERATION_MASK = (1 << 19) - 1;

/** Default and limits of the lease, in milliseconds. */
export const DEFAULT_LEASE = 5000;
export const MIN_LEASE = 100;
export const MAX_LEASE = 2 ** 31 - 1;

/** Words a table with `capacity` rows of `counters` read counts takes. */
export function participantsWords(capacity: number, counters: number): number {
  return HEADER_WORDS + capacity * rowWords(counters);
}

function rowWords(counters: number): number {
  return Math.ceil((R_COUNTS + counters) / 16) * 16;
}

/** Milliseconds, as an int32 that wraps: ages are differences taken modulo 2^32. */
function now32(): number {
  return Date.now() | 0;
}

/**
 * One table of participants over shared memory. Each thread makes its own object over the same
 * words; the object holds nothing that other threads need.
 */
export class Participants {
  readonly capacity: number;
  readonly counters: number;
  readonly lease: number;
  private readonly row: number;
  /** Called (in this thread) after a row was marked dead and cleaned: locks wake their waiters. */
  onDeath: (() => void) | undefined;

  /** Writes the header of a new table; `words` must be zeroed. */
  static initialize(words: Int32Array, base: number, capacity: number, counters: number, lease: number): void {
    words[base + H_CAPACITY] = capacity;
    words[base + H_COUNTERS] = counters;
    words[base + H_ROW] = rowWords(counters);
    words[base + H_LEASE] = lease;
    words[base + H_GENERATION] = 1;
    Atomics.store(words, base + H_MAGIC, MAGIC);
  }

  constructor(
    readonly words: Int32Array,
    readonly base: number,
  ) {
    if (Atomics.load(words, base + H_MAGIC) !== MAGIC) throw new TypeError('shared map: the participants table is not initialized');
    this.capacity = words[base + H_CAPACITY]!;
    this.counters = words[base + H_COUNTERS]!;
    this.row = words[base + H_ROW]!;
    this.lease = words[base + H_LEASE]!;
  }

  private rowBase(slot: number): number {
    return this.base + HEADER_WORDS + slot * this.row;
  }

  /** The word index of `slot`'s read count for counter `counter` (lock.ts reads and writes it). */
  countIndex(slot: number, counter: number): number {
    return this.rowBase(slot) + R_COUNTS + counter;
  }

  /** Rows ever marked dead: a waiter that sees it change looks for dead holders. */
  get deaths(): number {
    return Atomics.load(this.words, this.base + H_DEATHS);
  }

  /**
   * Takes a free row for the current thread (cleaning rows whose lease ran out if none is free).
   * Throws ERR_TOO_MANY_THREADS when every row is held by a live thread.
   */
  register(mapName: string): Participant {
    // a free row; else rows whose lease ran out are freed (isAlive marks them dead), then a free row
    for (const pass of ['take', 'sweep', 'take']) {
      for (let slot = 0; slot < this.capacity; slot++) {
        const at = this.rowBase(slot) + R_STATE;
        const state = Atomics.load(this.words, at);
        if (pass === 'sweep') {
          if ((state & 3) === ALIVE) this.isAlive(state >>> 2);
          continue;
        }
        if ((state & 3) !== FREE) continue;
        const generation = Atomics.add(this.words, this.base + H_GENERATION, 1) & GENERATION_MASK;
        const ownerId = ((generation === 0 ? 1 : generation) << SLOT_BITS) | (slot + 1);
        // claim as CLEANING so that nobody treats the row as live before its fields are written
        if (Atomics.compareExchange(this.words, at, state, (ownerId << 2) | CLEANING) !== state) continue;
        const row = this.rowBase(slot);
        Atomics.store(this.words, row + R_THREAD, threadId);
        Atomics.store(this.words, row + R_HEARTBEAT, now32());
        Atomics.store(this.words, at, (ownerId << 2) | ALIVE);
        return new Participant(this, slot, ownerId);
      }
    }
    throw new SafeMapError(
      'ERR_TOO_MANY_THREADS',
      `${mapName}: all ${this.capacity} participant rows are held by live threads; raise the option 'maxThreads' ` +
        'when creating the map, or detach() the map in threads that are done with it',
    );
  }

  /** The slot an owner id names. */
  static slotOf(ownerId: number): number {
    return (ownerId & ((1 << SLOT_BITS) - 1)) - 1;
  }

  /**
   * Whether the thread of `ownerId` is alive: its row still names it as ALIVE and its heartbeat is
   * within the lease. A lease found expired marks the row dead (and cleans it) on the spot.
   */
  isAlive(ownerId: number): boolean {
    const slot = Participants.slotOf(ownerId);
    if (slot < 0 || slot >= this.capacity) return false;
    const row = this.rowBase(slot);
    const state = Atomics.load(this.words, row + R_STATE);
    if (state !== ((ownerId << 2) | ALIVE)) return false;
    const age = (now32() - Atomics.load(this.words, row + R_HEARTBEAT)) | 0;
    if (age <= this.lease) return true;
    this.markDead(slot, ownerId);
    return false;
  }

  /** The threadId last recorded for `ownerId`'s row (undefined when the row was reused since). */
  threadOf(ownerId: number): number | undefined {
    const slot = Participants.slotOf(ownerId);
    if (slot < 0 || slot >= this.capacity) return undefined;
    const row = this.rowBase(slot);
    const thread = Atomics.load(this.words, row + R_THREAD);
    return Atomics.load(this.words, row + R_STATE) >>> 2 === ownerId ? thread : undefined;
  }

  /** The owner id of `slot` when the row is live, else undefined. */
  ownerAt(slot: number): number | undefined {
    const state = Atomics.load(this.words, this.rowBase(slot) + R_STATE);
    return (state & 3) === ALIVE ? state >>> 2 : undefined;
  }

  /** @internal Whether `slot`'s row still names `ownerId` as alive (no lease check: for its own thread). */
  holds(slot: number, ownerId: number): boolean {
    return Atomics.load(this.words, this.rowBase(slot) + R_STATE) === ((ownerId << 2) | ALIVE);
  }

  /** Marks every live row of `thread` dead (the thread has exited). */
  markThreadDead(thread: number): void {
    for (let slot = 0; slot < this.capacity; slot++) {
      const row = this.rowBase(slot);
      const state = Atomics.load(this.words, row + R_STATE);
      if ((state & 3) === ALIVE && Atomics.load(this.words, row + R_THREAD) === thread) this.markDead(slot, state >>> 2);
    }
  }

  /**
   * ALIVE → DEAD → CLEANING (its read shares dropped) → FREE, each by compareExchange: of the
   * threads that find the same death, one does the work. The owner id stays in the word, so a
   * lock held by it still finds it dead, and threadOf names the thread until the row is reused.
   */
  private markDead(slot: number, ownerId: number): void {
    const at = this.rowBase(slot) + R_STATE;
    if (Atomics.compareExchange(this.words, at, (ownerId << 2) | ALIVE, (ownerId << 2) | DEAD) !== ((ownerId << 2) | ALIVE)) return;
    Atomics.store(this.words, at, (ownerId << 2) | CLEANING);
    const counts = this.rowBase(slot) + R_COUNTS;
    for (let i = 0; i < this.counters; i++) Atomics.store(this.words, counts + i, 0);
    Atomics.store(this.words, at, (ownerId << 2) | FREE);
    Atomics.add(this.words, this.base + H_DEATHS, 1);
    this.onDeath?.();
  }

  /** @internal Refreshes a row's heartbeat (only its own thread does). */
  beat(slot: number, ownerId: number): boolean {
    const row = this.rowBase(slot);
    if (Atomics.load(this.words, row + R_STATE) !== ((ownerId << 2) | ALIVE)) return false;
    Atomics.store(this.words, row + R_HEARTBEAT, now32());
    return true;
  }

  /** @internal Gives a row back (its thread leaves: it must hold no lock). */
  leave(slot: number, ownerId: number): void {
    const at = this.rowBase(slot) + R_STATE;
    Atomics.compareExchange(this.words, at, (ownerId << 2) | ALIVE, (ownerId << 2) | FREE);
  }

  /** Rows by state, for stats and tests. */
  census(): { alive: number; free: number; threads: number[] } {
    let alive = 0;
    let free = 0;
    const threads: number[] = [];
    for (let slot = 0; slot < this.capacity; slot++) {
      const row = this.rowBase(slot);
      const state = Atomics.load(this.words, row + R_STATE);
      if ((state & 3) === ALIVE && this.isAlive(state >>> 2)) {
        alive++;
        threads.push(Atomics.load(this.words, row + R_THREAD));
      } else if ((Atomics.load(this.words, row + R_STATE) & 3) === FREE) free++;
    }
    return { alive, free, threads };
  }
}

/** This thread's row in one table: its owner id, its heartbeat. */
export class Participant {
  private left = false;

  constructor(
    readonly table: Participants,
    readonly slot: number,
    readonly ownerId: number,
  ) {
    watching.add(this);
    startHeartbeat();
  }

  private uses = 0;

  /**
   * False once the row was marked dead (by another thread, when the lease ran out) or given back.
   * A thread never applies the lease to itself: it knows it is alive, and beats.
   */
  get alive(): boolean {
    return !this.left && this.table.holds(this.slot, this.ownerId);
  }

  /**
   * Counts a use of the row and beats every 256 uses, so that a thread busy with many short holds
   * stays alive between two runs of its heartbeat timer.
   */
  touch(): void {
    if (++this.uses < 256) return;
    this.uses = 0;
    this.beat();
  }

  /** The word index of this thread's read count for counter `counter`. */
  countIndex(counter: number): number {
    return this.table.countIndex(this.slot, counter);
  }

  beat(): boolean {
    return !this.left && this.table.beat(this.slot, this.ownerId);
  }

  /** Gives the row back; the caller makes sure this thread holds no lock of the table. */
  leave(): void {
    if (this.left) return;
    this.left = true;
    watching.delete(this);
    this.table.leave(this.slot, this.ownerId);
    if (watching.size === 0) stopHeartbeat();
  }
}

// ---- this thread's side: heartbeats, and deaths of the workers it starts ----------------------

/** The rows this thread holds, in every table it is attached to. */
const watching = new Set<Participant>();
let heartbeat: ReturnType<typeof setInterval> | undefined;
let heartbeatPeriod = 0;

/** Refreshes every row of this thread (also called from each slice of a wait). */
export function beatAll(): void {
  for (const participant of watching) participant.beat();
}

/** Runs the heartbeat at four beats per shortest lease, so that one late timer does not look like a death. */
function startHeartbeat(): void {
  let shortest = MAX_LEASE;
  for (const participant of watching) shortest = Math.min(shortest, participant.table.lease);
  const period = Math.max(10, Math.floor(shortest / 4));
  if (heartbeat !== undefined && heartbeatPeriod <= period) return;
  stopHeartbeat();
  heartbeatPeriod = period;
  heartbeat = setInterval(beatAll, period);
  heartbeat.unref();
}

function stopHeartbeat(): void {
  clearInterval(heartbeat);
  heartbeat = undefined;
}

/** Marks `thread` dead in every table this thread is attached to. */
function threadExited(thread: number): void {
  const tables = new Set<Participants>();
  for (const participant of watching) tables.add(participant.table);
  for (const table of tables) table.markThreadDead(thread);
}

// Installed once per copy of this module (ESM and CJS builds each have theirs, and each marks
// the tables it knows). A worker started before the module loaded is left to the lease.
process.on('worker', (worker) => {
  const id = worker.threadId;
  worker.once('exit', () => threadExited(id));
});
