// A cache refresh and an invalidation run as Promise.all branches whose first await comes late: the invalidation deletes the key in its synchronous prefix, between the refresh's read and its write.
// expect: report
// code: ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const products = new GoMap([['p1', { name: 'Lamp', price: 30, stale: true }]], { race: true, name: 'products' });
const audit = [];

async function refresh(id) {
  const cached = products.get(id);
  await sleep(10); // re-fetch the stock level
  products.set(id, { ...cached, stale: false });
}

async function invalidate(id, reason) {
  // synchronous bookkeeping first; the first await comes only at the end
  products.delete(id);
  audit.push(`${id} invalidated: ${reason}`);
  const line = audit.join('\n');
  await sleep(1); // append the audit line
  return line;
}

await Promise.all([refresh('p1'), invalidate('p1', 'price changed')]);
console.log(`p1 after invalidation: ${JSON.stringify(products.get('p1'))} (undefined expected)`);
