/**
 * Race mode's detector: what a map in race mode checks at each access.
 *
 * Go's map panics when two goroutines touch it at the same instant. JavaScript never runs two
 * accesses at the same instant; its races are spread over an `await`. So a map in race mode keeps,
 * per key, the recent reads and the last write with the point (race-tracker.ts) each was made at,
 * and reports what Go's race detector would call a race on that key:
 *
 * - **A stale write** ("concurrent map read and map write"): a task writes a key after reading it,
 *   and since that read another task wrote the key, in work not ordered before this write. The
 *   write would drop the other task's update (a lost update, or a check-then-act that loads
 *   twice). A re-read after the other write makes the read fresh again.
 * - **A loop across a write** ("concurrent map iteration and map write"): a loop over the map
 *   resumes after an await, and meanwhile another task, not ordered before the resumed step,
 *   wrote or cleared the map. Writes by the looping task itself are allowed, as in Go.
 *
 * Blind writes, reads alone, tasks on their own keys, sequential code, and work ordered by
 * `await`/`Promise.all`/a lock (the writer awaited the other writer, or read after it) are never
 * reported. The report names both sides, as Go's race report does.
 */
import { ConcurrentMapError, describeKey, type ConcurrentMapErrorCode, type RaceReport, type RaceSide } from './errors.js';
import { isRaceModeRequested } from './race-flag.js';
import { raceTracker, type Point, type RaceTracker } from './race-tracker.js';

type Method = (...args: never[]) => unknown;

/** How race mode reports: throw ConcurrentMapError (default), or write the report to stderr. */
export type RaceReportMode = 'throw' | 'warn';

/** Race-mode settings of one map. */
export interface RaceModeOptions {
  /** 'throw' (default; `MAPRACE_REPORT=warn` changes the default) or 'warn'. */
  report?: RaceReportMode;
  /**
   * Record a short stack at every access, so a report shows where the stale read and the
   * conflicting write were made, not only where the race was found (the access that finds the
   * race always has its stack). Costly: several µs per access (docs/runtime.md, bench:race-mode);
   * default from `MAPRACE_STACKS=1`, else off.
   */
  stacks?: boolean;
}

const raceOptionKeys = new Set(['report', 'stacks']);

/** Checks a `race` option: a boolean or `{ report, stacks }`. */
export function checkRaceOption(owner: string, value: unknown): void {
  if (value === undefined || typeof value === 'boolean') return;
  if (typeof value !== 'object' || value === null) {
    throw new TypeError(`${owner}: option 'race' must be a boolean or an object, got ${value === null ? 'null' : typeof value}`);
  }
  for (const key of Object.keys(value)) {
    if (!raceOptionKeys.has(key)) throw new TypeError(`${owner}: unknown race option '${key}'`);
  }
  const { report, stacks } = value as RaceModeOptions;
  if (report !== undefined && report !== 'throw' && report !== 'warn') {
    throw new TypeError(`${owner}: race option 'report' must be 'throw' or 'warn', got ${String(report)}`);
  }
  if (stacks !== undefined && typeof stacks !== 'boolean') {
    throw new TypeError(`${owner}: race option 'stacks' must be a boolean, got ${typeof stacks}`);
  }
}

function envSetting(name: string): string | undefined {
  return typeof process === 'undefined' ? undefined : process.env[name];
}

/** One access, as a report names it: a point of the tracker with its op and stack. */
type Access = Point;

interface KeyState {
  lastWrite: Access | undefined;
  /** The latest read; most keys are read by one task, which needs no more. */
  lastRead: Access | undefined;
  /** The reads before lastRead, once there are several: a ring of up to readsPerKey - 1. */
  reads: Access[] | undefined;
  /** The oldest slot of `reads` once it is full. */
  nextRead: number;
}

/** A live loop over the map: where its last step was made, and which writes it has seen. */
export interface RaceLoop {
  last: Point;
  seen: number;
  readonly start: Access;
}

/** Reads kept per key: enough for every task of a wide Promise.all to find its own stale read. */
const readsPerKey = 1024;
/** Writes kept for loops to check; a loop that slept through more checks the latest ones. */
const writeLogSize = 64;
/** Keys whose history is kept; the oldest are forgotten past this. */
const keysKept = 100_000;
const stackDepth = 8;

/** The race-mode state of one map. */
export class MapRaceMonitor {
  private readonly tracker: RaceTracker = raceTracker();
  private readonly keys = new Map<unknown, KeyState>();
  private lastClear: Access | undefined;
  /** A ring of the last writeLogSize writes (their points, which carry the key). */
  private readonly writeLog: Access[] = [];
  /** The oldest slot of writeLog once it is full. */
  private writeLogNext = 0;
  /** The tick of the latest write, or 0. */
  private lastWriteTick = 0;
  private readonly report: RaceReportMode;
  private readonly stacks: boolean;
  private readonly warned = new Set<string>();

  constructor(
    /** The map's name in reports: `GoMap 'cache'`. */
    readonly mapName: string,
    options: RaceModeOptions = {},
  ) {
    this.report = options.report ?? (envSetting('MAPRACE_REPORT') === 'warn' ? 'warn' : 'throw');
    this.stacks = options.stacks ?? envSetting('MAPRACE_STACKS') === '1';
  }

  private trace(from: Method): { stack?: string } | undefined {
    if (!this.stacks) return undefined;
    const trace = {};
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = stackDepth;
    Error.captureStackTrace(trace, from);
    Error.stackTraceLimit = limit;
    return trace;
  }

  private stateOf(key: unknown): KeyState {
    let state = this.keys.get(key);
    if (state === undefined) {
      if (this.keys.size >= keysKept) this.keys.delete(this.keys.keys().next().value);
      state = { lastWrite: undefined, lastRead: undefined, reads: undefined, nextRead: 0 };
      this.keys.set(key, state);
    }
    return state;
  }

  /** A get/has of key. `from` is the public method, left out of recorded stacks. */
  read(key: unknown, op: string, from: Method): void {
    const state = this.stateOf(key);
    const access = this.tracker.readPoint(op, this.trace(from));
    const last = state.lastRead;
    state.lastRead = access;
    if (last === undefined) return;
    const reads = (state.reads ??= []);
    if (reads.length < readsPerKey - 1) reads.push(last);
    else reads[state.nextRead] = last;
    state.nextRead = (state.nextRead + 1) % (readsPerKey - 1);
  }

  /** A set/delete of key: reports a stale write, then records this one. */
  write(key: unknown, op: string, from: Method): void {
    const state = this.stateOf(key);
    const access = this.tracker.point(op, this.trace(from), key);
    const previous = later(state.lastWrite, this.lastClear);
    if (previous !== undefined && state.lastRead !== undefined) this.checkStaleWrite(key, state, previous, access, from);
    state.lastWrite = access;
    this.log(access);
  }

  /** A clear(): a write of every key. */
  clear(from: Method): void {
    const access = this.tracker.point('clear', this.trace(from));
    this.lastClear = access;
    this.log(access);
  }

  private log(access: Access): void {
    if (this.writeLog.length < writeLogSize) this.writeLog.push(access);
    else this.writeLog[this.writeLogNext] = access;
    this.writeLogNext = (this.writeLogNext + 1) % writeLogSize;
    this.lastWriteTick = access.tick;
  }

  /** The key's reads, newest first. */
  private *readsOf(state: KeyState): Generator<Access> {
    if (state.lastRead !== undefined) yield state.lastRead;
    const reads = state.reads;
    if (reads === undefined) return;
    for (let n = 1; n <= reads.length; n++) yield reads[(state.nextRead - n + reads.length) % reads.length]!;
  }

  private checkStaleWrite(key: unknown, state: KeyState, previous: Access, write: Access, from: Method): void {
    const tracker = this.tracker;
    if (previous.seg === write.seg || tracker.happensBefore(previous, write)) return;
    // The writer's latest read of the key decides: fresh if made after the other write.
    for (const read of this.readsOf(state)) {
      if (!tracker.happensBefore(read, write)) continue; // another task's read
      if (read.tick > previous.tick) return; // re-checked after the other write
      if (tracker.ownRead(read, write) || !tracker.happensBefore(read, previous)) {
        this.raise('ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE', key, write, from, [
          { role: 'previous write', access: previous, note: 'after the read below, and not ordered before this write' },
          { role: 'stale read', access: read, note: 'the value this write is based on' },
        ]);
      }
      return;
    }
  }

  /** Starts watching a loop (the iterator was just created). */
  loopStart(from: Method): RaceLoop {
    const start = this.tracker.point('loop', this.trace(from));
    return { last: start, seen: this.lastWriteTick, start };
  }

  /** A step of a loop: reports writes by other tasks since the step before, across an await. */
  loopStep(loop: RaceLoop, from: Method): void {
    if (this.lastWriteTick === loop.seen || this.tracker.inSegment(loop.last.seg)) {
      loop.seen = this.lastWriteTick;
      return;
    }
    const step = this.tracker.point('loop step', this.trace(from));
    const unseen = this.writeLog.filter((write) => write.tick > loop.seen).sort((a, b) => a.tick - b.tick);
    loop.last = step;
    loop.seen = this.lastWriteTick;
    for (const write of unseen) {
      if (this.tracker.happensBefore(write, step)) continue; // the loop's own task, or work it awaited
      this.raise('ERR_CONCURRENT_MAP_ITERATION_AND_MAP_WRITE', write.key, step, from, [
        { role: 'conflicting write', access: write, note: 'made while the loop was suspended' },
        { role: 'loop', access: loop.start, note: 'started here; it resumed after an await' },
      ]);
      return;
    }
  }

  private raise(code: ConcurrentMapErrorCode, key: unknown, at: Access, from: Method, others: { role: string; access: Access; note: string }[]): void {
    const side = (role: string, access: Access, note: string): RaceSide => ({
      role,
      op: access.op,
      task: this.taskName(access),
      note,
      stack: access.trace === undefined ? undefined : framesOf(access.trace.stack),
    });
    const report: RaceReport = {
      map: this.mapName,
      key,
      access: side(code === 'ERR_CONCURRENT_MAP_ITERATION_AND_MAP_WRITE' ? 'loop step' : 'write', at, 'found here'),
      others: others.map((other, i) => {
        // Two sides in one synchronous run: Promise.all branches before their first await run in
        // their caller's run, one after another, so they share its number.
        const twin = others.find((o, j) => j < i && o.access.seg === other.access.seg);
        const note = twin === undefined ? other.note : `${other.note}; in the same synchronous run as the ${twin.role}, a later call`;
        return side(other.role, other.access, note);
      }),
    };
    const error = new ConcurrentMapError(code, { mapName: this.mapName, key, race: report });
    Error.captureStackTrace(error, from);
    // What Node prints for an uncaught error or an unhandled rejection: Go's text, then the report.
    const text = formatRaceReport(error.message, report, framesOf(error.stack));
    error.stack = `${error.name}: ${error.message}\n${text}`;
    if (this.report === 'warn') {
      const once = `${code}\0${String(key)}`;
      if (this.warned.has(once)) return;
      this.warned.add(once);
      process.stderr.write(`${text}\n`);
      return;
    }
    throw error;
  }

  private taskName(point: Point): string {
    const origin = this.tracker.originOf(point);
    const how = origin === 'reaction' ? 'an await or then continuation' : origin === 'macrotask' ? 'a callback, timer or the main script' : 'forgotten';
    return `task ${point.seg} (${how})`;
  }
}

function later(a: Access | undefined, b: Access | undefined): Access | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a.tick > b.tick ? a : b;
}

/** The `at …` lines of a stack, without Node's internal frames. */
function framesOf(stack: string | undefined): string {
  if (stack === undefined) return '';
  return stack
    .split('\n')
    .filter((line) => line.trimStart().startsWith('at ') && !line.includes('node:internal/'))
    .map((line) => `    ${line.trim()}`)
    .join('\n');
}

/** Go's race-report layout: what was found, then each side with its task and stack. */
export function formatRaceReport(message: string, report: RaceReport, accessFrames: string): string {
  const key = report.key === undefined ? 'every key (clear)' : `key ${describeKey(report.key)}`;
  const lines = ['WARNING: DATA RACE', `${message}: ${report.map}, ${key}`];
  const sideLines = (title: string, side: RaceSide, frames: string | undefined): void => {
    lines.push('', `${title} by ${side.task} (${side.note}):`);
    lines.push(frames === undefined || frames === '' ? '    (no stack recorded: MAPRACE_STACKS=1 records one)' : frames);
  };
  sideLines(capitalize(report.access.role), report.access, accessFrames);
  for (const other of report.others) sideLines(capitalize(other.role), other, other.stack);
  lines.push('==================');
  return lines.join('\n');
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}



interface Watchable {
  get(key: unknown): unknown;
  has(key: unknown): boolean;
  set(key: unknown, value: unknown): unknown;
  delete(key: unknown): boolean;
  clear(): void;
  entries(): Iterator<unknown>;
  keys(): Iterator<unknown>;
  values(): Iterator<unknown>;
  [Symbol.iterator](): Iterator<unknown>;
}

const iteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())) as object;
const monitors = new WeakMap<object, MapRaceMonitor>();

/** The monitor of a map in race mode, or undefined. */
export function raceMonitorOf(map: object): MapRaceMonitor | undefined {
  return monitors.get(map);
}

/**
 * Puts a map in race mode: its own get/has/set/delete/clear and iterator methods check and record
 * each access, then call the class's method. Maps not in race mode keep the class's methods
 * untouched, so they pay nothing.
 */
export function watchAccesses(map: Watchable, monitor: MapRaceMonitor): void {
  if (monitors.has(map)) return;
  monitors.set(map, monitor);
  const proto = Object.getPrototypeOf(map) as Watchable;
  const define = (name: PropertyKey, value: Method): void => {
    Object.defineProperty(map, name, { value, writable: true, configurable: true, enumerable: false });
  };
  const { get, has, set, clear } = proto;
  const remove = proto.delete;
  define('get', function raceGet(this: Watchable, key: unknown) {
    monitor.read(key, 'get', raceGet);
    return get.call(this, key);
  });
  define('has', function raceHas(this: Watchable, key: unknown) {
    monitor.read(key, 'has', raceHas);
    return has.call(this, key);
  });
  define('set', function raceSet(this: Watchable, key: unknown, value: unknown) {
    monitor.write(key, 'set', raceSet);
    return set.call(this, key, value);
  });
  define('delete', function raceDelete(this: Watchable, key: unknown) {
    monitor.write(key, 'delete', raceDelete);
    return remove.call(this, key);
  });
  define('clear', function raceClear(this: Watchable) {
    monitor.clear(raceClear);
    clear.call(this);
  });
  for (const name of ['entries', 'keys', 'values', Symbol.iterator] as const) {
    const open = proto[name] as (this: Watchable) => Iterator<unknown>;
    define(name, function raceIterate(this: Watchable) {
      const it = open.call(this);
      const loop = monitor.loopStart(raceIterate);
      const watched = Object.create(iteratorPrototype) as Iterator<unknown> & Iterable<unknown>;
      watched.next = function next() {
        monitor.loopStep(loop, next);
        return it.next();
      };
      watched[Symbol.iterator] = function iterator() {
        return this;
      };
      return watched;
    });
  }
}

/** Options of `watchMap(map, options)`. */
export interface WatchMapOptions {
  /** The map's name in reports. */
  name?: string;
  /** As GoMap's option: default on when the process asked for race mode. */
  race?: boolean | RaceModeOptions;
}

const watchOptionKeys = new Set(['name', 'race']);

/**
 * Race mode for a plain `Map` (or any object with Map's methods, such as a SafeMap): when race
 * mode is on, instruments the map in place and returns it; otherwise returns it untouched, so
 * `const cache = watchMap(new Map())` costs nothing in production.
 *
 * Covered: get/has/set/delete/clear and loops through keys()/values()/entries()/for…of, made
 * through this object. Not covered: `forEach` (synchronous, a loop it runs cannot span an await),
 * `Map.prototype.get.call(map, …)`, and copies of the map.
 */
export function watchMap<M extends Map<unknown, unknown>>(map: M, options: WatchMapOptions = {}): M {
  if (!(map instanceof Map) && !isMapLike(map)) {
    throw new TypeError(`watchMap: expected a Map, got ${map === null ? 'null' : typeof map}`);
  }
  if (typeof options !== 'object' || options === null) throw new TypeError('watchMap: options must be an object');
  for (const key of Object.keys(options)) {
    if (!watchOptionKeys.has(key)) throw new TypeError(`watchMap: unknown option '${key}'`);
  }
  if (options.name !== undefined && typeof options.name !== 'string') {
    throw new TypeError(`watchMap: option 'name' must be a string, got ${typeof options.name}`);
  }
  checkRaceOption('watchMap', options.race);
  const race = options.race ?? isRaceModeRequested();
  if (race === false) return map;
  const kind = (map as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] ?? 'Map';
  const name = options.name === undefined ? kind : `${kind} '${options.name}'`;
  watchAccesses(map as unknown as Watchable, new MapRaceMonitor(name, race === true ? {} : race));
  return map;
}

function isMapLike(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const map = value as Record<string, unknown>;
  return ['get', 'has', 'set', 'delete', 'clear', 'entries', 'keys', 'values'].every((name) => typeof map[name] === 'function');
}
