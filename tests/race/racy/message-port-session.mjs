// A MessageChannel port handler (a worker's inbox) that reads the session, awaits token validation, then stores the session with the message's changes; two messages in flight.
// expect: report
// code: ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE
import { MessageChannel } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const sessions = new GoMap([['s1', { user: 'ana', theme: 'light', lang: 'en' }]], { race: true, name: 'sessions' });
const { port1, port2 } = new MessageChannel();
let handled = 0;

port1.on('message', async ({ id, patch, validateMs }) => {
  const session = sessions.get(id);
  await sleep(validateMs); // validate the message's token
  sessions.set(id, { ...session, ...patch });
  if (++handled === 2) {
    console.log(`session: ${JSON.stringify(sessions.get(id))} (theme dark and lang pt expected)`);
    port1.close();
  }
});

port2.postMessage({ id: 's1', patch: { theme: 'dark' }, validateMs: 15 });
port2.postMessage({ id: 's1', patch: { lang: 'pt' }, validateMs: 2 });
