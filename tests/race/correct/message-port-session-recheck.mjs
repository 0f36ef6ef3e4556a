// A MessageChannel port handler that awaits token validation first and only then reads the session and stores it with the message's changes (read again after the await).
// expect: clean
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const sessions = new GoMap([['s1', { user: 'ana', theme: 'light', lang: 'en' }]], { race: true, name: 'sessions' });
const { port1, port2 } = new MessageChannel();
let handled = 0;

port1.on('message', async ({ id, patch, validateMs }) => {
  if (!sessions.has(id)) return;
  await sleep(validateMs); // validate the message's token
  const session = sessions.get(id);
  if (session === undefined) return; // logged out meanwhile
  sessions.set(id, { ...session, ...patch });
  if (++handled === 2) {
    assert.deepEqual(sessions.get(id), { user: 'ana', theme: 'dark', lang: 'pt' });
    console.log(`session: ${JSON.stringify(sessions.get(id))}`);
    port1.close();
  }
});

port2.postMessage({ id: 's1', patch: { theme: 'dark' }, validateMs: 15 });
port2.postMessage({ id: 's1', patch: { lang: 'pt' }, validateMs: 2 });
process.on('exit', () => assert.equal(handled, 2, 'both messages handled'));
