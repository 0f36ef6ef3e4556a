/**
 * Who a race message names as the writer, for every source: another run of the same task in the
 * words of its source (why the runs overlap), or the function of the file that writes meanwhile,
 * a callback by what it is handed to.
 */
import { describe, expect, it } from 'vitest';
import { findRaces } from '../../lib/analysis/races.js';
import { GuardMatcher } from '../../lib/analysis/sections.js';
import type { SourceKind } from '../../lib/analysis/tasks.js';
import { modelOf } from '../helpers/file-model.js';

function writers(code: string, source: SourceKind): string[] {
  return findRaces(modelOf(code), source, new GuardMatcher([])).map((race) => `${race.group.label} | ${race.writer}`);
}

const head = `declare function audit(key: string): Promise<void>;
const counts = new Map<string, number>();
`;
/** The section every case runs: a read, an await, a write back. */
const bump = `const count = counts.get(key) ?? 0;
  await audit(key);
  counts.set(key, count + 1);`;

describe('another run of the same task, in the words of its source', () => {
  it.each([
    ['promise-all', `export const bumpAll = (keys: string[]) => Promise.all(keys.map(async (key) => {\n  ${bump}\n}));`, 'Promise.all tasks | while other tasks write it'],
    ['timer', `const key = 'total';\nsetInterval(async () => {\n  ${bump}\n}, 1000);`, 'a setInterval callback | while the next run of the callback, started before this one ends, writes it'],
    [
      'worker-message',
      `declare const port: { on(event: string, fn: (key: string) => unknown): void };\nport.on('message', async (key: string) => {\n  ${bump}\n});`,
      "a 'message' handler | while the runs of the handler for other messages write it",
    ],
    [
      'async-entry',
      `export async function bumpOne(key: string) {\n  ${bump}\n}`,
      "the exported async function 'bumpOne' | while another call of it writes it (every call runs concurrently with the others)",
    ],
    [
      'async-entry',
      `declare const router: { post(path: string, fn: (key: string) => unknown): void };\nrouter.post('/bump', async (key: string) => {\n  ${bump}\n});`,
      'the POST /bump request handler | while another request writes it (every request runs concurrently with the others)',
    ],
    [
      'async-entry',
      `declare const socket: { on(event: string, fn: (key: string) => unknown): void };\nsocket.on('data', async (key: string) => {\n  ${bump}\n});`,
      "the 'data' listener | while the run for a later event writes it (events arrive while an earlier run still waits)",
    ],
    [
      'async-entry',
      `declare const connection: { onHover(fn: (key: string) => unknown): void };\nconnection.onHover(async (key: string) => {\n  ${bump}\n});`,
      'the connection.onHover callback | while another run of it writes it (the editor calls it again while an earlier run still waits)',
    ],
  ] as const)('%s: %#', (source, code, expected) => {
    expect(writers(`${head}${code}`, source)).toEqual([expected]);
  });
});

describe('a function of the file that writes meanwhile', () => {
  it('is named by its name, or a callback by the call it is handed to', () => {
    const once = `setTimeout(async () => {\n  const key = 'total';\n  ${bump}\n}, 1000);\n`;
    expect(writers(`${head}${once}export function reset() { counts.clear(); }`, 'timer')).toEqual(["a setTimeout callback | while 'reset' (line 9) writes it"]);
    expect(writers(`${head}${once}declare const app: { delete(path: string, fn: () => void): void };\napp.delete('/counts', () => counts.clear());`, 'timer')).toEqual([
      'a setTimeout callback | while the app.delete callback (line 10) writes it',
    ]);
  });
});
