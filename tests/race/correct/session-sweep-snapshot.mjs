// A session sweeper that iterates over a snapshot (`[...sessions]`) while awaiting the store, and deletes an expired session only if it is still the same object, while a logout handler deletes one.
// expect: clean
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const sessions = new GoMap({ race: true, name: 'sessions' });
for (const [id, lastSeen] of [['s1', 0], ['s2', 100], ['s3', 0], ['s4', 100]]) sessions.set(id, { id, lastSeen });

async function archive(session) {
  await sleep(4); // copy to cold storage
  return session.id;
}

async function sweep(now) {
  const archived = [];
  for (const [id, session] of [...sessions]) {
    if (now - session.lastSeen < 50) continue;
    archived.push(await archive(session));
    if (sessions.get(id) === session) sessions.delete(id);
  }
  return archived;
}

function onLogout(id) {
  sessions.delete(id);
}

setTimeout(() => onLogout('s3'), 6);
const archived = await sweep(120);
assert.deepEqual([...sessions.keys()].sort(), ['s2', 's4']);
assert.ok(archived.includes('s1'));
console.log(`archived ${archived.join(', ')}; left ${[...sessions.keys()].sort().join(', ')}`);
