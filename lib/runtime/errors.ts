/**
 * The errors the runtime throws. Go's runtime reports misuse of a map with `fatal error: …`
 * texts that Go programmers know by heart; ConcurrentMapError carries exactly those texts so a
 * report from JavaScript reads like the crash it stands for.
 */

/** Go's texts for the concurrent-access fatal errors of runtime/map.go, by error code. */
export const concurrentMapMessages = {
  ERR_CONCURRENT_MAP_WRITES: 'concurrent map writes',
  ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE: 'concurrent map read and map write',
  ERR_CONCURRENT_MAP_ITERATION_AND_MAP_WRITE: 'concurrent map iteration and map write',
} as const;

export type ConcurrentMapErrorCode = keyof typeof concurrentMapMessages;

// A brand shared by every copy of this module (the package ships ESM and CJS builds), so that
// `instanceof ConcurrentMapError` holds whichever copy threw.
const brand = Symbol.for('eslint-plugin-maprace.ConcurrentMapError');

/**
 * A `GoMap.holdWriting(key)` call whose release function has not run: while it lasts, Go's
 * `hashWriting` flag is set and every access to the map throws.
 */
export interface WritingHold {
  /** The key holdWriting was called with (undefined when it was called without one). */
  readonly key: unknown;
  /** Where holdWriting was called: stack lines (`    at …`), its caller first. */
  readonly stack: string;
}

/** Details that locate the misuse; they never change Go's message text. */
export interface ConcurrentMapErrorDetails {
  /** The name the map was given (e.g. in race mode), when it has one. */
  mapName?: string;
  /** The key being accessed when the conflict was observed. */
  key?: unknown;
  /** The holdWriting() call that holds the write flag, when that is what the access ran into. */
  heldBy?: WritingHold;
  /** Race mode's report: both sides of the race, each with its task and stack. */
  race?: RaceReport;
  /**
   * What the access ran into, in words, given as the error's `cause` (SafeMap and ShardedMap: see
   * heldKeyWriteCause). A `heldBy` hold makes its own cause instead.
   */
  cause?: Error;
}

/** One side of a race that race mode found: an access, the task that made it, and where. */
export interface RaceSide {
  /** What the access was to the race: `write`, `stale read`, `previous write`, `loop`, … */
  role: string;
  /** The map operation: `get`, `has`, `set`, `delete`, `clear`, `loop`, `loop step`. */
  op: string;
  /** The task that made it (`task 12 (an await or then continuation)`). */
  task: string;
  /** Why this side matters to the race. */
  note: string;
  /** The `at …` lines recorded at the access; undefined unless stacks are recorded (`MAPRACE_STACKS=1`). */
  stack: string | undefined;
}

/** What race mode reports with a ConcurrentMapError, in the shape of Go's race report. */
export interface RaceReport {
  /** The map's name: `GoMap 'cache'`. */
  map: string;
  key: unknown;
  /** The access that found the race (it threw, or was logged). */
  access: RaceSide;
  /** The other sides: the conflicting write, and the stale read or the loop. */
  others: RaceSide[];
}

/**
 * Thrown when a map observes what Go's `hashWriting` checks observe: an access that begins while
 * a write to the same map is in progress. `message` is Go's text exactly; `code` tells which.
 *
 * When the write in progress is a `GoMap.holdWriting(key)` whose release function has not run
 * (a hold taken by hand and forgotten), `heldBy` says which key it was taken
 * for and where, and `cause` is an Error that explains it in words, with holdWriting's caller as
 * its stack, and names the ways out: call the release function, or `map.releaseWriting()`.
 */
export class ConcurrentMapError extends Error {
  override readonly name = 'ConcurrentMapError';
  readonly code: ConcurrentMapErrorCode;
  readonly mapName: string | undefined;
  readonly key: unknown;
  /** Race mode's report of both sides; undefined for the errors Go's own checks raise. */
  declare readonly race: RaceReport | undefined;
  /** The holdWriting() call that holds the write flag, if that is what the access ran into. */
  readonly heldBy: WritingHold | undefined;

  constructor(code: ConcurrentMapErrorCode, details: ConcurrentMapErrorDetails = {}) {
    if (!Object.hasOwn(concurrentMapMessages, code)) {
      throw new TypeError(`ConcurrentMapError: unknown code ${String(code)}`);
    }
    const heldBy = details.heldBy;
    const cause = heldBy === undefined ? details.cause : writingHoldCause(details.mapName, heldBy);
    super(concurrentMapMessages[code], cause === undefined ? undefined : { cause });
    this.code = code;
    this.mapName = details.mapName;
    this.key = details.key;
    // Not enumerable: Node prints an uncaught error's own fields after its stack, which already
    // holds the report.
    Object.defineProperty(this, 'race', { value: details.race, enumerable: false });
    this.heldBy = heldBy;
    Object.defineProperty(this, brand, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && brand in value;
  }
}

/** The `cause` of an error that ran into a holdWriting(): what holds the flag, where, and the way out. */
function writingHoldCause(mapName: string | undefined, hold: WritingHold): Error {
  const map = mapName === undefined ? 'the GoMap' : `GoMap '${mapName}'`;
  const cause = new Error(
    `${map}: its write flag (Go's hashWriting) is held by holdWriting(${hold.key === undefined ? '' : describeKey(hold.key)}), ` +
      'whose release function has not run yet, and every access to the map throws until it does. Call the function ' +
      'holdWriting returned; if it is lost, map.releaseWriting() clears the hold. holdWriting was called at:',
  );
  cause.stack = `${cause.name}: ${cause.message}\n${hold.stack}`;
  return cause;
}

/**
 * Whose section a plain write of a SafeMap or ShardedMap ran into: a write section of the task
 * that wrote (withLock, update, getOrCompute's fn, a lock() handle it bound or used), a read
 * section of that task, or a section of another task.
 */
export type SectionHolder = 'this task' | "this task's read lock" | 'another task';

/**
 * The `cause` of the "concurrent map writes" a SafeMap or ShardedMap throws when a plain `set` or
 * `delete` meets a key a section holds, or a `clear()` meets any section: the map, the key, whose
 * section it is, and how to write instead. `mapName` is how the map names itself (`SafeMap 'hits'`).
 */
export function heldKeyWriteCause(mapName: string, op: 'set' | 'delete' | 'clear', key: unknown, holder: SectionHolder): Error {
  const call = op === 'set' ? 'view.set(key, value)' : op === 'delete' ? 'view.delete(key)' : 'view.clear()';
  const write = op === 'clear' ? 'a plain clear()' : `a plain ${op}() of key ${describeKey(key)}`;
  const held = op === 'clear' ? 'a section holds keys of the map' : `a section holds key ${describeKey(key)}`;
  const committed = 'whose writes are committed when it ends and would overwrite this one';
  switch (holder) {
    case 'this task':
      return new Error(
        `${mapName}: ${write} inside a section of this task (withLock, update, getOrCompute, or a lock() handle) ` +
          `that holds ${op === 'clear' ? 'keys of the map' : 'that key'}, ${committed}; write through the section's view: ${call}` +
          (op === 'clear' ? " (a whole-map section's: withLock(null, fn))" : ''),
      );
    case "this task's read lock":
      return new Error(
        `${mapName}: ${write} while this task holds a read lock on it (withReadLock or readLock()), which readers rely on ` +
          `being stable; a read lock's view cannot write: take ${op === 'clear' ? 'the whole map (scope null)' : 'the key'} ` +
          `with withLock or lock() instead and write through the section's view: ${call}`,
      );
    case 'another task':
      return new Error(
        `${mapName}: ${write} while ${held} for another task (withLock, update, getOrCompute, or a lock() handle), ` +
          `${committed}; wait for ${op === 'clear' ? 'the map' : 'the key'} instead: ` +
          (op === 'clear'
            ? 'await map.withLock(null, (view) => view.clear())'
            : op === 'set'
              ? 'await map.update(key, () => value), or write through a section\'s view: view.set(key, value)'
              : 'await map.getAndDelete(key), or write through a section\'s view: view.delete(key)'),
      );
  }
}

/** A key as error messages show it: strings quoted, symbols by their description. */
export function describeKey(key: unknown): string {
  return typeof key === 'string' ? `'${key}'` : typeof key === 'symbol' ? key.toString() : String(key);
}

/** Codes of SafeMapError: how a guarded section was misused or why a wait for a lock ended. */
export type SafeMapErrorCode =
  | 'ERR_LOCK_REENTRY'
  | 'ERR_KEY_NOT_LOCKED'
  | 'ERR_LOCK_RELEASED'
  | 'ERR_LOCK_TIMEOUT'
  | 'ERR_LOCK_ABORTED'
  /** Shared maps: a thread died holding the lock and left the data inconsistent (the message names it). */
  | 'ERR_LOCK_OWNER_DIED'
  /** Shared maps: this thread was presumed dead (its lease ran out) while it held the lock, which was taken over. */
  | 'ERR_LOCK_LOST'
  /** Shared maps: every participant row of the map is held by a live thread (option `maxThreads`). */
  | 'ERR_TOO_MANY_THREADS';

const safeMapBrand = Symbol.for('eslint-plugin-maprace.SafeMapError');

/**
 * Thrown by SafeMap and ShardedMap when a section is misused (a lock taken again from inside a
 * section, a view used outside its keys or after its section) or a wait for a lock ends.
 */
export class SafeMapError extends Error {
  override readonly name = 'SafeMapError';
  readonly code: SafeMapErrorCode;

  constructor(code: SafeMapErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    Object.defineProperty(this, safeMapBrand, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && safeMapBrand in value;
  }
}

const mapFullBrand = Symbol.for('eslint-plugin-maprace.MapFullError');

/**
 * Thrown by a shared-memory map (`GoMap.shared`, `SafeMap.shared`, `ShardedMap.shared`) when a
 * write needs more memory than its SharedArrayBuffer may grow to (`maxByteLength`). It is thrown
 * before the write changes anything: the map keeps every entry it had. A RangeError, as the
 * failure to allocate an ArrayBuffer is; `code` is `ERR_MAP_FULL`.
 */
export class MapFullError extends RangeError {
  override readonly name = 'MapFullError';
  readonly code = 'ERR_MAP_FULL';
  /** How the map names itself (`GoMap.shared 'hits'`). */
  readonly mapName: string;
  /** The key of the write that did not fit (undefined for a map created too small for its hint). */
  readonly key: unknown;
  /** The limit the buffer may not grow past. */
  readonly maxByteLength: number;

  constructor(mapName: string, key: unknown, maxByteLength: number, message: string) {
    super(message);
    this.mapName = mapName;
    this.key = key;
    this.maxByteLength = maxByteLength;
    Object.defineProperty(this, mapFullBrand, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && mapFullBrand in value;
  }
}
