// The `.then` cache fill done right: a miss stores the load's promise at once (`cache.set(k, load(k))`), so a second request for the key awaits the same load.
// expect: clean
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const avatars = new GoMap({ race: true, name: 'avatars' });
let loads = 0;

async function loadAvatar(user, latencyMs) {
  loads++;
  await sleep(latencyMs); // the image service
  return `https://img.example/${user}`;
}

async function handleRequest(user, latencyMs) {
  if (!avatars.has(user)) avatars.set(user, loadAvatar(user, latencyMs));
  const url = await avatars.get(user);
  await sleep(1); // render the page around it
  return url;
}

const urls = await Promise.all([handleRequest('ana', 15), handleRequest('ana', 2), handleRequest('bo', 3)]);
assert.deepEqual(urls, ['https://img.example/ana', 'https://img.example/ana', 'https://img.example/bo']);
assert.equal(loads, 2, 'one load per user');
console.log(`${urls.join(', ')}; ${loads} loads`);
