// A user-profile cache service (map injected by the constructor) whose recordLogin reads the cached profile, awaits the database write, then stores the profile with logins + 1.
// expect: report
// code: ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

class UserDb {
  async saveLogin(id, at, latencyMs) {
    await sleep(latencyMs);
    return { id, at };
  }
}

class ProfileCache {
  constructor(map, db) {
    this.map = map;
    this.db = db;
  }

  async recordLogin(id, latencyMs) {
    const profile = this.map.get(id) ?? { id, logins: 0 };
    await this.db.saveLogin(id, Date.now(), latencyMs);
    this.map.set(id, { ...profile, logins: profile.logins + 1 });
  }
}

const cache = new ProfileCache(new GoMap({ race: true, name: 'profiles' }), new UserDb());
cache.map.set('u1', { id: 'u1', logins: 3 });

// Two browser tabs log in at once: the first save is slow, the second fast.
await Promise.all([cache.recordLogin('u1', 20), cache.recordLogin('u1', 2)]);
console.log(`logins: ${cache.map.get('u1').logins} (5 expected)`);
