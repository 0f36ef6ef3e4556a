/**
 * Loops over a live field or module record with an await in the body: `for (const [id, s] of
 * this.sessions)` over a Map field, `for (const id in this.byId)` over a record. Another task
 * adds and deletes entries while the loop waits; a copy taken before the loop is silent.
 */
import promiseAll from '../../lib/rules/no-unguarded-map-in-promise-all.js';
import timer from '../../lib/rules/no-unguarded-map-in-timer.js';
import { runBoth } from '../helpers/rule-tester.js';

const pool = (loop: string) => `interface Session { id: string }
declare function ping(session: Session): Promise<boolean>;
export class SessionPool {
  private readonly sessions = new Map<string, Session>();
  private readonly byId: Record<string, Session> = {};
  open(session: Session) {
    this.sessions.set(session.id, session);
    this.byId[session.id] = session;
  }
  async sweep() {
${loop}
  }
  start() {
    setInterval(() => void this.sweep(), 1_000);
  }
}`;

const sweepRecord = (right: string) => `    for (const id ${right}) {
      if (!(await ping(this.byId[id]!))) delete this.byId[id];
    }`;

const sweepMap = (right: string) => `    for (const [id, session] of ${right}) {
      if (!(await ping(session))) this.sessions.delete(id);
    }`;

const intervalWriter = 'while the next run of the callback, started before this one ends, writes it';

runBoth('no-unguarded-map-in-timer', timer, {
  valid: [
    // the keys are copied before the loop
    pool(sweepRecord('of Object.keys(this.byId)')),
    // the entries are copied before the loop
    pool(sweepMap('[...this.sessions]')),
    // no await in the loop: it runs to the end before anything else
    pool(`    for (const id in this.byId) {
      if (!this.byId[id]!.id) delete this.byId[id];
    }`),
  ],
  invalid: [
    // for…in over a record field, awaiting a ping per key
    {
      code: pool(sweepRecord('in this.byId')),
      errors: [
        {
          messageId: 'liveKeyIteration',
          line: 11,
          column: 5,
          endLine: 11,
          endColumn: 31,
          data: { kind: 'Record', name: 'this.byId', loopLine: 11, suspension: 'an await', awaitLine: 12, source: 'a setInterval callback', writer: intervalWriter },
          suggestions: [{ messageId: 'iterateSnapshot', data: { name: 'this.byId' }, output: pool(sweepRecord('of Object.keys(this.byId)')) }],
        },
      ],
    },

    // for-of over a Map field reached through this
    {
      code: pool(sweepMap('this.sessions')),
      errors: [
        {
          messageId: 'liveIteration',
          line: 11,
          column: 5,
          endLine: 11,
          endColumn: 46,
          data: { kind: 'Map', name: 'this.sessions', loopLine: 11, suspension: 'an await', awaitLine: 12, source: 'a setInterval callback', writer: intervalWriter },
          suggestions: [{ messageId: 'iterateSnapshot', data: { name: 'this.sessions' }, output: pool(sweepMap('[...this.sessions]')) }],
        },
      ],
    },
  ],
});

const crawler = (loop: string) => `declare function crawl(url: string): Promise<string[]>;
const frontier: Record<string, number> = {};
async function worker() {
${loop}
}
export async function run(seeds: string[]) {
  for (const seed of seeds) frontier[seed] = 0;
  await Promise.all([worker(), worker(), worker()]);
}`;

runBoth('no-unguarded-map-in-promise-all', promiseAll, {
  valid: [
    // each worker walks the keys as they were when it started
    crawler(`  for (const url of Object.keys(frontier)) {
    for (const link of await crawl(url)) frontier[link] = frontier[url]! + 1;
  }`),
  ],
  invalid: [
    // three crawl workers walk the module's frontier while the others add links to it
    {
      code: crawler(`  for (const url in frontier) {
    for (const link of await crawl(url)) frontier[link] = frontier[url]! + 1;
  }`),
      errors: [
        {
          messageId: 'liveKeyIteration',
          line: 4,
          column: 3,
          endLine: 4,
          endColumn: 29,
          data: { kind: 'Record', name: 'frontier', loopLine: 4, suspension: 'an await', awaitLine: 5, source: 'Promise.all tasks', writer: 'while other tasks write it' },
          suggestions: [
            {
              messageId: 'iterateSnapshot',
              data: { name: 'frontier' },
              output: crawler(`  for (const url of Object.keys(frontier)) {
    for (const link of await crawl(url)) frontier[link] = frontier[url]! + 1;
  }`),
            },
          ],
        },
      ],
    },
  ],
});

const mapCrawler = (loop: string) => `declare function crawl(url: string): Promise<string[]>;
const depth = new Map<string, number>();
async function worker() {
${loop}
}
export async function run(seeds: string[]) {
  for (const seed of seeds) depth.set(seed, 0);
  await Promise.all([worker(), worker(), worker()]);
}`;

const crawlLinks = (right: string) => `  for (const [url, level] of ${right}) {
    for (const link of await crawl(url)) depth.set(link, level + 1);
  }`;

runBoth('no-unguarded-map-in-promise-all', promiseAll, {
  valid: [
    // each worker walks the entries as they were when it started
    mapCrawler(crawlLinks('[...depth]')),
  ],
  invalid: [
    // the loop stores the links it finds, not the entry it visits: the copy needs no re-check
    // (one would keep new links out), and the loop is no write-back a copy could revive
    {
      code: mapCrawler(crawlLinks('depth')),
      errors: [
        {
          messageId: 'liveIteration',
          line: 4,
          column: 3,
          endLine: 4,
          endColumn: 35,
          data: { kind: 'Map', name: 'depth', loopLine: 4, suspension: 'an await', awaitLine: 5, source: 'Promise.all tasks', writer: 'while other tasks write it' },
          suggestions: [{ messageId: 'iterateSnapshot', data: { name: 'depth' }, output: mapCrawler(crawlLinks('[...depth]')) }],
        },
      ],
    },
  ],
});
