// A request handler that tags its logs with `als.enterWith({ requestId })` in its synchronous prefix, then reads a per-route counter, awaits the DB, stores count + 1; sibling requests in Promise.all.
// expect: report
// code: ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE
import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const requestContext = new AsyncLocalStorage();
const routeCounts = new GoMap({ race: true, name: 'route-counts' });
const log = (line) => console.log(`[${requestContext.getStore()?.requestId ?? '-'}] ${line}`);

async function handle(requestId, route, dbMs) {
  requestContext.enterWith({ requestId });
  const count = routeCounts.get(route) ?? 0;
  await sleep(dbMs); // SELECT ... for the page
  routeCounts.set(route, count + 1);
  log(`${route} served`);
}

await Promise.all([handle('req-1', '/cart', 15), handle('req-2', '/cart', 2)]);
console.log(`/cart count ${routeCounts.get('/cart')} (2 expected)`);
