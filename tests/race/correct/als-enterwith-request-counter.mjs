// A request handler that tags its logs with `als.enterWith({ requestId })` in its synchronous prefix; sibling requests in Promise.all keep per-request state under their own key and bump the route counter with no await between read and write.
// expect: clean
import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const requestContext = new AsyncLocalStorage();
const routeCounts = new GoMap({ race: true, name: 'route-counts' });
const requests = new GoMap({ race: true, name: 'requests' });
const logLines = [];
const log = (line) => logLines.push(`[${requestContext.getStore()?.requestId ?? '-'}] ${line}`);

async function handle(requestId, route, dbMs) {
  requestContext.enterWith({ requestId });
  routeCounts.set(route, (routeCounts.get(route) ?? 0) + 1);
  requests.set(requestId, { route, state: 'querying' });
  await sleep(dbMs); // SELECT ... for the page
  const request = requests.get(requestId);
  requests.set(requestId, { ...request, state: 'done' });
  log(`${route} served`);
}

await Promise.all([handle('req-1', '/cart', 15), handle('req-2', '/cart', 2), handle('req-3', '/home', 5)]);
assert.equal(routeCounts.get('/cart'), 2);
assert.equal(routeCounts.get('/home'), 1);
assert.deepEqual([...requests.values()].map((r) => r.state), ['done', 'done', 'done']);
// enterWith stays per request after the await: the race-mode tracking must not disturb it
assert.deepEqual(logLines, ['[req-2] /cart served', '[req-3] /home served', '[req-1] /cart served']);
console.log(logLines.join('\n'));
