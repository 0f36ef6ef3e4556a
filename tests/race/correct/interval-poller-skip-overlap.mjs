// An async setInterval poller that skips a tick while the previous run is still fetching, so its read-modify-write of the feed version never overlaps another run.
// expect: clean
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const feeds = new GoMap([['news', { version: 0 }]], { race: true, name: 'feeds' });
const fetchMs = [12, 2, 2];
let polls = 0;
let running = false;

const poller = setInterval(async () => {
  if (running) return;
  running = true;
  try {
    const latency = fetchMs[polls++];
    if (polls === fetchMs.length) clearInterval(poller);
    const feed = feeds.get('news');
    await sleep(latency); // GET the feed
    feeds.set('news', { version: feed.version + 1 });
  } finally {
    running = false;
  }
}, 5);

await sleep(80);
assert.equal(feeds.get('news').version, 3);
console.log(`news version: ${feeds.get('news').version}`);
