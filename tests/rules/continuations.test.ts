/**
 * The gap of a task is a `.then` / `.catch` / `.finally` callback or a Node-style completion
 * callback, not an `await`: a read before the call that decides or feeds a write in the callback
 * spans the gap, and every other task runs between them.
 */
import promiseAll from '../../lib/rules/no-unguarded-map-in-promise-all.js';
import timer from '../../lib/rules/no-unguarded-map-in-timer.js';
import workerMessage from '../../lib/rules/no-unguarded-map-in-worker-message.js';
import { runBoth } from '../helpers/rule-tester.js';

const declarations = `declare function fetchText(url: string): Promise<string>;
declare function report(event: string, count: number): Promise<void>;
`;

/** The advice of a section whose write runs in a callback: no rewrite, await the call instead. */
const callbackAdvice = (word: string, duplicate = false) =>
  `${duplicate ? 'Store the promise before awaiting, or use SafeMap.getOrCompute.' : 'Guard the section (SafeMap.withLock, or a lock around it).'} No automatic fix: the write runs in ${word}: await the call instead, then guard the section.`;

/** The data of a read-then-write race across a continuation callback; `duplicate` for a fill whose value comes from the key alone. */
const acrossCallback = ({ name, read, write, gapLine, word, source, writer, duplicate }: { name: string; read: number; write: number; gapLine: number; word: string; source: string; writer: string; duplicate?: boolean }) => ({
  kind: 'Map',
  name,
  readLine: read,
  writeLine: write,
  suspension: word,
  awaitLine: gapLine,
  source,
  writer,
  advice: callbackAdvice(word, duplicate),
});

runBoth('no-unguarded-map-in-promise-all', promiseAll, {
  valid: [
    // the crawler checks and fills robots.txt inside the callback: one synchronous step
    `${declarations}
const robots = new Map<string, string>();
function robotsFor(host: string): Promise<void> {
  return fetchText(\`https://\${host}/robots.txt\`).then((text) => {
    if (!robots.has(host)) robots.set(host, text);
  });
}
export async function crawl(urls: string[]) {
  await Promise.all(urls.map((url) => robotsFor(new URL(url).host)));
}`,

    // the counter is read and written in the same callback, after the report
    `${declarations}
const sent = new Map<string, number>();
function track(event: string): Promise<void> {
  return report(event, 1).then(() => {
    sent.set(event, (sent.get(event) ?? 0) + 1);
  });
}
export const trackAll = (events: string[]) => Promise.all(events.map((event) => track(event)));`,

    // the pending promise is stored before the gap: every later caller finds it
    `${declarations}
const pages = new Map<string, Promise<string>>();
function page(url: string): Promise<string> {
  if (!pages.has(url)) pages.set(url, fetchText(url).then((html) => html.trim()));
  return pages.get(url)!;
}
export const crawl = (urls: string[]) => Promise.all(urls.map((url) => page(url)));`,

    // the key is claimed before the gap, and every task checks the claim first
    `${declarations}
const loading = new Map<string, string | null>();
function prefetch(url: string): void {
  if (loading.has(url)) return;
  loading.set(url, null);
  void fetchText(url).then((html) => loading.set(url, html));
}
export const prefetchAll = async (urls: string[]) => Promise.all(urls.map(async (url) => prefetch(url)));`,

    // a write after the .then call runs in the same synchronous step as the read
    `${declarations}
const attempts = new Map<string, number>();
function retry(url: string): Promise<string> {
  const count = attempts.get(url) ?? 0;
  const pending = fetchText(url).then((html) => html);
  attempts.set(url, count + 1);
  return pending;
}
export const retryAll = (urls: string[]) => Promise.all(urls.map((url) => retry(url)));`,

    // forEach's element is named e, but its callback runs at once: no completion callback
    `${declarations}
const owners = new Map<string, string>();
async function adopt(team: string, members: string[]) {
  const lead = owners.get(team) ?? 'nobody';
  members.forEach((e) => owners.set(e, lead));
}
export const adoptAll = (teams: [string, string[]][]) => Promise.all(teams.map(([team, members]) => adopt(team, members)));`,

    // the section runs under a lock that waits for the returned promise, callback included
    `${declarations}
import { Mutex } from 'async-mutex';
const robots = new Map<string, string>();
const mutex = new Mutex();
function robotsFor(host: string): Promise<unknown> {
  return mutex.runExclusive(() => {
    if (robots.has(host)) return undefined;
    return fetchText(\`https://\${host}/robots.txt\`).then((text) => robots.set(host, text));
  });
}
export const crawl = (hosts: string[]) => Promise.all(hosts.map((host) => robotsFor(host)));`,

    // a Node-style callback that checks the cache itself
    `import fs from 'node:fs';
const files = new Map<string, Buffer>();
function readCached(path: string): Promise<void> {
  return new Promise((resolve) => {
    fs.readFile(path, (err, data) => {
      if (!err && !files.has(path)) files.set(path, data);
      resolve();
    });
  });
}
export const warm = (paths: string[]) => Promise.all(paths.map((path) => readCached(path)));`,
  ],
  invalid: [
    // the crawler checks, then fills the cache when the fetch completes: two tasks fetch the same host
    {
      code: `${declarations}
const robots = new Map<string, string>();
function robotsFor(host: string): void {
  if (!robots.has(host)) fetchText(\`https://\${host}/robots.txt\`).then((text) => robots.set(host, text));
}
export async function crawl(urls: string[]) {
  await Promise.all(urls.map(async (url) => robotsFor(new URL(url).host)));
}`,
      errors: [
        {
          messageId: 'duplicateLoad',
          line: 6,
          column: 8,
          endLine: 6,
          endColumn: 103,
          data: acrossCallback({ name: 'robots', read: 6, write: 6, gapLine: 6, word: 'a .then callback', source: 'Promise.all tasks', writer: 'while other tasks write it', duplicate: true }),
        },
      ],
    },

    // the count read before the report is written back when it completes: increments are lost
    {
      code: `${declarations}
const sent = new Map<string, number>();
function track(event: string): Promise<void> {
  const count = sent.get(event) ?? 0;
  return report(event, count + 1)
    .then(() => {
      sent.set(event, count + 1);
    });
}
export const trackAll = (events: string[]) => Promise.all(events.map((event) => track(event)));`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 6,
          column: 17,
          endLine: 9,
          endColumn: 33,
          data: acrossCallback({ name: 'sent', read: 6, write: 9, gapLine: 8, word: 'a .then callback', source: 'Promise.all tasks', writer: 'while other tasks write it' }),
        },
      ],
    },

    // an SDK client counts failures per endpoint in .catch, from a count read before the request
    {
      code: `${declarations}
export class Client {
  private readonly failures = new Map<string, number>();
  post(endpoint: string): Promise<string> {
    const failed = this.failures.get(endpoint) ?? 0;
    return fetchText(endpoint).catch((error: unknown) => {
      this.failures.set(endpoint, failed + 1);
      throw error;
    });
  }
  postAll(endpoints: string[]) {
    return Promise.allSettled(endpoints.map((endpoint) => this.post(endpoint)));
  }
}`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 7,
          column: 20,
          endLine: 9,
          endColumn: 46,
          data: acrossCallback({ name: 'this.failures', read: 7, write: 9, gapLine: 8, word: 'a .catch callback', source: 'Promise.allSettled tasks', writer: 'while other tasks write it' }),
        },
      ],
    },

    // in-flight counter decremented in .finally from the value read before the request
    {
      code: `${declarations}
const inFlight = new Map<string, number>();
function fetchCounted(host: string, url: string): Promise<string> {
  const open = inFlight.get(host) ?? 0;
  inFlight.set(host, open + 1);
  return fetchText(url).finally(() => inFlight.set(host, open));
}
export const fetchAll = (host: string, urls: string[]) => Promise.all(urls.map((url) => fetchCounted(host, url)));`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 6,
          column: 16,
          endLine: 8,
          endColumn: 63,
          data: acrossCallback({ name: 'inFlight', read: 6, write: 8, gapLine: 8, word: 'a .finally callback', source: 'Promise.all tasks', writer: 'while other tasks write it' }),
        },
      ],
    },

    // a Node-style completion callback fills the cache the caller checked
    {
      code: `import fs from 'node:fs';
const files = new Map<string, Buffer>();
function readCached(path: string, done: () => void): void {
  if (files.has(path)) return done();
  fs.readFile(path, (err, data) => {
    if (!err) files.set(path, data);
    done();
  });
}
export const warm = (paths: string[]) => Promise.all(paths.map((path) => new Promise<void>((resolve) => readCached(path, resolve))));`,
      errors: [
        {
          messageId: 'duplicateLoad',
          line: 4,
          column: 7,
          endLine: 6,
          endColumn: 36,
          data: acrossCallback({ name: 'files', read: 4, write: 6, gapLine: 5, word: 'a callback', source: 'Promise.all tasks', writer: 'while other tasks write it', duplicate: true }),
        },
      ],
    },
  ],
});

runBoth('no-unguarded-map-in-timer', timer, {
  valid: [
    // the poller stores each cursor it gets, without reading the old one
    `${declarations}
declare function poll(cursor: string | undefined): Promise<string>;
const cursors = new Map<string, string>();
setInterval(() => {
  void poll(undefined).then((cursor) => cursors.set('feed', cursor));
}, 1000);`,
  ],
  invalid: [
    // the poller passes the stored cursor and stores the next one when the poll completes: a tick
    // that starts before the previous poll ends polls from the same cursor
    {
      code: `${declarations}
declare function poll(cursor: string | undefined): Promise<string>;
const cursors = new Map<string, string>();
setInterval(() => {
  const cursor = cursors.get('feed');
  void poll(cursor).then((next) => cursors.set('feed', next));
}, 1000);`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 7,
          column: 18,
          endLine: 8,
          endColumn: 61,
          data: acrossCallback({
            name: 'cursors',
            read: 7,
            write: 8,
            gapLine: 8,
            word: 'a .then callback',
            source: 'a setInterval callback',
            writer: 'while the next run of the callback, started before this one ends, writes it',
          }),
        },
      ],
    },
  ],
});

runBoth('no-unguarded-map-in-worker-message', workerMessage, {
  valid: [
    // the handler fills the cache inside the callback: the check and the write are one step
    `declare function render(key: string): Promise<string>;
import { parentPort } from 'node:worker_threads';
const rendered = new Map<string, string>();
parentPort!.on('message', (key: string) => {
  void render(key).then((html) => {
    if (!rendered.has(key)) rendered.set(key, html);
  });
});`,
  ],
  invalid: [
    // a synchronous handler that fills the cache in .then overlaps the next message
    {
      code: `declare function render(key: string): Promise<string>;
import { parentPort } from 'node:worker_threads';
const rendered = new Map<string, string>();
parentPort!.on('message', (key: string) => {
  if (!rendered.has(key)) void render(key).then((html) => rendered.set(key, html));
});`,
      errors: [
        {
          messageId: 'duplicateLoad',
          line: 5,
          column: 8,
          endLine: 5,
          endColumn: 82,
          data: acrossCallback({
            name: 'rendered',
            read: 5,
            write: 5,
            gapLine: 5,
            word: 'a .then callback',
            source: "a 'message' handler",
            writer: 'while the runs of the handler for other messages write it',
            duplicate: true,
          }),
        },
      ],
    },
  ],
});
