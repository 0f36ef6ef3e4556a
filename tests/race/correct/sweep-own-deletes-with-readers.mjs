// A cache evictor looping `for (const [k, e] of cache) { if (expired) cache.delete(k); await log(k) }`: only the loop itself deletes, while request handlers only read the cache.
// expect: clean
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const cache = new GoMap({ race: true, name: 'page-cache' });
for (const [path, expires] of [['/a', 10], ['/b', 500], ['/c', 20], ['/d', 500], ['/e', 30]]) cache.set(path, { expires, html: `<h1>${path}</h1>` });

const evictionLog = [];

async function logEviction(path) {
  await sleep(3); // the eviction log
  evictionLog.push(path);
}

async function evict(now) {
  let evicted = 0;
  for (const [path, entry] of cache) {
    if (entry.expires > now) continue;
    cache.delete(path);
    evicted++;
    await logEviction(path);
  }
  return evicted;
}

async function serve(path) {
  await sleep(2); // parse the request
  return cache.get(path)?.html ?? 'miss';
}

const [evicted, ...pages] = await Promise.all([evict(100), serve('/b'), serve('/d'), serve('/nope')]);
assert.equal(evicted, 3);
assert.deepEqual(evictionLog.sort(), ['/a', '/c', '/e']);
assert.deepEqual(pages, ['<h1>/b</h1>', '<h1>/d</h1>', 'miss']);
assert.deepEqual([...cache.keys()].sort(), ['/b', '/d']);
console.log(`evicted ${evicted}; served ${pages.join(' ')}`);
