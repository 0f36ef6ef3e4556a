// A catalog sync consuming `for await (const page of pages())` (an async generator over the API) that writes each product under its own key, while a search handler only reads the catalog.
// expect: clean
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const catalog = new GoMap([['p1', { id: 'p1', title: 'old lamp' }]], { race: true, name: 'catalog' });

async function* pages() {
  const api = [[{ id: 'p1', title: 'Lamp' }, { id: 'p2', title: 'Desk' }], [{ id: 'p3', title: 'Chair' }]];
  for (const page of api) {
    await sleep(4); // GET /products?page=n
    yield page;
  }
}

async function sync() {
  let written = 0;
  for await (const page of pages()) {
    for (const product of page) {
      const current = catalog.get(product.id);
      if (current?.title !== product.title) {
        catalog.set(product.id, product);
        written++;
      }
    }
  }
  return written;
}

async function search(term) {
  await sleep(5); // parse the query
  return [...catalog.values()].filter((p) => p.title.toLowerCase().includes(term)).map((p) => p.id);
}

const [written, found] = await Promise.all([sync(), search('lamp')]);
assert.equal(written, 3);
assert.deepEqual(found, ['p1']);
assert.equal(catalog.size, 3);
console.log(`synced ${written}; search found ${found.join(', ')}`);
