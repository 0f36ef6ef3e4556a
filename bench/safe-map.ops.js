// The timed workloads of bench/safe-map.bench.js: concurrent tasks, each awaiting a chain of calls.
//
// The bench script imports this module once per contender, each time under a different URL, for
// the reason go-map.ops.js gives: every copy has its own type feedback, so the task loop's
// `call(...)` site only ever sees its own contender, as in a program that uses one library.

/** Results folded in here cannot be proven unused, so V8 cannot drop the work that made them. */
let sink = 0;

/** The sink's value, printed by the bench script. */
export function readSink() {
  return sink;
}

/**
 * Starts `tasks` tasks together; task t awaits `perTask` calls one after another, its j-th being
 * `call(schedule[t * perTask + j])`. Resolves to the nanoseconds from the first start until every
 * task has finished, the time for tasks × perTask completed calls. `call` resolves to a number.
 */
export async function timeTasks(call, schedule, tasks, perTask) {
  const running = new Array(tasks);
  const start = process.hrtime.bigint();
  for (let t = 0; t < tasks; t++) running[t] = runTask(call, schedule, t * perTask, perTask);
  await Promise.all(running);
  return Number(process.hrtime.bigint() - start);
}

async function runTask(call, schedule, from, count) {
  let sum = 0;
  for (let j = from, end = from + count; j < end; j++) sum += await call(schedule[j]);
  sink = (sink + sum) | 0;
}

/** The value a contender must return for key: cheap, and checkable by every caller. */
export const valueOf = (key) => key.length;

/**
 * The loader of the single-flight comparisons: counts its runs per key in `loads` and crosses an
 * await like a real fetch before it resolves to valueOf(key).
 */
export function countingLoader() {
  const loads = new Map();
  const load = async (key) => {
    loads.set(key, (loads.get(key) ?? 0) + 1);
    await Promise.resolve();
    return valueOf(key);
  };
  return { loads, load };
}
