// A `.then` cache fill in a request handler: `if (!cache.has(k)) load(k).then(v => cache.set(k, v))`; two requests for the same key miss together and both fill.
// expect: report
// code: ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const avatars = new GoMap({ race: true, name: 'avatars' });
let loads = 0;

async function loadAvatar(user, latencyMs) {
  loads++;
  await sleep(latencyMs); // the image service
  return `https://img.example/${user}?v=${loads}`;
}

async function handleRequest(user, latencyMs) {
  if (!avatars.has(user)) {
    loadAvatar(user, latencyMs).then((url) => avatars.set(user, url));
  }
  await sleep(1); // render the page around it
}

await Promise.all([handleRequest('ana', 15), handleRequest('ana', 2)]);
await sleep(30);
console.log(`avatar: ${avatars.get('ana')}, loads: ${loads} (1 expected)`);
