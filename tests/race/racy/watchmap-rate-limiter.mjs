// A token-bucket rate limiter on a plain Map wrapped with watchMap: read the bucket, await the request, store tokens - 1; two requests of one client overlap.
// expect: report-with-import (watchMap instruments only in race mode: reports only under --import or MAPRACE=1)
// code: ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE
import { setTimeout as sleep } from 'node:timers/promises';
import { watchMap } from 'eslint-plugin-maprace/runtime';

const buckets = watchMap(new Map([['client-7', { tokens: 5 }]]), { name: 'buckets' });

async function limited(client, work) {
  const bucket = buckets.get(client);
  if (bucket.tokens === 0) return 'rate limited';
  const result = await work();
  buckets.set(client, { tokens: bucket.tokens - 1 });
  return result;
}

const results = await Promise.all([
  limited('client-7', () => sleep(15, 'slow report')),
  limited('client-7', () => sleep(2, 'fast ping')),
]);
console.log(`${results.join(', ')}; tokens left ${buckets.get('client-7').tokens} (3 expected)`);
