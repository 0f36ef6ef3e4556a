// A test of a session store class whose internal `Map` the test instruments with `watchMap(store.sessions, { race: true })`; the store's touch() reads the session, awaits persistence, writes it back.
// expect: report
// code: ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE
import { setTimeout as sleep } from 'node:timers/promises';
import { watchMap } from 'eslint-plugin-maprace/runtime';

class SessionStore {
  sessions = new Map();

  create(id, user) {
    this.sessions.set(id, { user, views: 0, lastPath: '/' });
  }

  async touch(id, path, persistMs) {
    const session = this.sessions.get(id);
    await sleep(persistMs); // persist to Redis
    this.sessions.set(id, { ...session, views: session.views + 1, lastPath: path });
  }
}

// The test: two page views of one session at once.
const store = new SessionStore();
watchMap(store.sessions, { name: 'store.sessions', race: true });
store.create('s1', 'ana');
await Promise.all([store.touch('s1', '/cart', 15), store.touch('s1', '/home', 2)]);
console.log(`views ${store.sessions.get('s1').views} (2 expected)`);
