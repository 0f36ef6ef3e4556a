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

// Three beats from timers, awaited through the handlers themselves rather than a fixed sleep, so
// that a slow machine cannot end the program before a beat lands.
const beats = [
  ['ana', 15, 1],
  ['ana', 2, 2],
  ['bo', 1, 3],
].map(([user, authMs, at]) => new Promise((resolve) => setTimeout(() => resolve(onHeartbeat(user, authMs)), at)));
await Promise.all(beats);
// Last writer wins, as it should for a heartbeat: whichever check finished last set the value, and
// no write was reported (none read the key first).
const seen = Object.fromEntries(lastSeen);
assert.ok(seen.ana === 1000 || seen.ana === 1001, `ana holds one of her beats, got ${seen.ana}`);
assert.equal(seen.bo, 1002);
console.log(JSON.stringify(seen));
