// A session sweeper `for (const [id, s] of sessions) { await persist(s) }` that awaits inside its loop while a logout handler deletes a session.
// expect: report
// code: ERR_CONCURRENT_MAP_ITERATION_AND_MAP_WRITE
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const sessions = new GoMap({ race: true, name: 'sessions' });
for (const id of ['s1', 's2', 's3', 's4']) sessions.set(id, { id, lastSeen: 0 });

async function persist(session) {
  await sleep(5); // write to the session store
  return session.id;
}

async function sweep() {
  const saved = [];
  for (const [, session] of sessions) saved.push(await persist(session));
  return saved;
}

function onLogout(id) {
  sessions.delete(id);
}

setTimeout(() => onLogout('s3'), 7);
console.log(`persisted: ${(await sweep()).join(', ')}`);
