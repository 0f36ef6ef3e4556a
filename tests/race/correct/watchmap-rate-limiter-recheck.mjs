// A token-bucket rate limiter on a plain Map wrapped with watchMap that takes the token before the awaited request (read and write with no await between) and refunds with a fresh read.
// expect: clean
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { watchMap } from 'eslint-plugin-maprace/runtime';

const buckets = watchMap(new Map([['client-7', { tokens: 5 }]]), { name: 'buckets' });

async function limited(client, work) {
  const bucket = buckets.get(client);
  if (bucket.tokens === 0) return 'rate limited';
  buckets.set(client, { tokens: bucket.tokens - 1 });
  try {
    return await work();
  } catch (error) {
    buckets.set(client, { tokens: buckets.get(client).tokens + 1 }); // refund a failed call
    return `failed: ${error.message}`;
  }
}

const results = await Promise.all([
  limited('client-7', () => sleep(15, 'slow report')),
  limited('client-7', () => sleep(2, 'fast ping')),
  limited('client-7', async () => {
    await sleep(5);
    throw new Error('upstream 503');
  }),
]);
assert.deepEqual(results, ['slow report', 'fast ping', 'failed: upstream 503']);
assert.equal(buckets.get('client-7').tokens, 3);
console.log(`${results.join(', ')}; tokens left ${buckets.get('client-7').tokens}`);
