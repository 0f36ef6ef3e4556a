// A site crawler looping over its frontier map `for (const [url, depth] of frontier) { await fetch; frontier.set(link, depth + 1) }`: only the loop itself inserts, as Go's range allows.
// expect: clean
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const site = {
  '/': ['/docs', '/blog'],
  '/docs': ['/docs/api', '/'],
  '/blog': ['/blog/1'],
  '/docs/api': [],
  '/blog/1': ['/docs'],
};

async function fetchLinks(url) {
  await sleep(2); // GET the page and parse its links
  return site[url] ?? [];
}

const frontier = new GoMap([['/', 0]], { race: true, name: 'frontier' });
const visited = new Set();
// Go may or may not visit entries added during a range: loop until a pass adds nothing.
for (let added = true; added; ) {
  added = false;
  for (const [url, depth] of frontier) {
    if (visited.has(url)) continue;
    visited.add(url);
    for (const link of await fetchLinks(url)) {
      if (!frontier.has(link)) {
        frontier.set(link, depth + 1);
        added = true;
      }
    }
  }
}
assert.deepEqual(Object.fromEntries([...frontier].sort()), { '/': 0, '/blog': 1, '/blog/1': 2, '/docs': 1, '/docs/api': 2 });
console.log(`crawled ${visited.size} pages`);
