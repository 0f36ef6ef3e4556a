/**
 * Tools for testing code shared by concurrent async tasks: gates a test opens by hand to hold a
 * section open, seeded random pauses that interleave tasks, a watchdog that turns a hang into a
 * failure with a message, and a record of which tasks are inside a critical section.
 *
 * None of them measures time: delays only create interleavings, and what a test asserts is the
 * order of events and the final state.
 */
import { expect } from 'vitest';
import { seededUint32 } from './random.js';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Resolves once every task that can run without a timer has run: the microtask queue drains
 * before an immediate fires, and a lock hand-over is a chain of microtasks.
 */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A promise the test resolves by hand, to keep a section open until the test says so. */
export interface Gate {
  readonly promise: Promise<void>;
  open(): void;
}

export function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** The state of a promise, readable synchronously (after `await settle()`). */
export interface Tracked<T> {
  readonly promise: Promise<T>;
  readonly state: 'pending' | 'fulfilled' | 'rejected';
  readonly value: T | undefined;
  readonly error: unknown;
}

export function track<T>(promise: Promise<T>): Tracked<T> {
  const tracked = { promise, state: 'pending' as Tracked<T>['state'], value: undefined as T | undefined, error: undefined as unknown };
  promise.then(
    (value) => Object.assign(tracked, { state: 'fulfilled', value }),
    (error: unknown) => Object.assign(tracked, { state: 'rejected', error }),
  );
  return tracked;
}

/** The reason `promise` rejects with; fails the test when it fulfils instead. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    const value = await promise;
    expect.fail(`expected a rejection, got a fulfilment with ${String(value)}`);
  } catch (error) {
    return error;
  }
}

/**
 * `work`, unless it has not settled within `ms`: then the test fails saying what hung. A lock
 * that deadlocks never settles, so without this a deadlock would show as vitest's bare timeout.
 */
export async function withinWatchdog<T>(what: string, work: Promise<T>, ms = 4000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`watchdog: ${what} did not settle within ${ms} ms (deadlock or hang)`)), ms);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** A seeded source of floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  const next = seededUint32(seed);
  return () => next() / 2 ** 32;
}

/**
 * Pauses of random kinds, drawn from a seeded source so that a failing interleaving replays:
 * a few microtask turns (the commonest: another ready task runs), an immediate (every ready
 * task runs), or a 0 ms timer (other timers' tasks run too).
 */
export function randomPauses(random: () => number): () => Promise<void> {
  return async () => {
    const kind = random();
    if (kind < 0.6) {
      for (let turns = Math.floor(random() * 4); turns >= 0; turns--) await Promise.resolve();
    } else if (kind < 0.9) {
      await settle();
    } else {
      await sleep(0);
    }
  };
}

/**
 * Who is inside a critical section: writers and readers per key, and of the whole map. `enter`
 * records a violation (instead of throwing inside the code under test) whenever the newcomer
 * conflicts with someone inside: a writer with anyone on its keys or the whole map, a reader
 * with a writer. A test asserts `violations` is empty and reads the peaks.
 */
export class Occupancy<K> {
  readonly violations: string[] = [];
  private readonly writers = new Map<K, number>();
  private readonly readers = new Map<K, number>();
  private wholeWriters = 0;
  private wholeReaders = 0;
  private readonly peakReaders = new Map<K | null, number>();

  /** Enters a section over `keys` (null: the whole map) as a writer or a reader; returns its exit. */
  enter(keys: readonly K[] | null, write: boolean, who: string): () => void {
    const anyWriter = () => this.wholeWriters > 0 || [...this.writers.values()].some((n) => n > 0);
    const anyone = () => anyWriter() || this.wholeReaders > 0 || [...this.readers.values()].some((n) => n > 0);
    if (keys === null) {
      if (write ? anyone() : anyWriter()) this.violations.push(`${who} entered the whole map while a conflicting section was inside`);
      if (write) this.wholeWriters++;
      else this.bumpReaders(null, ++this.wholeReaders);
    } else {
      if (this.wholeWriters > 0 || (write && this.wholeReaders > 0)) {
        this.violations.push(`${who} entered ${keys.join(',')} during a whole-map section`);
      }
      for (const key of keys) {
        const conflict = (this.writers.get(key) ?? 0) > 0 || (write && (this.readers.get(key) ?? 0) > 0);
        if (conflict) this.violations.push(`${who} entered ${String(key)} while a conflicting section held it`);
        const counts = write ? this.writers : this.readers;
        counts.set(key, (counts.get(key) ?? 0) + 1);
        if (!write) this.bumpReaders(key, counts.get(key)!);
      }
    }
    let left = false;
    return () => {
      if (left) return;
      left = true;
      if (keys === null) {
        if (write) this.wholeWriters--;
        else this.wholeReaders--;
      } else {
        const counts = write ? this.writers : this.readers;
        for (const key of keys) counts.set(key, counts.get(key)! - 1);
      }
    };
  }

  /** The most readers seen inside at once, of one key or (null) of the whole map. */
  peakReadersOf(key: K | null): number {
    return this.peakReaders.get(key) ?? 0;
  }

  private bumpReaders(key: K | null, count: number): void {
    this.peakReaders.set(key, Math.max(this.peakReaders.get(key) ?? 0, count));
  }
}
