// A user-profile cache service (map injected by the constructor) that stores the loading promise before awaiting it, so concurrent callers share one database load.
// expect: clean
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

class UserDb {
  loads = 0;

  async findUser(id, latencyMs) {
    this.loads++;
    await sleep(latencyMs);
    return { id, name: `user ${id}` };
  }
}

class ProfileCache {
  constructor(map, db) {
    this.map = map;
    this.db = db;
  }

  getProfile(id, latencyMs) {
    let pending = this.map.get(id);
    if (pending === undefined) {
      pending = this.db.findUser(id, latencyMs);
      this.map.set(id, pending);
    }
    return pending;
  }

  async greeting(id, latencyMs) {
    const profile = await this.getProfile(id, latencyMs);
    return `hello ${profile.name}`;
  }
}

const db = new UserDb();
const cache = new ProfileCache(new GoMap({ race: true, name: 'profiles' }), db);
const greetings = await Promise.all([cache.greeting('u1', 15), cache.greeting('u1', 2), cache.greeting('u2', 5)]);
assert.deepEqual(greetings, ['hello user u1', 'hello user u1', 'hello user u2']);
assert.equal(db.loads, 2, 'one load per user');
console.log(`${greetings.join('; ')}; ${db.loads} loads`);
