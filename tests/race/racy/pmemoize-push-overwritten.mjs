// A price service memoized with p-memoize over a GoMap cache; a push notification stores the fresh price while the memoized fetch is in flight, and p-memoize's cache.set then overwrites it.
// expect: report
// code: ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE
import { setTimeout as sleep } from 'node:timers/promises';
import pMemoize from 'p-memoize';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const prices = new GoMap({ race: true, name: 'price-cache' });

async function fetchPrice(symbol) {
  await sleep(15); // the slow quotes API
  return { symbol, price: 101, source: 'poll' };
}

const getPrice = pMemoize(fetchPrice, { cache: prices });

function onPush({ symbol, price }) {
  prices.set(symbol, { symbol, price, source: 'push' });
}

const polled = getPrice('ACME');
setTimeout(() => onPush({ symbol: 'ACME', price: 104 }), 3);
await polled;
console.log(`ACME cached from ${prices.get('ACME').source} (push expected: it is newer)`);
