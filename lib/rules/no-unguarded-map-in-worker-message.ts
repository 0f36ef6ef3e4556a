/**
 * Maps shared by message handlers (Worker, parentPort, MessagePort, BroadcastChannel, self: every
 * message starts a new run of an async handler), and long-lived maps sent to a worker, which
 * structured clone copies.
 */
import { createMapRule } from '../analysis/rule.js';

export default createMapRule({
  name: 'no-unguarded-map-in-worker-message',
  source: 'worker-message',
  description: 'Disallow unguarded read-then-write of a shared map in message handlers, and maps copied into workers',
});
