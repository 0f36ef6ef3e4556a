/**
 * Happens-before for race mode: which async work of this process is ordered before which.
 *
 * Go's race detector instruments memory accesses at compile time and keeps a vector clock per
 * goroutine. JavaScript's tasks are promise reactions and event-loop callbacks, and V8 reports
 * every promise's life through `v8.promiseHooks`: `init(promise, parent)` when a reaction is
 * registered (`await p` and `p.then()` both create a promise whose parent is `p`), `settled` when a
 * promise is resolved, and `before`/`after` around each reaction. From those:
 *
 * - A **segment** is one synchronous run: a promise reaction (an `await` continuation or a `then`
 *   callback) or a macrotask (a timer, an I/O callback, a message). Events in a segment are in
 *   program order.
 * - A **point** is a moment in a segment: its global tick, and how many reactions the segment had
 *   registered before it (`regs`, used to tell a task's own reads from its caller's).
 * - A reaction's segment starts after two points: where it was registered (`await`/`then`) and
 *   where the promise it waits for was settled. That second edge is what orders a caller after the
 *   tasks it awaited, directly or through `Promise.all`, and a waiter after the lock holder that
 *   resolved its turn. A macrotask's segment has no known predecessor (it is concurrent with all
 *   earlier work unless a promise edge orders it).
 *
 * `happensBefore(a, b)` walks b's predecessors back in time, never past a's tick. The walk only
 * runs when a map sees an access by another segment that could conflict, so ordered code pays for
 * the hooks, not for walks.
 *
 * Memory stays bounded: segments live in a ring of the most recent `segmentWindow` segments and
 * refer to each other by id, never by reference, so no chain of promises keeps history alive. An
 * event older than the ring is forgotten: a race whose stale read is that old is not reported.
 *
 * Branches of a `Promise.all` run their synchronous prefixes in the caller's segment (as they do
 * in AsyncLocalStorage, where they share the caller's store until their first await). Their reads
 * there are told apart by what follows each read in that segment (ownRead): the reactions it
 * registers (a branch's first await), and the calls it makes (an async function's own promise is
 * pending until the function returns, so the caller's read is followed by a call still pending at
 * the branch's write).
 */
import { promiseHooks } from 'node:v8';

/** How many recent segments are kept; older ones are forgotten. */
const segmentWindow = 1 << 16;
const noPreds: readonly Point[] = [];

/**
 * A moment in a segment (see the file comment). Plain data: it never keeps a segment alive. A
 * map access is a point too (`op`, `trace`); points of the hooks leave those empty. One shape for
 * all, so the code that reads them stays monomorphic.
 */
export interface Point {
  readonly seg: number;
  readonly tick: number;
  /** Reactions the segment had registered before this point. */
  readonly regs: number;
  /** For a read: the window of calls its segment makes after its first read. */
  readonly window: CallWindow | null;
  /** The map operation, for an access. */
  readonly op: string;
  /** The stack recorded at an access (formatted only when a report needs it). */
  readonly trace: { stack?: string } | undefined;
  /** The key of a write access (undefined for clear() and for points of the hooks). */
  readonly key: unknown;
  /** A registration's point: the promise its reaction waits for, dropped when the reaction runs. */
  parent: TrackedPromise | undefined;
}

/**
 * The promises made without a parent (async function calls, `new Promise`) in a segment after its
 * first map read: they tell a task's own read from its caller's (see ownRead).
 */
export interface CallWindow {
  readonly calls: { readonly tick: number; settled: Point | undefined }[];
  overflow: boolean;
}

/** Calls recorded per window; past this the window stops telling calls apart. */
const callsPerWindow = 64;

/** What started a segment, for reports. */
export type SegmentOrigin = 'reaction' | 'macrotask';

interface Segment {
  readonly id: number;
  /** Tick at which the segment started; its predecessors are all earlier. */
  readonly start: number;
  readonly origin: SegmentOrigin;
  /** Where it was registered, and where the promise it waited for settled (or every joined one). */
  readonly preds: readonly Point[];
  /** Reactions registered by this segment so far. */
  regs: number;
  /** The calls made after the segment's first map read. */
  window: CallWindow | null;
  /** Marks segments visited by the current walk. */
  visit: number;
}

const kRegistered = Symbol('maprace.registered');
const kSettled = Symbol('maprace.settled');
const kJoins = Symbol('maprace.joins');
const kCall = Symbol('maprace.call');

interface TrackedPromise {
  [kRegistered]?: Point;
  [kSettled]?: Point;
  /** Promise.all / allSettled: the promises whose settling this one's settling follows. */
  [kJoins]?: readonly unknown[] | undefined;
  /** A call recorded in a window: where it settles. */
  [kCall]?: { settled: Point | undefined };
}

/** The process-wide tracker. One per process, shared by every copy of the runtime. */
export class RaceTracker {
  private tick = 0;
  private nextSegment = 1;
  private readonly ring: (Segment | undefined)[] = new Array<Segment | undefined>(segmentWindow);
  private current: Segment | null = null;
  private walk = 0;
  private readonly stopHooks: () => void;

  constructor() {
    this.stopHooks = <() => void>promiseHooks.createHook({
      init: (promise, parent) => this.onInit(promise as TrackedPromise, parent as TrackedPromise | undefined),
      settled: (promise) => this.onSettled(promise as TrackedPromise),
      before: (promise) => this.onBefore(promise as TrackedPromise),
      after: () => {
        this.current = null;
      },
    });
    this.joinCombinators();
  }

  /** Stops tracking (tests only: race mode stays on for the life of a process). */
  stop(): void {
    this.stopHooks();
    Promise.all = this.promiseAll;
    Promise.allSettled = this.promiseAllSettled;
  }

  private readonly promiseAll = Promise.all;
  private readonly promiseAllSettled = Promise.allSettled;

  /**
   * Promise.all and allSettled settle in the reaction of the last element to settle, which the
   * hooks link only to that element. Wrapped, their promise remembers every element, and its
   * settling follows all of theirs: a caller that awaited the branches is ordered after each.
   */
  private joinCombinators(): void {
    const join = <T>(combinator: (values: Iterable<unknown>) => Promise<T>) =>
      function (this: PromiseConstructor, values: Iterable<unknown>): Promise<T> {
        let items: unknown = values;
        if (values !== null && typeof values === 'object' && Symbol.iterator in values) {
          try {
            items = Array.from(values);
          } catch (error) {
            return this.reject(error) as Promise<T>; // as the combinator rejects on a throwing iterator
          }
        }
        const result = combinator.call(this, items as Iterable<unknown>) as TrackedPromise & Promise<T>;
        if (Array.isArray(items)) result[kJoins] = items;
        return result;
      };
    Promise.all = join(this.promiseAll) as typeof Promise.all;
    Promise.allSettled = join(this.promiseAllSettled) as typeof Promise.allSettled;
  }

  /** The current moment (an access when op is given), starting a macrotask segment if none is running. */
  point(op = '', trace?: { stack?: string }, key?: unknown): Point {
    const seg = this.current ?? this.startMacrotask();
    return { seg: seg.id, tick: ++this.tick, regs: seg.regs, window: null, op, trace, key, parent: undefined };
  }

  /** The current moment, for a read: with the window of calls that will follow it. */
  readPoint(op: string, trace: { stack?: string } | undefined): Point {
    const seg = this.current ?? this.startMacrotask();
    seg.window ??= { calls: [], overflow: false };
    return { seg: seg.id, tick: ++this.tick, regs: seg.regs, window: seg.window, op, trace, key: undefined, parent: undefined };
  }

  /** True while the segment with this id is running (no await has happened since). */
  inSegment(id: number): boolean {
    return this.current !== null && this.current.id === id;
  }

  /** How the segment of a point started, or undefined when it was forgotten. */
  originOf(point: Point): SegmentOrigin | undefined {
    return this.segment(point.seg)?.origin;
  }

  /** True when a happens before b: the same segment in program order, or a chain of edges. */
  happensBefore(a: Point, b: Point): boolean {
    return this.landing(a, b) !== undefined;
  }

  /**
   * True when read r, which happens before w, was made by w's own task, not by its caller or a
   * sibling that ran in the same segment before it:
   * - no call made between r and the point where w's chain left r's segment is still pending at w.
   *   The async function w runs in is pending until it returns, so a pending call made after the
   *   read may be that very function, called by a caller that had read the key;
   * - every reaction registered in between can be a callee's (as many calls made after r and
   *   settled since, such as an un-awaited logger): otherwise it is a sibling task's, which would
   *   own the read.
   */
  ownRead(r: Point, w: Point): boolean {
    if (r.seg === w.seg) return r.tick < w.tick;
    const leave = this.landing(r, w);
    if (leave === undefined) return false;
    const between = leave.regs - r.regs;
    const window = r.window;
    if (window === null || window.overflow) return between === 0;
    let callees = 0;
    for (const call of window.calls) {
      if (call.tick <= r.tick || call.tick >= leave.tick) continue;
      if (call.settled === undefined) return false;
      callees++;
    }
    return between <= callees;
  }

  /**
   * Walks b's predecessors back for a point of a's segment at or after a. Returns the earliest
   * such point (fewest registrations, then earliest tick): where b's chain left a's segment; or
   * undefined when a does not happen before b.
   */
  private landing(a: Point, b: Point): Point | undefined {
    if (a.seg === b.seg) return a.tick < b.tick ? a : undefined;
    if (a.tick >= b.tick) return undefined;
    const start = this.segment(b.seg);
    if (start === undefined) return undefined;
    const walk = ++this.walk;
    start.visit = walk;
    const stack: Segment[] = [start];
    let best: Point | undefined;
    while (stack.length > 0) {
      const seg = stack.pop()!;
      for (const pred of seg.preds) {
        if (pred.seg === a.seg) {
          // a itself (a settle point is its waiter's predecessor), or a later point of its segment.
          if (pred.tick >= a.tick && (best === undefined || pred.tick < best.tick)) best = pred;
          continue;
        }
        if (pred.tick <= a.tick) continue; // earlier than a: nothing before it can follow a
        const next = this.segment(pred.seg);
        // A segment that started before a cannot have a among its predecessors.
        if (next === undefined || next.visit === walk || next.start <= a.tick) continue;
        next.visit = walk;
        stack.push(next);
      }
    }
    return best;
  }

  private segment(id: number): Segment | undefined {
    const seg = this.ring[id & (segmentWindow - 1)];
    return seg !== undefined && seg.id === id ? seg : undefined;
  }

  private newSegment(origin: SegmentOrigin, preds: readonly Point[]): Segment {
    const seg: Segment = { id: this.nextSegment++, start: ++this.tick, origin, preds, regs: 0, window: null, visit: 0 };
    this.ring[seg.id & (segmentWindow - 1)] = seg;
    return seg;
  }

  /**
   * A synchronous run that no promise reaction started: a timer, an I/O callback, a message, the
   * main module. It ends when the microtasks after it start (or a reaction begins first).
   */
  private startMacrotask(): Segment {
    const seg = this.newSegment('macrotask', noPreds);
    this.current = seg;
    queueMicrotask(() => {
      if (this.current === seg) this.current = null;
    });
    return seg;
  }

  private onInit(promise: TrackedPromise, parent: TrackedPromise | undefined): void {
    if (parent === undefined) {
      // new Promise(), an async function's own promise: no reaction yet, but a call to tell apart.
      const window = this.current?.window;
      if (window === undefined || window === null || window.overflow) return;
      if (window.calls.length === callsPerWindow) {
        window.overflow = true;
        return;
      }
      const call = { tick: ++this.tick, settled: undefined };
      window.calls.push(call);
      promise[kCall] = call;
      return;
    }
    const seg = this.current ?? this.startMacrotask();
    const point = this.point();
    point.parent = parent;
    promise[kRegistered] = point;
    seg.regs++;
  }

  private onSettled(promise: TrackedPromise): void {
    const joins = promise[kJoins];
    if (joins === undefined) {
      const point = this.point();
      promise[kSettled] = point;
      const call = promise[kCall];
      if (call !== undefined) call.settled = point;
      return;
    }
    promise[kJoins] = undefined;
    const preds: Point[] = [this.point()];
    for (const item of joins) {
      const settled = (item as TrackedPromise | null)?.[kSettled];
      if (settled !== undefined) preds.push(settled);
    }
    // A segment of no code: the join of every element's settling, then this promise's.
    const join = this.newSegment('reaction', preds);
    promise[kSettled] = { seg: join.id, tick: ++this.tick, regs: 0, window: null, op: '', trace: undefined, key: undefined, parent: undefined };
  }

  private onBefore(promise: TrackedPromise): void {
    const registered = promise[kRegistered];
    if (registered === undefined) {
      this.current = this.newSegment('reaction', noPreds);
      return;
    }
    const settled = registered.parent?.[kSettled];
    registered.parent = undefined; // a kept `then` chain must not hold every earlier promise
    this.current = this.newSegment('reaction', settled === undefined ? [registered] : [registered, settled]);
  }
}

const trackerKey = Symbol.for('eslint-plugin-maprace.raceTracker');

interface TrackerGlobal {
  [trackerKey]?: RaceTracker;
}

/**
 * The process's tracker, started on first use. Shared through the global symbol registry, so the
 * ESM and CJS copies of the runtime (and several installs) feed one happens-before graph.
 */
export function raceTracker(): RaceTracker {
  const global = globalThis as TrackerGlobal;
  return (global[trackerKey] ??= new RaceTracker());
}
