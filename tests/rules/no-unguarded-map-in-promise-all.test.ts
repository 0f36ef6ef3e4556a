import rule from '../../lib/rules/no-unguarded-map-in-promise-all.js';
import { taskRace } from '../helpers/race-data.js';
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
    // check-then-act in a mapped callback's helper: two tasks miss and both load (a duplicate load: the value comes from the key alone)
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
          messageId: 'duplicateLoad',
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
            advice: 'Store the promise before awaiting, or use SafeMap.getOrCompute.',
          },
          suggestions: [
            {
              messageId: 'useGetOrCompute',
              data: { name: 'users' },
              output: `import { SafeMap } from 'maprace';

${declarations}
const users = new SafeMap<string, User>();
async function getUser(id: string): Promise<User> {
  return await users.getOrCompute(id, () => fetchUser(id));
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
import { SafeMap } from 'maprace';
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
import { SafeMap } from 'maprace';
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
              output: `import { SafeMap } from 'maprace';

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

    // promises pushed in a loop, then combined; the Set becomes a SafeMap of ids to true
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
            advice: 'Use SafeMap.getOrCompute or guard the section.',
          },
          suggestions: [
            {
              messageId: 'useGetOrCompute',
              data: { name: 'seen' },
              output: `import { SafeMap } from 'maprace';

${declarations}
const seen = new SafeMap<string, boolean>();
async function visit(id: string) {
  await seen.getOrCompute(id, async () => {
    await audit(id);
    return true;
  });
}
export async function visitAll(ids: string[]) {
  const work: Promise<void>[] = [];
  for (const id of ids) work.push(visit(id));
  await Promise.all(work);
}`,
            },
          ],
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
              output: `import { SafeMap } from 'maprace';

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

    // check-then-act with has: the load becomes getOrCompute's function, run once however many tasks miss
    {
      code: `${declarations}
const users = new Map<string, User>();
async function ensure(id: string): Promise<void> {
  if (!users.has(id)) {
    const user = await fetchUser(id);
    users.set(id, user);
  }
}
export const preload = (ids: string[]) => Promise.all(ids.map(ensure));`,
      options: [{ autofix: true }],
      output: `import { SafeMap } from 'maprace';

${declarations}
const users = new SafeMap<string, User>();
async function ensure(id: string): Promise<void> {
  await users.getOrCompute(id, () => fetchUser(id));
}
export const preload = (ids: string[]) => Promise.all(ids.map(ensure));`,
      errors: [
        {
          messageId: 'duplicateLoad',
          line: 7,
          column: 8,
          endLine: 9,
          endColumn: 24,
          data: taskRace({ name: 'users', read: 7, advice: 'Store the promise before awaiting, or use SafeMap.getOrCompute.' }),
          suggestions: [
            {
              messageId: 'useGetOrCompute',
              data: { name: 'users' },
              output: `import { SafeMap } from 'maprace';

${declarations}
const users = new SafeMap<string, User>();
async function ensure(id: string): Promise<void> {
  await users.getOrCompute(id, () => fetchUser(id));
}
export const preload = (ids: string[]) => Promise.all(ids.map(ensure));`,
            },
          ],
        },
      ],
    },

    // the read and the write in different blocks: withLock over the smallest statement list holding both
    {
      code: `${declarations}
const holds = new Map<string, string>();
async function reserve(seat: string, user: string) {
  const holder = holds.get(seat);
  if (holder === undefined) {
    await audit(seat);
    holds.set(seat, user);
  }
  console.log(seat);
}
export const book = (user: string, seats: string[]) => Promise.all(seats.map((seat) => reserve(seat, user)));`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 7,
          data: taskRace({ name: 'holds', read: 7, write: 10, awaitLine: 9, advice: 'Guard the section (SafeMap.withLock, or a lock around it).' }),
          suggestions: [
            {
              messageId: 'useWithLock',
              data: { name: 'holds' },
              output: `import { SafeMap } from 'maprace';

${declarations}
const holds = new SafeMap<string, string>();
async function reserve(seat: string, user: string) {
  await holds.withLock(seat, async (view) => {
    const holder = view.get(seat);
    if (holder === undefined) {
      await audit(seat);
      view.set(seat, user);
    }
  });
  console.log(seat);
}
export const book = (user: string, seats: string[]) => Promise.all(seats.map((seat) => reserve(seat, user)));`,
            },
          ],
        },
      ],
    },

    // an early bare return at the end of the function: update keeps the entry as it is
    {
      code: `${declarations}
export class Sessions {
  private sessions: Map<string, User> = new Map();
  private async rename(id: string) {
    const user = this.sessions.get(id);
    if (!user) return;
    await audit(id);
    this.sessions.set(id, { ...user, name: user.name.trim() });
  }
  renameAll(ids: string[]) {
    return Promise.all(ids.map((id) => this.rename(id)));
  }
}`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 8,
          suggestions: [
            {
              messageId: 'useUpdate',
              data: { name: 'this.sessions' },
              output: `import { SafeMap } from 'maprace';

${declarations}
export class Sessions {
  private sessions: SafeMap<string, User> = new SafeMap();
  private async rename(id: string) {
    await this.sessions.update(id, async (old) => {
      const user = old;
      if (!user) return old;
      await audit(id);
      return { ...user, name: user.name.trim() };
    });
  }
  renameAll(ids: string[]) {
    return Promise.all(ids.map((id) => this.rename(id)));
  }
}`,
            },
          ],
        },
      ],
    },

    // a Set used elsewhere too: every use is rewritten (iteration goes over its keys), but forget()
    // deletes with a plain delete, which would throw while a section holds the id: suggestion only
    {
      code: `${declarations}
const seen = new Set<string>();
export function forget(id: string) { seen.delete(id); }
export function known(): string[] { return [...seen]; }
export const visitAll = (ids: string[]) => Promise.all(ids.map(async (id) => {
  if (seen.has(id)) return;
  await audit(id);
  seen.add(id);
}));`,
      options: [{ autofix: true }],
      output: null,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 9,
          data: taskRace({
            kind: 'Set',
            name: 'seen',
            read: 9,
            advice: `Use SafeMap.getOrCompute or guard the section. Suggestion only, not applied by --fix: 'forget' (line 6) also writes 'seen' with a plain delete, which a SafeMap turns into a thrown "concurrent map writes" while a section holds the key; move that write into SafeMap's update or withLock too.`,
          }),
          suggestions: [
            {
              messageId: 'useGetOrCompute',
              data: { name: 'seen' },
              output: `import { SafeMap } from 'maprace';

${declarations}
const seen = new SafeMap<string, boolean>();
export function forget(id: string) { seen.delete(id); }
export function known(): string[] { return [...seen.keys()]; }
export const visitAll = (ids: string[]) => Promise.all(ids.map(async (id) => {
  await seen.getOrCompute(id, async () => {
    await audit(id);
    return true;
  });
}));`,
            },
          ],
        },
      ],
    },

    // a Set used in a way a SafeMap does not take (forEach's callback gets other arguments): no fix
    {
      code: `${declarations}
const seen = new Set<string>();
export function log() { seen.forEach((id) => console.log(id)); }
export const visitAll = (ids: string[]) => Promise.all(ids.map(async (id) => {
  if (seen.has(id)) return;
  await audit(id);
  seen.add(id);
}));`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 8,
          data: taskRace({
            kind: 'Set',
            name: 'seen',
            read: 8,
            advice:
              "Guard the section (SafeMap.withLock, or a lock around it). No automatic fix: 'seen' is a Set, used on line 6 in a way a SafeMap of keys to true does not take: convert it by hand, or guard the section with a lock.",
          }),
        },
      ],
    },

    // the map is returned to callers, who may write it with a plain set: suggestion only
    {
      code: `${declarations}
const hits = new Map<string, number>();
export async function recordAll(routes: string[]) {
  await Promise.all(routes.map(async (route) => {
    const count = hits.get(route) ?? 0;
    await audit(route);
    hits.set(route, count + 1);
  }));
  return hits;
}`,
      options: [{ autofix: true }],
      output: null,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 8,
          data: taskRace({
            name: 'hits',
            read: 8,
            advice: `Use SafeMap.update or guard the section. Suggestion only, not applied by --fix: 'hits' is handed on at line 12, and what gets it may write it with a plain set, which a SafeMap turns into a thrown "concurrent map writes" while a section holds the key.`,
          }),
          suggestions: [
            {
              messageId: 'useUpdate',
              data: { name: 'hits' },
              output: `import { SafeMap } from 'maprace';

${declarations}
const hits = new SafeMap<string, number>();
export async function recordAll(routes: string[]) {
  await Promise.all(routes.map(async (route) => {
    await hits.update(route, async (old) => {
      const count = old ?? 0;
      await audit(route);
      return count + 1;
    });
  }));
  return hits;
}`,
            },
          ],
        },
      ],
    },

    // the constructor's seeding write runs before any task: --fix applies the rewrite
    {
      code: `${declarations}
export class RouteStats {
  private readonly counts = new Map<string, number>();
  constructor() {
    this.counts.set('/', 0);
  }
  async record(route: string): Promise<void> {
    const count = this.counts.get(route) ?? 0;
    await audit(route);
    this.counts.set(route, count + 1);
  }
  recordAll(routes: string[]) {
    return Promise.all(routes.map((route) => this.record(route)));
  }
}`,
      options: [{ autofix: true }],
      output: `import { SafeMap } from 'maprace';

${declarations}
export class RouteStats {
  private readonly counts = new SafeMap<string, number>();
  constructor() {
    this.counts.set('/', 0);
  }
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
      errors: [{ messageId: 'readWriteRace', line: 11, suggestions: [{ messageId: 'useUpdate', data: { name: 'this.counts' }, output: `import { SafeMap } from 'maprace';

${declarations}
export class RouteStats {
  private readonly counts = new SafeMap<string, number>();
  constructor() {
    this.counts.set('/', 0);
  }
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
}` }] }],
    },

    // a map that may be undefined: the annotation's union and the write's non-null assertion are kept
    {
      code: `${declarations}
let cache: Map<string, number> | undefined = new Map();
export const bumpAll = (ids: string[]) => Promise.all(ids.map(async (id) => {
  const n = cache!.get(id) ?? 0;
  await audit(id);
  cache!.set(id, n + 1);
}));`,
      options: [{ autofix: true }],
      output: `import { SafeMap } from 'maprace';

${declarations}
let cache: SafeMap<string, number> | undefined = new SafeMap();
export const bumpAll = (ids: string[]) => Promise.all(ids.map(async (id) => {
  await cache!.update(id, async (old) => {
    const n = old ?? 0;
    await audit(id);
    return n + 1;
  });
}));`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 7,
          suggestions: [
            {
              messageId: 'useUpdate',
              data: { name: 'cache' },
              output: `import { SafeMap } from 'maprace';

${declarations}
let cache: SafeMap<string, number> | undefined = new SafeMap();
export const bumpAll = (ids: string[]) => Promise.all(ids.map(async (id) => {
  await cache!.update(id, async (old) => {
    const n = old ?? 0;
    await audit(id);
    return n + 1;
  });
}));`,
            },
          ],
        },
      ],
    },

    // an optional field read through ?. and written through !: getOrCompute on the field with !
    {
      code: `${declarations}
export class Repo {
  private users?: Map<string, User> = new Map();
  async get(id: string) {
    const hit = this.users?.get(id);
    if (hit) return hit;
    const user = await fetchUser(id);
    this.users!.set(id, user);
    return user;
  }
  all(ids: string[]) {
    return Promise.all(ids.map((id) => this.get(id)));
  }
}`,
      errors: [
        {
          messageId: 'duplicateLoad',
          line: 8,
          suggestions: [
            {
              messageId: 'useGetOrCompute',
              data: { name: 'this.users' },
              output: `import { SafeMap } from 'maprace';

${declarations}
export class Repo {
  private users?: SafeMap<string, User> = new SafeMap();
  async get(id: string) {
    return await this.users!.getOrCompute(id, () => fetchUser(id));
  }
  all(ids: string[]) {
    return Promise.all(ids.map((id) => this.get(id)));
  }
}`,
            },
          ],
        },
      ],
    },

    // no fix where the rewrite could not keep the code's meaning or types: a write through ?.,
    // a type alias, a map assigned again
    ...[
      {
        code: `export class Totals {
  private totals?: Map<string, number> = new Map();
  async add(id: string) {
    const before = this.totals?.get(id) ?? 0;
    await audit(id);
    this.totals?.set(id, before + 1);
  }
  addAll(ids: string[]) { return Promise.all(ids.map((id) => this.add(id))); }
}`,
        name: 'this.totals',
        reason: "'this.totals' is written through ?. (it may be undefined), which the rewritten section cannot keep: make it always defined, then guard the section",
      },
      {
        code: `type Totals = Map<string, number>;
const totals: Totals = new Map();
export const addAll = (ids: string[]) => Promise.all(ids.map(async (id) => {
  const before = totals.get(id) ?? 0;
  await audit(id);
  totals.set(id, before + 1);
}));`,
        name: 'totals',
        reason: "'totals' is declared as Totals, not as a Map: declare it as a SafeMap by hand",
      },
      {
        code: `let totals = new Map<string, number>();
export function reset() { totals = new Map(); }
export const addAll = (ids: string[]) => Promise.all(ids.map(async (id) => {
  const before = totals.get(id) ?? 0;
  await audit(id);
  totals.set(id, before + 1);
}));`,
        name: 'totals',
        reason: "'totals' is assigned again on line 6: make every map assigned to it a SafeMap by hand",
      },
    ].map(({ code, name, reason }) => ({
      code: `${declarations}\n${code}`,
      errors: [
        {
          messageId: 'readWriteRace' as const,
          line: 8,
          data: taskRace({ name, read: 8, advice: `Guard the section (SafeMap.withLock, or a lock around it). No automatic fix: ${reason}.` }),
        },
      ],
    })),

    // a GoMap becomes a SafeMap over a GoMap store; the GoMap import it leaves unused becomes SafeMap's
    {
      code: `import { GoMap } from 'maprace';
${declarations}
const hits = new GoMap<string, number>();
export const recordAll = (routes: string[]) => Promise.all(routes.map(async (route) => {
  const count = hits.get(route) ?? 0;
  await audit(route);
  hits.set(route, count + 1);
}));`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 8,
          data: taskRace({ kind: 'GoMap', name: 'hits', read: 8, advice: 'Use SafeMap.update or guard the section.' }),
          suggestions: [
            {
              messageId: 'useUpdate',
              data: { name: 'hits' },
              output: `import { SafeMap } from 'maprace';
${declarations}
const hits = new SafeMap<string, number>({ store: 'go' });
export const recordAll = (routes: string[]) => Promise.all(routes.map(async (route) => {
  await hits.update(route, async (old) => {
    const count = old ?? 0;
    await audit(route);
    return count + 1;
  });
}));`,
            },
          ],
        },
      ],
    },
    // … also from the plugin's own runtime module, as code written before the maprace package imports it
    {
      code: `import { GoMap } from 'eslint-plugin-maprace/runtime';
${declarations}
const hits = new GoMap<string, number>();
export const recordAll = (routes: string[]) => Promise.all(routes.map(async (route) => {
  const count = hits.get(route) ?? 0;
  await audit(route);
  hits.set(route, count + 1);
}));`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 8,
          data: taskRace({ kind: 'GoMap', name: 'hits', read: 8, advice: 'Use SafeMap.update or guard the section.' }),
          suggestions: [
            {
              messageId: 'useUpdate',
              data: { name: 'hits' },
              output: `import { SafeMap } from 'eslint-plugin-maprace/runtime';
${declarations}
const hits = new SafeMap<string, number>({ store: 'go' });
export const recordAll = (routes: string[]) => Promise.all(routes.map(async (route) => {
  await hits.update(route, async (old) => {
    const count = old ?? 0;
    await audit(route);
    return count + 1;
  });
}));`,
            },
          ],
        },
      ],
    },
    // … and an unused GoMap import from another module goes, its other names stay
    {
      code: `import { GoMap, hashString } from '#runtime';
${declarations}
const hits = new GoMap<string, number>();
export const hashOf = (route: string) => hashString(route);
export const recordAll = (routes: string[]) => Promise.all(routes.map(async (route) => {
  const count = hits.get(route) ?? 0;
  await audit(route);
  hits.set(route, count + 1);
}));`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 9,
          suggestions: [
            {
              messageId: 'useUpdate',
              data: { name: 'hits' },
              output: `import { hashString } from '#runtime';
import { SafeMap } from 'maprace';
${declarations}
const hits = new SafeMap<string, number>({ store: 'go' });
export const hashOf = (route: string) => hashString(route);
export const recordAll = (routes: string[]) => Promise.all(routes.map(async (route) => {
  await hits.update(route, async (old) => {
    const count = old ?? 0;
    await audit(route);
    return count + 1;
  });
}));`,
            },
          ],
        },
      ],
    },

    // code written before the maprace package: SafeMap joins its import from the plugin's runtime (not a second import from maprace)
    {
      code: `import { GoMap } from 'eslint-plugin-maprace/runtime';
${declarations}
export const index = new GoMap<string, string>();
const hits = new Map<string, number>();
export const recordAll = (routes: string[]) => Promise.all(routes.map(async (route) => {
  const count = hits.get(route) ?? 0;
  await audit(route);
  hits.set(route, count + 1);
}));`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 9,
          suggestions: [{ messageId: 'useUpdate', data: { name: 'hits' }, output: `import { GoMap, SafeMap } from 'eslint-plugin-maprace/runtime';
${declarations}
export const index = new GoMap<string, string>();
const hits = new SafeMap<string, number>();
export const recordAll = (routes: string[]) => Promise.all(routes.map(async (route) => {
  await hits.update(route, async (old) => {
    const count = old ?? 0;
    await audit(route);
    return count + 1;
  });
}));` }],
        },
      ],
    },
    // … whatever runtimeModule says: any module that exports the runtime is an existing import
    {
      code: `import { GoMap } from 'eslint-plugin-maprace/runtime';
${declarations}
export const index = new GoMap<string, string>();
const hits = new Map<string, number>();
export const recordAll = (routes: string[]) => Promise.all(routes.map(async (route) => {
  const count = hits.get(route) ?? 0;
  await audit(route);
  hits.set(route, count + 1);
}));`,
      options: [{ runtimeModule: '#runtime' }],
      errors: [
        {
          messageId: 'readWriteRace',
          line: 9,
          suggestions: [{ messageId: 'useUpdate', data: { name: 'hits' }, output: `import { GoMap, SafeMap } from 'eslint-plugin-maprace/runtime';
${declarations}
export const index = new GoMap<string, string>();
const hits = new SafeMap<string, number>();
export const recordAll = (routes: string[]) => Promise.all(routes.map(async (route) => {
  await hits.update(route, async (old) => {
    const count = old ?? 0;
    await audit(route);
    return count + 1;
  });
}));` }],
        },
      ],
    },
    // … and its require in a CommonJS file
    {
      code: `'use strict';
const { GoMap } = require('eslint-plugin-maprace/runtime');
const index = new GoMap();
const counts = new Map();
async function run(ids) {
  await Promise.all(ids.map(async (id) => {
    const n = counts.get(id) || 0;
    await fetch(id);
    counts.set(id, n + 1);
  }));
}
module.exports = { index, run };`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 7,
          suggestions: [{ messageId: 'useUpdate', data: { name: 'counts' }, output: `'use strict';
const { GoMap, SafeMap } = require('eslint-plugin-maprace/runtime');
const index = new GoMap();
const counts = new SafeMap();
async function run(ids) {
  await Promise.all(ids.map(async (id) => {
    await counts.update(id, async (old) => {
      const n = old || 0;
      await fetch(id);
      return n + 1;
    });
  }));
}
module.exports = { index, run };` }],
        },
      ],
    },
    // a CommonJS file gets SafeMap through require, after its other requires
    {
      code: `'use strict';
const { readFile } = require('node:fs/promises');
const counts = new Map();
async function run(ids) {
  await Promise.all(ids.map(async (id) => {
    const n = counts.get(id) || 0;
    await readFile(id);
    counts.set(id, n + 1);
  }));
}
module.exports = { run };`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 6,
          suggestions: [
            {
              messageId: 'useUpdate',
              data: { name: 'counts' },
              output: `'use strict';
const { readFile } = require('node:fs/promises');
const { SafeMap } = require('maprace');
const counts = new SafeMap();
async function run(ids) {
  await Promise.all(ids.map(async (id) => {
    await counts.update(id, async (old) => {
      const n = old || 0;
      await readFile(id);
      return n + 1;
    });
  }));
}
module.exports = { run };`,
            },
          ],
        },
      ],
    },

    // maps held by a #private field, by a field the constructor assigns (JavaScript's way), and by a
    // static field read through \`this\` in a static method
    ...[
      { member: '#cache = new Map<string, number>();', ref: 'this.#cache', name: 'this.#cache', modifier: '' },
      { member: 'constructor() {\n    this.cache = new Map<string, number>();\n  }', ref: 'this.cache', name: 'this.cache', modifier: '' },
      { member: 'static entries = new Map<string, number>();', ref: 'this.entries', name: 'Store.entries', modifier: 'static ' },
    ].map(({ member, ref, name, modifier }) => ({
      code: `${declarations}
export class Store {
  ${member}
  ${modifier}async bump(id: string) {
    const n = ${ref}.get(id) ?? 0;
    await audit(id);
    ${ref}.set(id, n + 1);
  }
  ${modifier}bumpAll(ids: string[]) {
    return Promise.all(ids.map((id) => this.bump(id)));
  }
}`,
      errors: [{ messageId: 'readWriteRace' as const, line: member.includes('\n') ? 10 : 8, data: taskRace({ name, read: member.includes('\n') ? 10 : 8, advice: 'Use SafeMap.update or guard the section.' }), suggestions: [{ messageId: 'useUpdate' as const, data: { name }, output: `import { SafeMap } from 'maprace';

${declarations}
export class Store {
  ${member.replace('new Map', 'new SafeMap')}
  ${modifier}async bump(id: string) {
    await ${ref}.update(id, async (old) => {
      const n = old ?? 0;
      await audit(id);
      return n + 1;
    });
  }
  ${modifier}bumpAll(ids: string[]) {
    return Promise.all(ids.map((id) => this.bump(id)));
  }
}` }] }],
    })),
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
                "Guard the section (SafeMap.withLock, or a lock around it). No automatic fix: 'this.index' is handed to the constructor: other modules build or hold it as a Map, so the fix cannot change its type here.",
            },
          },
        ],
      },
    ],
  },
});
