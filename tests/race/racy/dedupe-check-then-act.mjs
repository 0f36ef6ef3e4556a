// A webhook deduplicator: `if (!seen.has(id)) { await enqueue(id); seen.set(id, ...) }`; the provider retries a delivery while the first one is still being enqueued.
// expect: report
// code: ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const seen = new GoMap({ race: true, name: 'seen-deliveries' });
const enqueued = [];

async function onWebhook(deliveryId, queueMs) {
  if (seen.has(deliveryId)) return 'duplicate';
  await sleep(queueMs); // push to the job queue
  enqueued.push(deliveryId);
  seen.set(deliveryId, Date.now());
  return 'accepted';
}

// The first delivery, then the provider's retry 2 ms later.
const first = new Promise((resolve, reject) => setTimeout(() => onWebhook('evt-1', 15).then(resolve, reject), 1));
const retry = new Promise((resolve, reject) => setTimeout(() => onWebhook('evt-1', 2).then(resolve, reject), 3));
console.log(`${(await Promise.all([first, retry])).join(', ')}; enqueued ${enqueued.length}x (1 expected)`);
