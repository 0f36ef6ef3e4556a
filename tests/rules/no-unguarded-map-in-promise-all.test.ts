import rule from '../../lib/rules/no-unguarded-map-in-promise-all.js';
import { runBoth } from '../helpers/rule-tester.js';

const declarations = `interface User { id: string; name: string }
declare function fetchUser(id: string): Promise<User>;
declare function audit(route: string): Promise<void>;
`;

runBoth('no-unguarded-map-in-promise-all', rule, {
  valid: [
    // the promise-cache idiom: the promise is stored before any await
    `${declarations}
const pending = new Map<string, Promise<User>>();
function getUser(id: string): Promise<User> {
  let user = pending.get(id);
  if (!user) {
    user = fetchUser(id);
    pending.set(id, user);
  }
  return user;
}
export const loadTeam = (ids: string[]) => Promise.all(ids.map((id) => getUser(id)));`,

    // the read and the write in one synchronous step after the await
    `${declarations}
const hits = new Map<string, number>();
export async function record(routes: string[]) {
  await Promise.all(routes.map(async (route) => {
    await audit(route);
    hits.set(route, (hits.get(route) ?? 0) + 1);
  }));
}`,

    // blind writes of each task's own result
    `${declarations}
export async function loadAll(ids: string[]) {
  const out = new Map<string, User>();
  await Promise.all(ids.map(async (id) => out.set(id, await fetchUser(id))));
  return out;
}`,

    // a map local to each task
    `${declarations}
export async function names(groups: string[][]) {
  return Promise.all(groups.map(async (ids) => {
    const seen = new Map<string, User>();
    for (const id of ids) {
      const known = seen.get(id);
      if (!known) seen.set(id, await fetchUser(id));
    }
    return seen.size;
  }));
}`,

    // read-only sharing
    `${declarations}
const names = new Map<string, string>([['a', 'Ann']]);
export const greet = (ids: string[]) => Promise.all(ids.map(async (id) => {
  await audit(id);
  return names.get(id) ?? 'stranger';
}));`,

    // sequential awaits outside any concurrent source
    `${declarations}
const counts = new Map<string, number>();
export async function countAll(routes: string[]) {
  for (const route of routes) {
    const count = counts.get(route) ?? 0;
    await audit(route);
    counts.set(route, count + 1);
  }
}`,

    // async-mutex runExclusive around the section
    `${declarations}
declare class Mutex { runExclusive<T>(fn: () => Promise<T>): Promise<T> }
const mutex = new Mutex();
const counts = new Map<string, number>();
export const recordAll = (routes: string[]) => Promise.all(routes.map((route) => mutex.runExclusive(async () => {
  const count = counts.get(route) ?? 0;
  await audit(route);
  counts.set(route, count + 1);
})));`,

    // acquire() with release() in finally
    `${declarations}
declare class Mutex { acquire(): Promise<() => void> }
const mutex = new Mutex();
const counts = new Map<string, number>();
async function record(route: string) {
  const release = await mutex.acquire();
  try {
    const count = counts.get(route) ?? 0;
    await audit(route);
    counts.set(route, count + 1);
  } finally {
    release();
  }
}
export const recordAll = (routes: string[]) => Promise.all(routes.map(record));`,

    // SafeMap's atomic methods
    `${declarations}
declare class SafeMap<K, V> extends Map<K, V> { update(key: K, fn: (old: V | undefined) => Promise<V>): Promise<V> }
const counts = new SafeMap<string, number>();
export const recordAll = (routes: string[]) => Promise.all(routes.map((route) => counts.update(route, async (old) => {
  await audit(route);
  return (old ?? 0) + 1;
})));`,

    // a user-configured guard
    {
      code: `${declarations}
declare function inTransaction<T>(fn: () => Promise<T>): Promise<T>;
const counts = new Map<string, number>();
export const recordAll = (routes: string[]) => Promise.all(routes.map((route) => inTransaction(async () => {
  const count = counts.get(route) ?? 0;
  await audit(route);
  counts.set(route, count + 1);
})));`,
      options: [{ guards: ['inTransaction'] }],
    },

    // a user-declared safe type
    {
      code: `${declarations}
declare class LockedMap<K, V> extends Map<K, V> {}
const counts = new LockedMap<string, number>();
export const recordAll = (routes: string[]) => Promise.all(routes.map(async (route) => {
  const count = counts.get(route) ?? 0;
  await audit(route);
  counts.set(route, count + 1);
}));`,
      options: [{ safeTypes: ['LockedMap'] }],
    },
  ],
  invalid: [
    // check-then-act in a mapped callback's helper: two tasks miss and both load
    {
      code: `${declarations}
const users = new Map<string, User>();
async function getUser(id: string): Promise<User> {
  const cached = users.get(id);
  if (cached) return cached;
  const user = await fetchUser(id);
  users.set(id, user);
  return user;
}
export const loadTeam = (ids: string[]) => Promise.all(ids.map((id) => getUser(id)));`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 7,
          column: 18,
          endLine: 10,
          endColumn: 22,
          data: {
            kind: 'Map',
            name: 'users',
            readLine: 7,
            writeLine: 10,
            suspension: 'an await',
            awaitLine: 9,
            source: 'Promise.all tasks',
            writer: 'while other tasks write it',
            advice: 'Use SafeMap.getOrCompute or guard the section.',
          },
          suggestions: [
            {
              messageId: 'useGetOrCompute',
              data: { name: 'users' },
              output: `import { SafeMap } from 'eslint-plugin-maprace/runtime';

${declarations}
const users = new SafeMap<string, User>();
async function getUser(id: string): Promise<User> {
  return await users.getOrCompute(id, async () => {
    const user = await fetchUser(id);
    return user;
  });
}
export const loadTeam = (ids: string[]) => Promise.all(ids.map((id) => getUser(id)));`,
            },
          ],
        },
      ],
    },

    // read-modify-write of a counter, fixed on --fix when autofix is on
    {
      code: `${declarations}
import { readFile } from 'node:fs/promises';
const hits = new Map<string, number>();
export async function recordAll(routes: string[]) {
  await Promise.all(routes.map(async (route) => {
    const count = hits.get(route) ?? 0;
    await audit(route);
    hits.set(route, count + 1);
  }));
  return readFile('x');
}`,
      options: [{ autofix: true }],
      output: `${declarations}
import { readFile } from 'node:fs/promises';
import { SafeMap } from 'eslint-plugin-maprace/runtime';
const hits = new SafeMap<string, number>();
export async function recordAll(routes: string[]) {
  await Promise.all(routes.map(async (route) => {
    await hits.update(route, async (old) => {
      const count = old ?? 0;
      await audit(route);
      return count + 1;
    });
  }));
  return readFile('x');
}`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 9,
          column: 19,
          endLine: 11,
          endColumn: 31,
          suggestions: [
            {
              messageId: 'useUpdate',
              data: { name: 'hits' },
              output: `${declarations}
import { readFile } from 'node:fs/promises';
import { SafeMap } from 'eslint-plugin-maprace/runtime';
const hits = new SafeMap<string, number>();
export async function recordAll(routes: string[]) {
  await Promise.all(routes.map(async (route) => {
    await hits.update(route, async (old) => {
      const count = old ?? 0;
      await audit(route);
      return count + 1;
    });
  }));
  return readFile('x');
}`,
            },
          ],
        },
      ],
    },

    // a class method mapped over the ids: this.counts is shared by every task
    {
      code: `${declarations}
export class RouteStats {
  private readonly counts = new Map<string, number>();
  async record(route: string): Promise<void> {
    const count = this.counts.get(route) ?? 0;
    await audit(route);
    this.counts.set(route, count + 1);
  }
  recordAll(routes: string[]) {
    return Promise.all(routes.map((route) => this.record(route)));
  }
}`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 8,
          suggestions: [
            {
              messageId: 'useUpdate',
              data: { name: 'this.counts' },
              output: `import { SafeMap } from 'eslint-plugin-maprace/runtime';

${declarations}
export class RouteStats {
  private readonly counts = new SafeMap<string, number>();
  async record(route: string): Promise<void> {
    await this.counts.update(route, async (old) => {
      const count = old ?? 0;
      await audit(route);
      return count + 1;
    });
  }
  recordAll(routes: string[]) {
    return Promise.all(routes.map((route) => this.record(route)));
  }
}`,
            },
          ],
        },
      ],
    },

    // promises pushed in a loop, then combined
    {
      code: `${declarations}
const seen = new Set<string>();
async function visit(id: string) {
  if (!seen.has(id)) {
    await audit(id);
    seen.add(id);
  }
}
export async function visitAll(ids: string[]) {
  const work: Promise<void>[] = [];
  for (const id of ids) work.push(visit(id));
  await Promise.all(work);
}`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 7,
          data: {
            kind: 'Set',
            name: 'seen',
            readLine: 7,
            writeLine: 9,
            suspension: 'an await',
            awaitLine: 8,
            source: 'Promise.all tasks',
            writer: 'while other tasks write it',
            advice:
              "Guard the section (SafeMap.withLock, or a lock around it). No automatic fix: 'seen' is a Set: make it a SafeMap of keys to true, or guard the section with a lock.",
          },
        },
      ],
    },

    // two different tasks of one Promise.all: one reads across an await, the other writes
    {
      code: `${declarations}
const budget: Record<string, number> = {};
async function spend(team: string, amount: number) {
  const left = budget[team] ?? 0;
  await audit(team);
  budget[team] = left - amount;
}
async function reset(team: string) {
  await audit(team);
  budget[team] = 100;
}
export const settle = (team: string) => Promise.allSettled([spend(team, 5), reset(team)]);`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 7,
          data: {
            kind: 'Record',
            name: 'budget',
            readLine: 7,
            writeLine: 9,
            suspension: 'an await',
            awaitLine: 8,
            source: 'Promise.allSettled tasks',
            writer: 'while another of the Promise.allSettled tasks writes it (line 13)',
            advice:
              "Guard the section (SafeMap.withLock, or a lock around it). No automatic fix: 'budget' is a plain object: make it a SafeMap by hand (its property reads and writes become get and set).",
          },
        },
      ],
    },

    // a test that decides the write: no getOrCompute or update shape, so withLock
    {
      code: `${declarations}
const holds = new Map<string, string>();
async function reserve(seat: string, user: string) {
  if (holds.has(seat)) throw new Error(\`seat \${seat} is taken\`);
  await audit(seat);
  holds.set(seat, user);
}
export const book = (user: string, seats: string[]) => Promise.all(seats.map((seat) => reserve(seat, user)));`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 7,
          column: 7,
          endLine: 9,
          endColumn: 24,
          suggestions: [
            {
              messageId: 'useWithLock',
              data: { name: 'holds' },
              output: `import { SafeMap } from 'eslint-plugin-maprace/runtime';

${declarations}
const holds = new SafeMap<string, string>();
async function reserve(seat: string, user: string) {
  await holds.withLock(seat, async (view) => {
    if (view.has(seat)) throw new Error(\`seat \${seat} is taken\`);
    await audit(seat);
    view.set(seat, user);
  });
}
export const book = (user: string, seats: string[]) => Promise.all(seats.map((seat) => reserve(seat, user)));`,
            },
          ],
        },
      ],
    },

    // an exported map: other modules may hold it as a Map, so only the report
    {
      code: `${declarations}
export const sessions = new Map<string, number>();
export const touchAll = (ids: string[]) => Promise.all(ids.map(async (id) => {
  const last = sessions.get(id);
  await audit(id);
  sessions.set(id, (last ?? 0) + 1);
}));`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 7,
          data: {
            kind: 'Map',
            name: 'sessions',
            readLine: 7,
            writeLine: 9,
            suspension: 'an await',
            awaitLine: 8,
            source: 'Promise.all tasks',
            writer: 'while other tasks write it',
            advice:
              "Guard the section (SafeMap.withLock, or a lock around it). No automatic fix: 'sessions' is exported: other modules build or hold it as a Map, so the fix cannot change its type here.",
          },
        },
      ],
    },
  ],
  typedOnly: {
    invalid: [
      // a map recognised through its type: a subclass of Map, passed nowhere, held by a class
      {
        code: `${declarations}
class UserIndex extends Map<string, User> {}
type Index = UserIndex;
export class Directory {
  constructor(private readonly index: Index) {}
  async refresh(id: string) {
    const known = this.index.get(id);
    await audit(id);
    this.index.set(id, known ?? (await fetchUser(id)));
  }
  refreshAll(ids: string[]) {
    return Promise.all(ids.map((id) => this.refresh(id)));
  }
}`,
        errors: [
          {
            messageId: 'readWriteRace',
            line: 10,
            data: {
              kind: 'Map',
              name: 'this.index',
              readLine: 10,
              writeLine: 12,
              suspension: 'an await',
              awaitLine: 11,
              source: 'Promise.all tasks',
              writer: 'while other tasks write it',
              advice:
                "Guard the section (SafeMap.withLock, or a lock around it). No automatic fix: 'this.index' is not built in this file: change its construction to new SafeMap(…) where it is made.",
            },
          },
        ],
      },
    ],
  },
});
