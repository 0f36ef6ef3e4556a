/**
 * Shapes from the held-out set (tests/fixtures/held-out), each with its racy twin:
 * - a single-flight refresh: the `.then` chain that stores the token is itself stored in a
 *   shared field before any await, so every caller awaits one refresh (silent);
 * - a duplicate load is only a fill whose gap reads or builds a value: a side effect in the gap
 *   (`creditLedger`) or a change made to the stored object after storing it (`room.members.add`)
 *   is a lost update, reported even with `duplicateLoads: 'off'`.
 */
import asyncEntry from '../../lib/rules/no-unguarded-map-in-async-entry.js';
import { runBoth } from '../helpers/rule-tester.js';

const oauth = (refresh: string) => `interface Token { accessToken: string; expiresAt: number }
export class OAuthClient {
  private token?: Token;
  private refreshing?: Promise<Token>;
  constructor(private readonly requestToken: () => Promise<Token>) {}
  async getAccessToken(): Promise<string> {
    if (this.token && this.token.expiresAt > Date.now()) return this.token.accessToken;
${refresh}
  }
}
`;

const webhook = (work: string) => `declare function creditLedger(accountId: string, cents: number, ref: string): Promise<void>;
declare function fetchReceipt(ref: string): Promise<string>;
const handledEvents = new Map<string, number>();
export async function handlePayment(id: string, accountId: string, cents: number): Promise<boolean> {
  if (handledEvents.has(id)) return false;
  ${work}
  handledEvents.set(id, Date.now());
  return true;
}
`;

const rooms = (afterFill: string, recheck = false) => `interface Room { name: string; members: Set<string>; history: string[] }
declare function loadHistory(room: string, limit: number): Promise<string[]>;
const rooms = new Map<string, Room>();
export async function join(name: string, user: string): Promise<Room> {
  let room = rooms.get(name);
  if (!room) {
    const history = await loadHistory(name, 50);${recheck ? '\n    room = rooms.get(name);\n    if (!room) {' : ''}
    room = { name, members: new Set(), history };
    rooms.set(name, room);${recheck ? '\n    }' : ''}
  }
  ${afterFill}
  return room;
}
`;

/** The getOrCompute suggestion on the racy join: one load of the room however many joins miss. */
const roomsSafe = (afterFill: string) => `import { SafeMap } from 'maprace';

interface Room { name: string; members: Set<string>; history: string[] }
declare function loadHistory(room: string, limit: number): Promise<string[]>;
const rooms = new SafeMap<string, Room>();
export async function join(name: string, user: string): Promise<Room> {
  const room = await rooms.getOrCompute(name, async () => {
    const history = await loadHistory(name, 50);
    const room = { name, members: new Set(), history };
    return room;
  });
  ${afterFill}
  return room;
}
`;
const getOrCompute = (afterFill: string) => [{ messageId: 'useGetOrCompute' as const, output: roomsSafe(afterFill) }];

const off = [{ duplicateLoads: 'off' }] as const;

runBoth('no-unguarded-map-in-async-entry', asyncEntry, {
  valid: [
    // silent: single flight, the whole chain cached by ??= before any await
    oauth(`    this.refreshing ??= this.requestToken()
      .then((t) => (this.token = t))
      .finally(() => { this.refreshing = undefined; });
    return (await this.refreshing).accessToken;`),
    // silent: the same cache filled by = under a test of the field
    oauth(`    if (!this.refreshing) {
      this.refreshing = this.requestToken().then((t) => (this.token = t));
    }
    return (await this.refreshing).accessToken;`),
    // silent with duplicateLoads off: the gap only reads, a second receipt fetch loses nothing
    { code: webhook('await fetchReceipt(id);'), options: off },
    // silent with duplicateLoads off: nothing changes the stored room after it is stored
    { code: rooms('void room.history.length;'), options: off },
  ],
  invalid: [
    // racy twin: the .then write, the promise not stored: every caller starts a refresh
    {
      code: oauth(`    const t = this.requestToken().then((value) => (this.token = value));
    return (await t).accessToken;`),
      errors: [{ messageId: 'lazyInitRace', line: 7, column: 9 }],
    },
    // a load in the gap: a duplicate load
    { code: webhook('await fetchReceipt(id);'), errors: [{ messageId: 'duplicateLoad', line: 5, column: 7 }] },
    // a side effect in the gap: crediting twice is a lost update, reported with duplicateLoads off
    { code: webhook('await creditLedger(accountId, cents, id);'), options: off, errors: [{ messageId: 'readWriteRace', line: 5, column: 7 }] },
    // no change after the store: a duplicate load
    { code: rooms('void room.history.length;'), errors: [{ messageId: 'duplicateLoad', line: 5, column: 14, suggestions: getOrCompute('void room.history.length;') }] },
    // the stored room changed after the store: a second join's room replaces it, the member is lost
    { code: rooms('room.members.add(user);'), options: off, errors: [{ messageId: 'readWriteRace', line: 5, column: 14, suggestions: getOrCompute('room.members.add(user);') }] },
    // re-checked after the await: the first room stays, the member is kept; history is still loaded twice
    { code: rooms('room.members.add(user);', true), errors: [{ messageId: 'duplicateLoad', line: 5, column: 14 }] },
  ],
});
