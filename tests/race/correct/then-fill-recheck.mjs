// A `.then` cache fill that checks again inside the callback: `load(k).then(v => { if (!cache.has(k)) cache.set(k, v) })`, so the first answer stays and a late one is dropped.
// expect: clean
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const geo = new GoMap({ race: true, name: 'geoip' });
const answeredBy = [];

async function lookup(ip, resolver, latencyMs) {
  await sleep(latencyMs); // ask one of the two GeoIP providers
  answeredBy.push(resolver);
  return { ip, country: 'PT', resolver };
}

function warm(ip, resolver, latencyMs) {
  if (geo.has(ip)) return Promise.resolve();
  return lookup(ip, resolver, latencyMs).then((answer) => {
    if (!geo.has(ip)) geo.set(ip, answer);
  });
}

// Hedged lookups: both providers asked at once, the first answer wins.
await Promise.all([warm('203.0.113.9', 'slow-provider', 15), warm('203.0.113.9', 'fast-provider', 2)]);
assert.equal(geo.get('203.0.113.9').resolver, 'fast-provider');
assert.deepEqual(answeredBy, ['fast-provider', 'slow-provider']);
console.log(`203.0.113.9 from ${geo.get('203.0.113.9').resolver}`);
