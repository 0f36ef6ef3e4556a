// An async setInterval poller that reads the feed's last version, awaits the remote fetch, then stores version + 1; the first fetch is slow, so runs overlap.
// expect: report
// code: ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const feeds = new GoMap([['news', { version: 0 }]], { race: true, name: 'feeds' });
const fetchMs = [20, 2, 2];
let run = 0;

const poller = setInterval(async () => {
  const latency = fetchMs[run++];
  if (run === fetchMs.length) clearInterval(poller);
  const feed = feeds.get('news');
  await sleep(latency); // GET the feed
  feeds.set('news', { version: feed.version + 1 });
}, 5);

await sleep(60);
console.log(`news version: ${feeds.get('news').version} (3 expected)`);
