/**
 * Replays a trace recorded from the real Go 1.19 runtime map (see ../shared/golden/README.md for
 * the format) on a GoMap and lists every place where the port differs from Go.
 */
import { GoMap, bucketsForHint, type GoMapHeader } from './go-map.js';

type Key = number;
interface OpBase {
  after?: GoMapHeader;
  state?: GoMapHeader & { buckets: unknown; oldbuckets: unknown };
}
/** One step of a Go trace. */
export type GoTraceOp = OpBase &
  (
    | { op: 'set' | 'delete'; key: Key }
    | { op: 'get'; key: Key; found: boolean }
    | {
        op: 'iterate';
        startBucket: number;
        offset: number;
        order?: Key[];
        script?: { afterVisit: number; set?: Key[]; delete?: Key[] }[];
      }
    | { op: 'snapshot' }
  );

/** A trace file's content: operations on a map[uint64]uint64, or (hint-to-B) a table of hints. */
export interface GoTrace {
  go: string;
  scenario?: string;
  description?: string;
  hint?: number;
  hashes?: Record<string, string>;
  ops?: GoTraceOp[];
  rows?: { hint: number; B: number }[];
}

/** A difference between Go and GoMap: which op (by index), which field, and both values. */
export interface GoTraceMismatch {
  op: number;
  what: string;
  expected: unknown;
  actual: unknown;
}

const headerFields = ['count', 'flags', 'B', 'noverflow', 'nevacuate', 'growing'] as const;

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Why a replay cannot go on: the trace asks for something it does not define. */
class TraceError extends Error {
  constructor(
    what: string,
    readonly expected: unknown,
    readonly actual: unknown,
  ) {
    super(what);
  }
}

const opNames = new Set(['set', 'delete', 'get', 'iterate', 'snapshot']);

/** Throws a TypeError naming what is wrong when `trace` is not a trace at all. */
function checkTraceShape(trace: unknown): asserts trace is GoTrace {
  if (typeof trace !== 'object' || trace === null || Array.isArray(trace)) {
    throw new TypeError(`replayGoTrace: a trace is an object, got ${Array.isArray(trace) ? 'an array' : String(trace)}`);
  }
  const { ops, rows, hashes } = trace as GoTrace;
  if (!Array.isArray(ops) && !Array.isArray(rows)) {
    throw new TypeError("replayGoTrace: the trace has neither 'ops' nor 'rows' (see the golden README for the format)");
  }
  if (ops !== undefined && (typeof hashes !== 'object' || hashes === null)) {
    throw new TypeError("replayGoTrace: a trace with 'ops' needs 'hashes', each key's 64-bit hash in hex");
  }
}

/**
 * Replays the trace and returns its mismatches, in op order (empty when GoMap matches Go
 * exactly). Stops after `limit` mismatches, since one divergence usually cascades. A key with no
 * hash in the trace, or an op this format does not have, is reported as a mismatch and ends the
 * replay; a value that is not a trace at all is a TypeError.
 */
export function replayGoTrace(trace: GoTrace, limit = 20): GoTraceMismatch[] {
  checkTraceShape(trace);
  const mismatches: GoTraceMismatch[] = [];
  const report = (op: number, what: string, expected: unknown, actual: unknown) => {
    if (!sameJson(expected, actual)) mismatches.push({ op, what, expected, actual });
  };

  if (trace.rows !== undefined) {
    trace.rows.forEach((row, index) => {
      report(index, `B for hint ${row.hint}`, row.B, bucketsForHint(row.hint));
      if (row.hint > 0) report(index, `B for hint ${row.hint - 1}`, row.B - 1, bucketsForHint(row.hint - 1));
    });
    return mismatches;
  }

  const hashes = new Map<number, bigint>();
  for (const [key, hex] of Object.entries(trace.hashes ?? {})) hashes.set(Number(key), BigInt(`0x${hex}`));
  let nextRandom = 0;
  const map = new GoMap<Key, Key>({
    hint: trace.hint ?? 0,
    hasher: (key) => {
      const hash = hashes.get(key);
      if (hash === undefined) throw new TraceError(`hash of key ${key}`, 'a hash in trace.hashes', 'none');
      return hash;
    },
    random: () => nextRandom,
  });

  for (const [index, op] of (trace.ops ?? []).entries()) {
    if (mismatches.length >= limit) break;
    try {
      replayOp(map, op, index, report, (r) => (nextRandom = r));
    } catch (error) {
      if (!(error instanceof TraceError)) throw error;
      mismatches.push({ op: index, what: error.message, expected: error.expected, actual: error.actual });
      break;
    }
    // The header after every op; the bucket dumps (whose cost grows with 2^B) only where recorded.
    if (op.after !== undefined) {
      const header = map.header();
      for (const field of headerFields) report(index, `after.${field}`, op.after[field], header[field]);
    }
    if (op.state !== undefined) {
      const state = map.debug();
      for (const field of headerFields) report(index, `state.${field}`, op.state[field], state[field]);
      report(index, 'state.buckets', op.state.buckets, state.buckets);
      report(index, 'state.oldbuckets', op.state.oldbuckets, state.oldbuckets);
    }
  }
  return mismatches;
}

function replayOp(
  map: GoMap<Key, Key>,
  op: GoTraceOp,
  index: number,
  report: (op: number, what: string, expected: unknown, actual: unknown) => void,
  setRandom: (r: number) => void,
): void {
  if (!opNames.has(op.op)) throw new TraceError('op', [...opNames].join(' | '), op.op);
  switch (op.op) {
    case 'set':
      map.set(op.key, op.key * 3);
      break;
    case 'delete':
      map.delete(op.key);
      break;
    case 'get': {
      const value = map.get(op.key);
      report(index, `get(${op.key}) found`, op.found, value !== undefined);
      if (op.found) report(index, `get(${op.key}) value`, op.key * 3, value);
      break;
    }
    case 'iterate': {
      // Go draws r at loop start: startBucket = r & (2^B - 1), offset = (r >> B) & 7.
      setRandom((op.startBucket | (op.offset << map.header().B)) >>> 0);
      const order: Key[] = [];
      const script = new Map((op.script ?? []).map((step) => [step.afterVisit, step]));
      for (const [key, value] of map) {
        order.push(key);
        report(index, `value of ${key} in loop`, key * 3, value);
        const step = script.get(order.length);
        for (const k of step?.set ?? []) map.set(k, k * 3);
        for (const k of step?.delete ?? []) map.delete(k);
      }
      report(index, 'iteration order', op.order ?? [], order);
      break;
    }
    case 'snapshot':
      break;
  }
}
