import rule from '../../lib/rules/no-unguarded-map-in-timer.js';
import { runBoth } from '../helpers/rule-tester.js';

const declarations = `interface Session { id: string; user: string }
declare function isStillValid(session: Session): Promise<boolean>;
declare function flush(key: string, count: number): Promise<void>;
`;

/** What the advice adds when a plain write elsewhere keeps the rewrite from `eslint --fix`. */
const suggestionOnly = (writer: string, name: string) =>
  `Suggestion only, not applied by --fix: ${writer} also writes '${name}' with a plain set, which a SafeMap turns into a thrown "concurrent map writes" while a section holds the key; move that write into SafeMap's update or withLock too.`;

runBoth('no-unguarded-map-in-timer', rule, {
  valid: [
    // a synchronous timer callback: it runs to the end before anything else
    `${declarations}
const counts = new Map<string, number>();
export function hit(key: string) { counts.set(key, (counts.get(key) ?? 0) + 1); }
setInterval(() => {
  for (const [key, count] of counts) if (count === 0) counts.delete(key);
}, 1000);`,

    // the sweep walks a copy taken before the loop
    `${declarations}
const sessions = new Map<string, Session>();
export function login(session: Session) { sessions.set(session.id, session); }
setInterval(async () => {
  for (const [id, session] of [...sessions]) {
    if (!(await isStillValid(session))) sessions.delete(id);
  }
}, 1000);`,

    // a one-shot timer over a map nobody else writes
    `${declarations}
const pending = new Map<string, number>([['a', 1]]);
setTimeout(async () => {
  const count = pending.get('a') ?? 0;
  await flush('a', count);
  pending.set('a', 0);
}, 10);`,

    // a setInterval whose section runs under a lock
    `${declarations}
declare const navigator: { locks: { request<T>(name: string, fn: () => Promise<T>): Promise<T> } };
const counts = new Map<string, number>();
export function hit(key: string) { counts.set(key, (counts.get(key) ?? 0) + 1); }
setInterval(() => navigator.locks.request('counts', async () => {
  const count = counts.get('total') ?? 0;
  await flush('total', count);
  counts.set('total', 0);
}), 1000);`,
  ],
  invalid: [
    // the sweep walks the live map and awaits: logins and logouts run meanwhile
    {
      code: `${declarations}
const sessions = new Map<string, Session>();
export function logout(id: string) { sessions.delete(id); }
setInterval(async () => {
  for (const [id, session] of sessions) {
    if (!(await isStillValid(session))) sessions.delete(id);
  }
}, 1000);`,
      errors: [
        {
          messageId: 'liveIteration',
          line: 8,
          column: 3,
          endLine: 8,
          endColumn: 39,
          data: {
            kind: 'Map',
            name: 'sessions',
            loopLine: 8,
            suspension: 'an await',
            awaitLine: 9,
            source: 'a setInterval callback',
            writer: 'while the next run of the callback, started before this one ends, writes it',
          },
          suggestions: [
            {
              messageId: 'iterateSnapshot',
              data: { name: 'sessions' },
              output: `${declarations}
const sessions = new Map<string, Session>();
export function logout(id: string) { sessions.delete(id); }
setInterval(async () => {
  for (const [id, session] of [...sessions]) {
    if (!(await isStillValid(session))) sessions.delete(id);
  }
}, 1000);`,
            },
          ],
        },
      ],
    },

    // a one-shot timer's flush loses the hits counted during its await; hit() writes with a plain
    // set, which would throw once counts is a SafeMap, so even with autofix the rewrite is a suggestion
    {
      code: `${declarations}
const counts = new Map<string, number>();
export function hit(key: string) { counts.set(key, (counts.get(key) ?? 0) + 1); }
setTimeout(async () => {
  const count = counts.get('total') ?? 0;
  await flush('total', count);
  counts.set('total', 0);
}, 1000);`,
      options: [{ autofix: true }],
      output: null,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 8,
          data: {
            kind: 'Map',
            name: 'counts',
            readLine: 8,
            writeLine: 10,
            suspension: 'an await',
            awaitLine: 9,
            source: 'a setTimeout callback',
            writer: "while 'hit' (line 6) writes it",
            advice: `Use SafeMap.update or guard the section. ${suggestionOnly("'hit' (line 6)", 'counts')}`,
          },
          suggestions: [
            {
              messageId: 'useUpdate',
              data: { name: 'counts' },
              output: `import { SafeMap } from 'maprace';

${declarations}
const counts = new SafeMap<string, number>();
export function hit(key: string) { counts.set(key, (counts.get(key) ?? 0) + 1); }
setTimeout(async () => {
  await counts.update('total', async (old) => {
    const count = old ?? 0;
    await flush('total', count);
    return 0;
  });
}, 1000);`,
            },
          ],
        },
      ],
    },

    // setImmediate, queueMicrotask and process.nextTick callbacks that call a helper of this file
    ...['setImmediate', 'queueMicrotask', 'process.nextTick'].map((timer) => ({
      code: `${declarations}
const quotas: Record<string, number> = {};
export function grant(user: string) { quotas[user] = 10; }
async function charge(user: string) {
  const left = quotas[user] ?? 0;
  await flush(user, left);
  quotas[user] = left - 1;
}
${timer}(() => void charge('ann'));`,
      errors: [
        {
          messageId: 'readWriteRace' as const,
          line: 8,
          data: {
            kind: 'Record',
            name: 'quotas',
            readLine: 8,
            writeLine: 10,
            suspension: 'an await',
            awaitLine: 9,
            source: `a ${timer} callback`,
            writer: "while 'grant' (line 6) writes it",
            advice:
              "Guard the section (SafeMap.withLock, or a lock around it). No automatic fix: 'quotas' is a plain object: make it a SafeMap by hand (its property reads and writes become get and set).",
          },
        },
      ],
    })),

    // a loop over timers/promises setInterval: each tick's body races with the exported writer
    {
      code: `${declarations}
import { setInterval as every } from 'node:timers/promises';
const buffered = new Map<string, number>();
export function record(key: string) { buffered.set(key, (buffered.get(key) ?? 0) + 1); }
export async function flushLoop() {
  for await (const _ of every(1000)) {
    const count = buffered.get('all') ?? 0;
    await flush('all', count);
    buffered.set('all', 0);
  }
}`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 10,
          data: {
            kind: 'Map',
            name: 'buffered',
            readLine: 10,
            writeLine: 12,
            suspension: 'an await',
            awaitLine: 11,
            source: 'a timers/promises setInterval loop',
            writer: "while 'record' (line 7) writes it",
            advice: `Use SafeMap.update or guard the section. ${suggestionOnly("'record' (line 7)", 'buffered')}`,
          },
          suggestions: [
            {
              messageId: 'useUpdate',
              data: { name: 'buffered' },
              output: `${declarations}
import { setInterval as every } from 'node:timers/promises';
import { SafeMap } from 'maprace';
const buffered = new SafeMap<string, number>();
export function record(key: string) { buffered.set(key, (buffered.get(key) ?? 0) + 1); }
export async function flushLoop() {
  for await (const _ of every(1000)) {
    await buffered.update('all', async (old) => {
      const count = old ?? 0;
      await flush('all', count);
      return 0;
    });
  }
}`,
            },
          ],
        },
      ],
    },
  ],
});
