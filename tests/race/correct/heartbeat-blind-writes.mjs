// A presence service whose overlapping heartbeat handlers only write (`lastSeen.set(user, now)` after awaiting the auth check), never reading the key first.
// expect: clean
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const lastSeen = new GoMap({ race: true, name: 'last-seen' });
let clock = 1000;

async function onHeartbeat(user, authMs) {
  const at = clock++;
  await sleep(authMs); // verify the session token
  lastSeen.set(user, at);
}

setTimeout(() => onHeartbeat('ana', 15), 1);
setTimeout(() => onHeartbeat('ana', 2), 2);
setTimeout(() => onHeartbeat('bo', 1), 3);
await sleep(30);
// Last writer wins, as it should for a heartbeat: the slow check of the older beat lands last.
assert.deepEqual(Object.fromEntries(lastSeen), { ana: 1000, bo: 1002 });
console.log(JSON.stringify(Object.fromEntries(lastSeen)));
