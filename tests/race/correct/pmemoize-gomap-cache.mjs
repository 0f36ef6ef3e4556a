// A price service memoized with p-memoize over a GoMap cache: concurrent calls for one symbol share p-memoize's in-flight promise, so the cache key is written once.
// expect: clean
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import pMemoize from 'p-memoize';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const prices = new GoMap({ race: true, name: 'price-cache' });
let fetches = 0;

async function fetchPrice(symbol) {
  fetches++;
  await sleep(symbol === 'ACME' ? 15 : 2); // the quotes API
  return { symbol, price: symbol.length * 10 };
}

const getPrice = pMemoize(fetchPrice, { cache: prices });
const quotes = await Promise.all([getPrice('ACME'), getPrice('ACME'), getPrice('INIT'), getPrice('ACME')]);
assert.deepEqual(quotes.map((q) => q.price), [40, 40, 40, 40]);
assert.equal(fetches, 2, 'one fetch per symbol');
assert.equal((await getPrice('ACME')).price, 40);
assert.equal(fetches, 2, 'the cached value served');
console.log(`${fetches} fetches for ${quotes.length + 1} calls`);
