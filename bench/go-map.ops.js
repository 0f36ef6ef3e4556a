// The timed operations of bench/go-map.bench.js, written once for any Map-like class (the
// synchronous get/set part of bench/safe-map.bench.js runs them on SafeMap too).
//
// The bench script imports this module once per (implementation, key type), each time under a
// different URL, so every copy has its own functions and therefore its own V8 type feedback. Were
// Map and GoMap driven through the same closures, each `map.get` call site would turn polymorphic
// and both sides would be measured through code that no real program runs. The timing loop lives
// here for the same reason.

/** Results folded in here cannot be proven unused, so V8 cannot drop the work that made them. */
let sink = 0;

/** The sink's value, printed by the bench script. */
export function readSink() {
  return sink;
}

/**
 * Runs `calls` calls of a task and returns the nanoseconds spent inside `fn`; the task's `before`
 * and `after` hooks run between calls, untimed.
 */
export function timeCalls(task, calls) {
  const { fn, before, after } = task;
  let total = 0n;
  for (let c = 0; c < calls; c++) {
    before?.();
    const start = process.hrtime.bigint();
    fn();
    total += process.hrtime.bigint() - start;
    after?.();
  }
  return Number(total);
}

/**
 * Task builders for one implementation. A task is `{ fn, opsPerCall, before?, after? }`: the timed
 * function, how many map operations one call of it performs (the bench divides time by it), and
 * untimed hooks around each call.
 *
 * The builders that build a map per call take `between`, run untimed before each call (the bench
 * passes a full GC for maps so large that one collection would otherwise decide a median of a few).
 *
 * @param {MapConstructor} MapClass native `Map` or `GoMap`
 */
export function operationsFor(MapClass) {
  /** A map holding keys[0..n) with value i for keys[i], built by `set` as a program would. */
  function fill(keys, n) {
    const map = new MapClass();
    for (let i = 0; i < n; i++) map.set(keys[i], i);
    return map;
  }

  /**
   * `batch` gets per call, walking `order` from where the previous call stopped.
   * `order` holds present keys for hits and absent ones for misses.
   */
  function get(map, order, batch) {
    let cursor = 0;
    return {
      opsPerCall: batch,
      fn() {
        let sum = 0;
        for (let j = 0; j < batch; j++) {
          const value = map.get(order[cursor]);
          if (value !== undefined) sum += value;
          if (++cursor === order.length) cursor = 0;
        }
        sink = (sink + sum) | 0;
      },
    };
  }

  /** `batch` sets of keys already in `map` to new values, walking `order` like get(). */
  function overwrite(map, order, batch) {
    let cursor = 0;
    let generation = 0;
    return {
      opsPerCall: batch,
      fn() {
        generation = (generation + 1) & 0xffff;
        for (let j = 0; j < batch; j++) {
          map.set(order[cursor], generation);
          if (++cursor === order.length) cursor = 0;
        }
        sink = (sink + map.size) | 0;
      },
    };
  }

  /** Builds a map of keys[0..n) from empty, growth included. */
  function insert(keys, n, between) {
    return {
      opsPerCall: n,
      before: between,
      fn() {
        const map = new MapClass();
        for (let i = 0; i < n; i++) map.set(keys[i], i);
        sink = (sink + map.size) | 0;
      },
    };
  }

  /** Deletes every key of a full map, in the random order `order`; the map is rebuilt untimed. */
  function deleteAll(keys, order, between) {
    const n = order.length;
    let victim = null;
    return {
      opsPerCall: n,
      before() {
        victim = fill(keys, n);
        between?.();
      },
      after() {
        victim = null;
      },
      fn() {
        let deleted = 0;
        for (let j = 0; j < n; j++) if (victim.delete(order[j])) deleted++;
        sink = (sink + deleted) | 0;
      },
    };
  }

  /** One full `for..of` pass over the entries of `map`. */
  function iterate(map) {
    return {
      opsPerCall: map.size,
      fn() {
        let sum = 0;
        for (const entry of map) sum += entry[1];
        sink = (sink + sum) | 0;
      },
    };
  }

  return { fill, get, overwrite, insert, deleteAll, iterate };
}
