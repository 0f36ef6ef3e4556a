/**
 * Caches that are not a `new Map` in the file, and maps behind accessor methods: a parameter or
 * option with a default, a Map-like interface, an injected cache, a third-party LRU, an async
 * store with awaited get/set, and `getChildren(k)` / `setChildren(k, v)` wrappers. Each racy shape
 * is reported through the Promise.all and timer rules; each correct twin (the promise stored
 * before the await, a SafeMap, a local map, a cache with no evidence, a ReadonlyMap never written,
 * an LRU used only with `fetch`) stays silent.
 */
import promiseAll from '../../lib/rules/no-unguarded-map-in-promise-all.js';
import timer from '../../lib/rules/no-unguarded-map-in-timer.js';
import { taskRace } from '../helpers/race-data.js';
import { runBoth } from '../helpers/rule-tester.js';

const declarations = `interface User { id: string; name: string }
declare function fetchUser(id: string): Promise<User>;
`;

/** A read-through fill whose read, await and write share one line: `if (!m.has(id)) m.set(id, await load(id))`. */
const oneLineRace = (line: number, endColumn: number, data: { kind?: string; name: string; advice: string }) => ({
  messageId: 'duplicateLoad' as const,
  line,
  column: 10,
  endLine: line,
  endColumn,
  data: taskRace({ ...data, read: line, write: line, awaitLine: line }),
});

const guardBecause = (reason: string) => `Guard the section (SafeMap.withLock, or a lock around it). No automatic fix: ${reason}.`;
const loadBecause = (reason: string) => `Store the promise before awaiting, or use SafeMap.getOrCompute. No automatic fix: ${reason}.`;
const constructorParameter = (name: string, kind = 'Map') =>
  loadBecause(`'${name}' is handed to the constructor: other modules build or hold it as a ${kind}, so the fix cannot change its type here`);
const parameter = (name: string, kind = 'Map') => loadBecause(`'${name}' is a parameter or an import: other modules build or hold it as a ${kind}, so the fix cannot change its type here`);
const lru = (name: string, advise = loadBecause) => advise(`'${name}' is an LRU cache, which keeps eviction: guard the section or store promises`);
const store = (name: string) => guardBecause(`'${name}' is an external store: use its atomic operation (SET NX, a compare-and-set) or a lock`);

runBoth('no-unguarded-map-in-promise-all', promiseAll, {
  valid: [
    // a cache injected with a default, holding the promise stored before any await
    `${declarations}
export class UserService {
  constructor(private readonly cache = new Map<string, Promise<User>>()) {}
  load(ids: string[]) {
    return Promise.all(ids.map((id) => {
      let user = this.cache.get(id);
      if (!user) {
        user = fetchUser(id);
        this.cache.set(id, user);
      }
      return user;
    }));
  }
}`,

    // the default is a SafeMap, loaded with getOrCompute
    `${declarations}
declare class SafeMap<K, V> extends Map<K, V> { getOrCompute(key: K, load: () => Promise<V>): Promise<V> }
export class UserService {
  constructor(private readonly cache = new SafeMap<string, User>()) {}
  load(ids: string[]) {
    return Promise.all(ids.map((id) => this.cache.getOrCompute(id, () => fetchUser(id))));
  }
}`,

    // a Map-like cache of the file, checked and filled in one step after the await
    `${declarations}
interface Cache<V> { get(key: string): V | undefined; set(key: string, value: V): void }
export class ProfileLoader {
  constructor(private readonly cache: Cache<User>) {}
  load(ids: string[]) {
    return Promise.all(ids.map(async (id) => {
      const fetched = await fetchUser(id);
      const user = this.cache.get(id) ?? fetched;
      this.cache.set(id, user);
      return user;
    }));
  }
}`,

    // the store's own atomic operation instead of get, then set
    `${declarations}
declare function createClient(): any;
const redis = createClient();
export async function countVisits(pages: string[]) {
  await Promise.all(pages.map((page) => redis.incr(page)));
}`,

    // a map each task builds for itself
    `${declarations}
export async function names(groups: string[][]) {
  return Promise.all(groups.map(async (ids) => {
    const cache = new Map<string, User>();
    for (const id of ids) if (!cache.has(id)) cache.set(id, await fetchUser(id));
    return cache.size;
  }));
}`,

    // a name alone makes no map: nothing says what getCache returns
    `${declarations}
declare function getCache(): any;
const cache = getCache();
export async function warm(ids: string[]) {
  await Promise.all(ids.map(async (id) => {
    if (!cache.has(id)) cache.set(id, await fetchUser(id));
  }));
}`,

    // a ReadonlyMap the file never writes: its entries are read, whoever fills it
    `${declarations}
export class Directory {
  constructor(private readonly users: ReadonlyMap<string, User>, private readonly seen: string[] = []) {}
  async audit(ids: string[]) {
    await Promise.all(ids.map(async (id) => {
      const user = this.users.get(id);
      if (user) this.seen.push(await fetchUser(user.id).then((u) => u.name));
    }));
  }
}`,

    // an LRU cache used only through fetch, which loads each key once
    `${declarations}
import { LRUCache } from 'lru-cache';
const users = new LRUCache<string, User>({ max: 500, fetchMethod: (id: string) => fetchUser(id) });
export const loadTeam = (ids: string[]) => Promise.all(ids.map((id) => users.fetch(id)));`,

    // an async store written blind, with no read deciding the write
    `${declarations}
declare function createClient(): any;
const redis = createClient();
export async function remember(ids: string[]) {
  await Promise.all(ids.map(async (id) => redis.set(id, JSON.stringify(await fetchUser(id)))));
  return redis.get(ids[0]);
}`,

    // accessors read and write in one synchronous step after the await
    `declare function loadChildren(id: string): Promise<string[]>;
export class Tree {
  private readonly children = new Map<string, string[]>();
  getChildren(id: string) { return this.children.get(id); }
  setChildren(id: string, list: string[]) { this.children.set(id, list); }
  async expand(ids: string[]) {
    await Promise.all(ids.map(async (id) => {
      const list = await loadChildren(id);
      if (!this.getChildren(id)) this.setChildren(id, list);
    }));
  }
}`,
  ],
  invalid: [
    // a constructor parameter property with a default Map: check, await, then set
    {
      code: `${declarations}
export class UserService {
  constructor(private readonly api: { user(id: string): Promise<User> }, private readonly cache = new Map<string, User>()) {}
  async load(ids: string[]) {
    await Promise.all(ids.map(async (id) => {
      if (!this.cache.has(id)) {
        const user = await this.api.user(id);
        this.cache.set(id, user);
      }
    }));
  }
}`,
      errors: [
        {
          messageId: 'duplicateLoad',
          line: 8,
          column: 12,
          endLine: 10,
          endColumn: 33,
          data: taskRace({ name: 'this.cache', read: 8, write: 10, awaitLine: 9, advice: constructorParameter('this.cache') }),
        },
      ],
    },

    // a parameter with a default map, shared by the tasks of one call
    {
      code: `${declarations}
export async function warm(ids: string[], cache = new Map<string, User>()) {
  await Promise.all(ids.map(async (id) => {
    if (!cache.has(id)) cache.set(id, await fetchUser(id));
  }));
  return cache;
}`,
      errors: [oneLineRace(6, 59, { name: 'cache', advice: parameter('cache') })],
    },

    // destructured options with a default map
    {
      code: `${declarations}
export async function warm(ids: string[], { cache = new Map<string, User>() } = {}) {
  await Promise.all(ids.map(async (id) => {
    if (!cache.has(id)) cache.set(id, await fetchUser(id));
  }));
}`,
      errors: [oneLineRace(6, 59, { name: 'cache', advice: parameter('cache') })],
    },

    // JavaScript's way: the constructor takes the option or builds a Map
    {
      code: `${declarations}
export class Directory {
  constructor(options) {
    this.users = options.users ?? new Map();
  }
  async refresh(ids) {
    await Promise.all(ids.map(async (id) => {
      const user = this.users.get(id);
      if (!user) this.users.set(id, await fetchUser(id));
    }));
  }
}`,
      errors: [
        {
          messageId: 'duplicateLoad',
          line: 10,
          column: 20,
          endLine: 11,
          endColumn: 57,
          data: taskRace({ name: 'this.users', read: 10, write: 11, awaitLine: 11, advice: constructorParameter('this.users') }),
        },
      ],
    },

    // a Map-like interface of the file, injected through the constructor
    {
      code: `${declarations}
interface Cache<V> { get(key: string): V | undefined; set(key: string, value: V): void; has?(key: string): boolean }
export class ProfileLoader {
  constructor(private readonly cache: Cache<User>) {}
  load(ids: string[]) {
    return Promise.all(ids.map(async (id) => {
      let user = this.cache.get(id);
      if (!user) {
        user = await fetchUser(id);
        this.cache.set(id, user);
      }
      return user;
    }));
  }
}`,
      errors: [
        {
          messageId: 'duplicateLoad',
          line: 9,
          column: 18,
          endLine: 12,
          endColumn: 33,
          data: taskRace({
            kind: 'Map-like',
            name: 'this.cache',
            read: 9,
            write: 12,
            awaitLine: 11,
            advice: loadBecause("'this.cache' is a cache of its own type, not a Map: guard the section or store promises"),
          }),
        },
      ],
    },

    // lru-cache: has, await, set
    {
      code: `${declarations}
import { LRUCache } from 'lru-cache';
const users = new LRUCache<string, User>({ max: 500 });
export async function loadTeam(ids: string[]) {
  await Promise.all(ids.map(async (id) => {
    if (!users.has(id)) users.set(id, await fetchUser(id));
  }));
}`,
      errors: [oneLineRace(8, 59, { kind: 'LRUCache', name: 'users', advice: lru('users') })],
    },

    // lru-cache required under its old name, and quick-lru
    {
      code: `${declarations}
const LRU = require('lru-cache');
import QuickLRU from 'quick-lru';
const users = new LRU({ max: 500 });
const teams = new QuickLRU({ maxSize: 100 });
export async function loadTeam(team: string, ids: string[]) {
  await Promise.all(ids.map(async (id) => {
    if (!users.has(id)) users.set(id, await fetchUser(id));
    if (!teams.get(team)) teams.set(team, await fetchUser(team));
  }));
}`,
      errors: [
        oneLineRace(10, 59, { kind: 'LRUCache', name: 'users', advice: lru('users') }),
        oneLineRace(11, 65, { kind: 'QuickLRU', name: 'teams', advice: lru('teams') }),
      ],
    },

    // an async store: the awaited read decides the awaited write
    {
      code: `${declarations}
declare function createClient(): any;
const redis = createClient();
export async function countVisits(pages: string[]) {
  await Promise.all(pages.map(async (page) => {
    const seen = await redis.get(page);
    await redis.set(page, String(Number(seen ?? 0) + 1));
  }));
}`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 8,
          column: 24,
          endLine: 9,
          endColumn: 57,
          data: taskRace({ kind: 'Async store', name: 'redis', read: 8, write: 9, awaitLine: 8, advice: store('redis') }),
        },
      ],
    },

    // an injected store whose interface returns promises
    {
      code: `${declarations}
interface SessionStore { get(id: string): Promise<User | undefined>; set(id: string, user: User): Promise<void> }
export class Sessions {
  constructor(private readonly sessions: SessionStore) {}
  async touch(ids: string[]) {
    await Promise.all(ids.map(async (id) => {
      if (!(await this.sessions.get(id))) await this.sessions.set(id, await fetchUser(id));
    }));
  }
}`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 9,
          column: 19,
          endLine: 9,
          endColumn: 91,
          data: taskRace({ kind: 'Async store', name: 'this.sessions', read: 9, write: 9, awaitLine: 9, advice: store('this.sessions') }),
        },
      ],
    },

    // accessor methods wrapping a map field
    {
      code: `declare function loadChildren(id: string): Promise<string[]>;
export class Tree {
  private readonly children = new Map<string, string[]>();
  getChildren(id: string) { return this.children.get(id); }
  setChildren(id: string, list: string[]) { this.children.set(id, list); }
  async expand(ids: string[]) {
    await Promise.all(ids.map(async (id) => {
      if (!this.getChildren(id)) {
        const list = await loadChildren(id);
        this.setChildren(id, list);
      }
    }));
  }
}`,
      errors: [
        {
          messageId: 'duplicateLoad',
          line: 8,
          column: 12,
          endLine: 10,
          endColumn: 35,
          data: taskRace({ name: 'this.children', read: 8, write: 10, awaitLine: 9, advice: loadBecause("the section reaches 'this.children' through 'getChildren': guard the section by hand") }),
        },
      ],
    },
  ],
  typedOnly: {
    valid: [],
    invalid: [
      // Keyv by its type: get returns a Promise, whatever the name
      {
        code: `${declarations}
import Keyv from 'keyv';
export class Profiles {
  constructor(private readonly profiles: Keyv<User>) {}
  async load(ids: string[]) {
    await Promise.all(ids.map(async (id) => {
      const known = await this.profiles.get(id);
      if (!known) await this.profiles.set(id, await fetchUser(id));
    }));
  }
}`,
        errors: [
          {
            messageId: 'readWriteRace',
            line: 9,
            column: 27,
            endLine: 10,
            endColumn: 67,
            data: taskRace({ kind: 'Async store', name: 'this.profiles', read: 9, write: 10, awaitLine: 9, advice: store('this.profiles') }),
          },
        ],
      },
    ],
  },
});

runBoth('no-unguarded-map-in-timer', timer, {
  valid: [
    // the timer re-reads the LRU after the await, in the step that writes it
    `declare function refresh(token: string): Promise<string>;
import { LRUCache } from 'lru-cache';
const tokens = new LRUCache<string, string>({ max: 100 });
export function forget(service: string) { tokens.delete(service); }
setInterval(async () => {
  const fresh = await refresh('service');
  if (tokens.get('service')) tokens.set('service', fresh);
}, 60_000);`,
  ],
  invalid: [
    // the timer reads the LRU, awaits, and writes back while another function deletes the entry
    {
      code: `declare function refresh(token: string): Promise<string>;
import { LRUCache } from 'lru-cache';
const tokens = new LRUCache<string, string>({ max: 100 });
export function forget(service: string) { tokens.delete(service); }
setInterval(async () => {
  const token = tokens.get('service');
  if (token) tokens.set('service', await refresh(token));
}, 60_000);`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 6,
          column: 17,
          endLine: 7,
          endColumn: 57,
          data: {
            kind: 'LRUCache',
            name: 'tokens',
            readLine: 6,
            writeLine: 7,
            suspension: 'an await',
            awaitLine: 7,
            source: 'a setInterval callback',
            writer: 'while the next run of the callback, started before this one ends, writes it',
            advice: lru('tokens', guardBecause),
          },
        },
      ],
    },
  ],
});
