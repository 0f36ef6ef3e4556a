/**
 * Maps shared by timer callbacks: setTimeout, setInterval (an async callback that outlives its
 * period overlaps itself), setImmediate, queueMicrotask, process.nextTick, and loops over
 * timers/promises setInterval.
 */
import { createMapRule } from '../analysis/rule.js';

export default createMapRule({
  name: 'no-unguarded-map-in-timer',
  source: 'timer',
  description: 'Disallow reading and then writing a shared map across an await inside timer callbacks',
});
