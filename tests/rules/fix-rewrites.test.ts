/**
 * The rewrites of the commonest shapes, case by case: a cache filled through `let v = m.get(k)`
 * becomes getOrCompute and keeps `v` for the code after it; a live loop that writes entries back
 * iterates a copy and re-checks each entry before writing it, so a copy cannot revive an entry
 * deleted during the await. Each has its correct twin, which stays silent.
 */
import promiseAll from '../../lib/rules/no-unguarded-map-in-promise-all.js';
import timer from '../../lib/rules/no-unguarded-map-in-timer.js';
import { runBoth } from '../helpers/rule-tester.js';

const imported = "import { SafeMap } from 'maprace';\n\n";

const users = `interface User { id: string; name: string }
declare function fetchUser(id: string): Promise<User>;
declare function audit(route: string): Promise<void>;
`;

runBoth('no-unguarded-map-in-promise-all', promiseAll, {
  valid: [
    // the twin of the fill below: the pending promise is stored before anything awaits
    `${users}
const pending = new Map<string, Promise<User>>();
export async function user(id: string): Promise<User> {
  let loading = pending.get(id);
  if (!loading) {
    loading = fetchUser(id);
    pending.set(id, loading);
  }
  return loading;
}
export const team = (ids: string[]) => Promise.all(ids.map(user));`,

    // the fill after its rewrite: one load however many tasks miss
    `import { SafeMap } from 'maprace';
${users}
const profiles = new SafeMap<string, User>();
export async function user(id: string): Promise<User> {
  const profile = await profiles.getOrCompute(id, () => fetchUser(id));
  return profile;
}
export const team = (ids: string[]) => Promise.all(ids.map(user));`,
  ],
  invalid: [
    // the commonest cache: read into a variable, fill it on a miss, use it after
    {
      code: `${users}
const profiles = new Map<string, User>();
export async function user(id: string): Promise<User> {
  let profile = profiles.get(id);
  if (!profile) {
    profile = await fetchUser(id);
    profiles.set(id, profile);
  }
  return profile;
}
export const team = (ids: string[]) => Promise.all(ids.map(user));`,
      errors: [
        {
          messageId: 'duplicateLoad',
          line: 7,
          column: 17,
          endLine: 10,
          endColumn: 30,
          suggestions: [
            {
              messageId: 'useGetOrCompute',
              data: { name: 'profiles' },
              output: `${imported}${users}
const profiles = new SafeMap<string, User>();
export async function user(id: string): Promise<User> {
  const profile = await profiles.getOrCompute(id, () => fetchUser(id));
  return profile;
}
export const team = (ids: string[]) => Promise.all(ids.map(user));`,
            },
          ],
        },
      ],
    },

    // a comment in the block moves with the load into the loader's body
    {
      code: `${users}
const profiles = new Map<string, User>();
export async function user(id: string): Promise<User> {
  let profile = profiles.get(id);
  if (!profile) {
    // the directory is slow: a miss costs a second
    profile = await fetchUser(id);
    profiles.set(id, profile);
  }
  return profile;
}
export const team = (ids: string[]) => Promise.all(ids.map(user));`,
      errors: [
        {
          messageId: 'duplicateLoad',
          line: 7,
          column: 17,
          suggestions: [
            {
              messageId: 'useGetOrCompute',
              data: { name: 'profiles' },
              output: `${imported}${users}
const profiles = new SafeMap<string, User>();
export async function user(id: string): Promise<User> {
  const profile = await profiles.getOrCompute(id, async () => {
    // the directory is slow: a miss costs a second
    const profile = await fetchUser(id);
    return profile;
  });
  return profile;
}
export const team = (ids: string[]) => Promise.all(ids.map(user));`,
            },
          ],
        },
      ],
    },

    // a class's injected-style cache, tested with === undefined; the load uses locals, and the
    // block's own steps move into the loader, whose first assignment declares its own variable
    {
      code: `${users}
export class UserDirectory {
  private readonly cache = new Map<string, User>();
  constructor(private readonly region: string) {}
  async user(id: string): Promise<User> {
    const key = \`\${this.region}:\${id}\`;
    let user: User | undefined = this.cache.get(key);
    if (user === undefined) {
      await audit(key);
      user = await fetchUser(id);
      user = { ...user, name: user.name.trim() };
      this.cache.set(key, user);
    }
    return user;
  }
  team(ids: string[]) {
    return Promise.all(ids.map((id) => this.user(id)));
  }
}`,
      errors: [
        {
          messageId: 'duplicateLoad',
          line: 10,
          column: 34,
          endLine: 15,
          endColumn: 32,
          suggestions: [
            {
              messageId: 'useGetOrCompute',
              data: { name: 'this.cache' },
              output: `${imported}${users}
export class UserDirectory {
  private readonly cache = new SafeMap<string, User>();
  constructor(private readonly region: string) {}
  async user(id: string): Promise<User> {
    const key = \`\${this.region}:\${id}\`;
    const user: User | undefined = await this.cache.getOrCompute(key, async () => {
      await audit(key);
      let user = await fetchUser(id);
      user = { ...user, name: user.name.trim() };
      return user;
    });
    return user;
  }
  team(ids: string[]) {
    return Promise.all(ids.map((id) => this.user(id)));
  }
}`,
            },
          ],
        },
      ],
    },

    // == null, and the value stored and kept is a field of what was loaded
    {
      code: `${users}
const names = new Map<string, string>();
export async function nameOf(id: string): Promise<string> {
  let name = names.get(id);
  if (name == null) {
    const loaded = await fetchUser(id);
    names.set(id, loaded.name);
    name = loaded.name;
  }
  return name.toUpperCase();
}
export const roster = (ids: string[]) => Promise.all(ids.map(nameOf));`,
      errors: [
        {
          messageId: 'duplicateLoad',
          line: 7,
          column: 14,
          endLine: 10,
          endColumn: 31,
          suggestions: [
            {
              messageId: 'useGetOrCompute',
              data: { name: 'names' },
              output: `${imported}${users}
const names = new SafeMap<string, string>();
export async function nameOf(id: string): Promise<string> {
  const name = await names.getOrCompute(id, async () => {
    const loaded = await fetchUser(id);
    return loaded.name;
  });
  return name.toUpperCase();
}
export const roster = (ids: string[]) => Promise.all(ids.map(nameOf));`,
            },
          ],
        },
      ],
    },

    // nothing reads the variable after the fill (a prewarm): the statement is a bare await
    {
      code: `${users}
const warmed = new Map<string, User>();
export async function prewarm(id: string): Promise<void> {
  let hit = warmed.get(id);
  if (!hit) {
    hit = await fetchUser(id);
    warmed.set(id, hit);
  }
}
export const prewarmAll = (ids: string[]) => Promise.all(ids.map(prewarm));`,
      errors: [
        {
          messageId: 'duplicateLoad',
          line: 7,
          column: 13,
          suggestions: [
            {
              messageId: 'useGetOrCompute',
              data: { name: 'warmed' },
              output: `${imported}${users}
const warmed = new SafeMap<string, User>();
export async function prewarm(id: string): Promise<void> {
  await warmed.getOrCompute(id, () => fetchUser(id));
}
export const prewarmAll = (ids: string[]) => Promise.all(ids.map(prewarm));`,
            },
          ],
        },
      ],
    },

    // what the function returns (the raw user) is not what it stores (a trimmed copy): a
    // getOrCompute would return the stored one, so the section goes into withLock instead
    {
      code: `${users}
const trimmed = new Map<string, User>();
export async function user(id: string): Promise<User> {
  let found = trimmed.get(id);
  if (!found) {
    found = await fetchUser(id);
    trimmed.set(id, { ...found, name: found.name.trim() });
  }
  return found;
}
export const team = (ids: string[]) => Promise.all(ids.map(user));`,
      errors: [
        {
          messageId: 'duplicateLoad',
          line: 7,
          column: 15,
          suggestions: [],
        },
      ],
    },

    // the block renames the key before storing: getOrCompute would store under the old one
    {
      code: `${users}
const byHandle = new Map<string, User>();
export async function user(handle: string): Promise<User> {
  let found = byHandle.get(handle);
  if (!found) {
    found = await fetchUser(handle);
    handle = found.name;
    byHandle.set(handle, found);
  }
  return found;
}
export const team = (handles: string[]) => Promise.all(handles.map(user));`,
      errors: [{ messageId: 'readWriteRace', line: 7, column: 15, suggestions: [] }],
    },
  ],
});

const sessions = `interface Session { id: string; user: string; flushed: boolean }
declare function flush(session: Session): Promise<void>;
declare function retry(id: string): Promise<number>;
`;

runBoth('no-unguarded-map-in-timer', timer, {
  valid: [
    // the write-back after its rewrite: a copy, and the entry re-checked before it is written
    `${sessions}
const open = new Map<string, Session>();
export function logout(id: string) { open.delete(id); }
setInterval(async () => {
  for (const [id, session] of [...open]) {
    await flush(session);
    if (open.get(id) === session) open.set(id, { ...session, flushed: true });
  }
}, 1000);`,
  ],
  invalid: [
    // a flush loop writes each session back after its await; a plain copy would bring back a
    // session logged out meanwhile, so the write checks the entry is still the one it flushed
    {
      code: `${sessions}
const open = new Map<string, Session>();
export function logout(id: string) { open.delete(id); }
setInterval(async () => {
  for (const [id, session] of open) {
    await flush(session);
    open.set(id, { ...session, flushed: true });
  }
}, 1000);`,
      errors: [
        {
          messageId: 'liveIteration',
          line: 8,
          column: 3,
          endLine: 8,
          endColumn: 35,
          suggestions: [
            {
              messageId: 'iterateSnapshot',
              data: { name: 'open' },
              output: `${sessions}
const open = new Map<string, Session>();
export function logout(id: string) { open.delete(id); }
setInterval(async () => {
  for (const [id, session] of [...open]) {
    await flush(session);
    if (open.get(id) === session) open.set(id, { ...session, flushed: true });
  }
}, 1000);`,
            },
          ],
        },
      ],
    },

    // over the keys the loop has no value to compare: the write checks the key is still there;
    // as the sole statement of an else, it gets braces so no else can attach to the new if
    {
      code: `${sessions}
const retries = new Map<string, number>();
export function cancel(id: string) { retries.delete(id); }
setInterval(async () => {
  for (const id of retries.keys()) {
    const left = await retry(id);
    if (left === 0) retries.delete(id);
    else retries.set(id, left);
  }
}, 1000);`,
      errors: [
        {
          messageId: 'liveIteration',
          line: 8,
          column: 3,
          suggestions: [
            {
              messageId: 'iterateSnapshot',
              data: { name: 'retries' },
              output: `${sessions}
const retries = new Map<string, number>();
export function cancel(id: string) { retries.delete(id); }
setInterval(async () => {
  for (const id of [...retries.keys()]) {
    const left = await retry(id);
    if (left === 0) retries.delete(id);
    else { if (retries.has(id)) retries.set(id, left); }
  }
}, 1000);`,
            },
          ],
        },
      ],
    },

    // written before and after the await: one re-check cannot keep both writes right, so no
    // copy is offered and the loop stays reported
    {
      code: `${sessions}
const open = new Map<string, Session>();
export function logout(id: string) { open.delete(id); }
setInterval(async () => {
  for (const [id, session] of open) {
    open.set(id, { ...session, flushed: false });
    await flush(session);
    open.set(id, { ...session, flushed: true });
  }
}, 1000);`,
      errors: [{ messageId: 'liveIteration', line: 8, column: 3, suggestions: [] }],
    },

    // the key reaches the write through a local of the body: still the visited entry, re-checked
    {
      code: `${sessions}
const open = new Map<string, Session>();
export function logout(id: string) { open.delete(id); }
setInterval(async () => {
  for (const [id, session] of open) {
    await flush(session);
    const key = id.trim();
    open.set(key, { ...session, flushed: true });
  }
}, 1000);`,
      errors: [
        {
          messageId: 'liveIteration',
          line: 8,
          column: 3,
          suggestions: [
            {
              messageId: 'iterateSnapshot',
              data: { name: 'open' },
              output: `${sessions}
const open = new Map<string, Session>();
export function logout(id: string) { open.delete(id); }
setInterval(async () => {
  for (const [id, session] of [...open]) {
    await flush(session);
    const key = id.trim();
    if (open.has(key)) open.set(key, { ...session, flushed: true });
  }
}, 1000);`,
            },
          ],
        },
      ],
    },
  ],
});
