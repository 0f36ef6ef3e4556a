import rule from '../../lib/rules/no-unguarded-map-in-async-entry.js';
import { runBoth } from '../helpers/rule-tester.js';

const users = `interface User { id: string; name: string }
declare function fetchUser(id: string): Promise<User>;
`;
const orders = `interface Request { params: Record<string, string>; body: { sku: string; quantity: number } }
interface Response { json(value: unknown): void }
type Handler = (req: Request, res: Response) => unknown;
interface App { get(path: string, ...handlers: Handler[]): void; post(path: string, ...handlers: Handler[]): void }
declare function express(): App;
declare function reserve(sku: string, quantity: number): Promise<void>;
`;
const streams = `import { EventEmitter } from 'node:events';
declare const feed: EventEmitter;
declare function persist(channel: string, count: number): Promise<void>;
`;
/** The stream declarations as a fix leaves them: SafeMap imported after the last import. */
const streamsWithSafeMap = `import { EventEmitter } from 'node:events';
import { SafeMap } from 'maprace';
declare const feed: EventEmitter;
declare function persist(channel: string, count: number): Promise<void>;
`;
/** What a getOrCompute suggestion puts before a file without imports. */
const imported = "import { SafeMap } from 'maprace';\n\n";
const editor = `interface Document { uri: string; text: string }
interface Connection { onCompletion(fn: (params: { uri: string }) => unknown): void; onHover(fn: (params: { uri: string }) => unknown): void }
declare const connection: Connection;
declare const vscode: { commands: { registerCommand(id: string, fn: () => unknown): void } };
declare function parse(uri: string): Promise<Document>;
`;

runBoth('no-unguarded-map-in-async-entry', rule, {
  valid: [
    // ---- functions nobody outside the file starts ----
    // a helper the module calls once, at start-up, is no entry
    `${users}
const cache = new Map<string, User>();
async function warm(id: string) {
  let user = cache.get(id);
  if (!user) {
    user = await fetchUser(id);
    cache.set(id, user);
  }
}
void warm('admin');`,

    // private, protected and #private methods are called by the class, which decides how
    `${users}
export class UserDirectory {
  private readonly cache = new Map<string, User>();
  private async load(id: string) {
    let user = this.cache.get(id);
    if (!user) { user = await fetchUser(id); this.cache.set(id, user); }
    return user;
  }
  protected async reload(id: string) {
    const user = this.cache.get(id);
    await fetchUser(id);
    if (user) this.cache.set(id, user);
  }
  async #refresh(id: string) {
    const user = this.cache.get(id);
    await fetchUser(id);
    if (user) this.cache.set(id, user);
  }
}`,

    // a class the module neither exports nor shares an instance of: each caller builds its own
    `${users}
class LocalDirectory {
  private readonly cache = new Map<string, User>();
  async load(id: string) {
    let user = this.cache.get(id);
    if (!user) { user = await fetchUser(id); this.cache.set(id, user); }
    return user;
  }
}
export const directory = () => new LocalDirectory();`,

    // ---- guarded ----
    // every call runs the section under one mutex
    `import { Mutex } from 'async-mutex';
${users}
const cache = new Map<string, User>();
const mutex = new Mutex();
export function loadUser(id: string) {
  return mutex.runExclusive(async () => {
    let user = cache.get(id);
    if (!user) { user = await fetchUser(id); cache.set(id, user); }
    return user;
  });
}`,

    // a SafeMap's getOrCompute loads once however many calls miss
    `import { SafeMap } from 'maprace';
${users}
const cache = new SafeMap<string, User>();
export async function loadUser(id: string) {
  return cache.getOrCompute(id, () => fetchUser(id));
}`,

    // ---- nothing shared, nothing that can interleave ----
    // a map made by each call belongs to that call
    `${users}
export async function loadTeam(ids: string[]) {
  const byId = new Map<string, User>();
  for (const id of ids) {
    const known = byId.get(id);
    const user = known ?? (await fetchUser(id));
    byId.set(id, user);
  }
  return byId;
}`,

    // a synchronous handler runs each request to its end
    `${orders}
const app = express();
const stock = new Map<string, number>();
app.post('/orders', (req, res) => {
  const left = stock.get(req.body.sku) ?? 0;
  stock.set(req.body.sku, left - req.body.quantity);
  res.json({ left });
});`,

    // a handler that only reads the map
    `${orders}
const app = express();
const stock = new Map<string, number>();
app.get('/stock/:sku', async (req, res) => {
  const left = stock.get(req.params.sku) ?? 0;
  await reserve(req.params.sku, 0);
  res.json({ left });
});`,

    // a blind write: the stored value does not come from a read before the await
    `${orders}
const app = express();
const lastOrder = new Map<string, number>();
app.post('/orders', async (req, res) => {
  await reserve(req.body.sku, req.body.quantity);
  lastOrder.set(req.body.sku, req.body.quantity);
  res.json({ ok: true });
});`,

    // the promise is cached before the await: every later call finds it
    `${users}
const loading = new Map<string, Promise<User>>();
export async function loadUser(id: string) {
  let pending = loading.get(id);
  if (!pending) {
    pending = fetchUser(id);
    loading.set(id, pending);
  }
  return await pending;
}`,

    // a listener registered with once runs once, and nothing else writes the map
    `${streams}
const counts = new Map<string, number>();
feed.once('ready', async (channel: string) => {
  const count = counts.get(channel) ?? 0;
  await persist(channel, count);
  counts.set(channel, count + 1);
});`,

    // 'message' listeners are the worker rule's: not reported twice
    `${streams}
const counts = new Map<string, number>();
feed.on('message', async (channel: string) => {
  const count = counts.get(channel) ?? 0;
  await persist(channel, count);
  counts.set(channel, count + 1);
});`,

    // an exported function that is also a timer's callback is the timer rule's to report
    `${streams}
const counts = new Map<string, number>();
export async function flush() {
  const count = counts.get('total') ?? 0;
  await persist('total', count);
  counts.set('total', 0);
}
setInterval(flush, 1000);`,
  ],
  invalid: [
    // ---- exported functions: every call runs concurrently with the others ----
    {
      code: `${users}
const cache = new Map<string, User>();
export async function loadUser(id: string) {
  let user = cache.get(id);
  if (!user) {
    user = await fetchUser(id);
    cache.set(id, user);
  }
  return user;
}`,
      errors: [
        {
          messageId: 'duplicateLoad',
          line: 6,
          column: 14,
          endLine: 9,
          endColumn: 24,
          data: {
            kind: 'Map', name: 'cache', readLine: 6, writeLine: 9, suspension: 'an await', awaitLine: 8,
            source: "the exported async function 'loadUser'",
            writer: 'while another call of it writes it (every call runs concurrently with the others)',
            advice: 'Store the promise before awaiting, or use SafeMap.getOrCompute.',
          },
          suggestions: [
            {
              messageId: 'useGetOrCompute',
              data: { name: 'cache' },
              output: `${imported}${users}
const cache = new SafeMap<string, User>();
export async function loadUser(id: string) {
  const user = await cache.getOrCompute(id, () => fetchUser(id));
  return user;
}`,
            },
          ],
        },
      ],
    },
    {
      code: `${streams}
const counts = new Map<string, number>();
export const record = async (channel: string) => {
  const count = counts.get(channel) ?? 0;
  await persist(channel, count);
  counts.set(channel, count + 1);
};`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 7,
          column: 17,
          endLine: 9,
          endColumn: 33,
          data: {
            kind: 'Map', name: 'counts', readLine: 7, writeLine: 9, suspension: 'an await', awaitLine: 8,
            source: "the exported async function 'record'",
            writer: 'while another call of it writes it (every call runs concurrently with the others)',
            advice: 'Use SafeMap.update or guard the section.',
          },
          suggestions: [
            {
              messageId: 'useUpdate',
              data: { name: 'counts' },
              output: `${streamsWithSafeMap}
const counts = new SafeMap<string, number>();
export const record = async (channel: string) => {
  await counts.update(channel, async (old) => {
    const count = old ?? 0;
    await persist(channel, count);
    return count + 1;
  });
};`,
            },
          ],
        },
      ],
    },
    // CommonJS: a named async function exported through module.exports
    {
      code: `${streams}
const counts = new Map<string, number>();
async function record(channel: string) {
  const count = counts.get(channel) ?? 0;
  await persist(channel, count);
  counts.set(channel, count + 1);
}
module.exports = { record };`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 7,
          column: 17,
          endLine: 9,
          endColumn: 33,
          data: {
            kind: 'Map', name: 'counts', readLine: 7, writeLine: 9, suspension: 'an await', awaitLine: 8,
            source: "the exported async function 'record'",
            writer: 'while another call of it writes it (every call runs concurrently with the others)',
            advice: 'Use SafeMap.update or guard the section.',
          },
          suggestions: [
            {
              messageId: 'useUpdate',
              data: { name: 'counts' },
              output: `${streamsWithSafeMap}
const counts = new SafeMap<string, number>();
async function record(channel: string) {
  await counts.update(channel, async (old) => {
    const count = old ?? 0;
    await persist(channel, count);
    return count + 1;
  });
}
module.exports = { record };`,
            },
          ],
        },
      ],
    },

    // ---- public methods of an exported class, on a field of the instance ----
    {
      code: `${users}
export class UserDirectory {
  private readonly cache = new Map<string, User>();
  async load(id: string) {
    let user = this.cache.get(id);
    if (!user) {
      user = await fetchUser(id);
      this.cache.set(id, user);
    }
    return user;
  }
}`,
      errors: [
        {
          messageId: 'duplicateLoad',
          line: 7,
          column: 16,
          endLine: 10,
          endColumn: 31,
          data: {
            kind: 'Map', name: 'this.cache', readLine: 7, writeLine: 10, suspension: 'an await', awaitLine: 9,
            source: "the public async method 'UserDirectory.load'",
            writer: 'while another call of it writes it (every call runs concurrently with the others)',
            advice: 'Store the promise before awaiting, or use SafeMap.getOrCompute.',
          },
          suggestions: [
            {
              messageId: 'useGetOrCompute',
              data: { name: 'this.cache' },
              output: `${imported}${users}
export class UserDirectory {
  private readonly cache = new SafeMap<string, User>();
  async load(id: string) {
    const user = await this.cache.getOrCompute(id, () => fetchUser(id));
    return user;
  }
}`,
            },
          ],
        },
      ],
    },

    // an instance the module exports: every importer shares it
    {
      code: `${users}
class TokenCache {
  private readonly owners = new Map<string, User>();
  async owner(token: string) {
    const known = this.owners.get(token);
    const fresh = await fetchUser(token);
    this.owners.set(token, known ?? fresh);
  }
}
export const tokens = new TokenCache();`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 7,
          column: 19,
          endLine: 9,
          endColumn: 43,
          data: {
            kind: 'Map', name: 'this.owners', readLine: 7, writeLine: 9, suspension: 'an await', awaitLine: 8,
            source: "the public async method 'TokenCache.owner'",
            writer: 'while another call of it writes it (every call runs concurrently with the others)',
            advice: 'Use SafeMap.update or guard the section.',
          },
          suggestions: [
            {
              messageId: 'useUpdate',
              data: { name: 'this.owners' },
              output: `import { SafeMap } from 'maprace';

${users}
class TokenCache {
  private readonly owners = new SafeMap<string, User>();
  async owner(token: string) {
    await this.owners.update(token, async (old) => {
      const known = old;
      const fresh = await fetchUser(token);
      return known ?? fresh;
    });
  }
}
export const tokens = new TokenCache();`,
            },
          ],
        },
      ],
    },

    // ---- request handlers ----
    {
      code: `${orders}
const app = express();
const stock = new Map<string, number>();
app.post('/orders', async (req, res) => {
  const left = stock.get(req.body.sku) ?? 0;
  await reserve(req.body.sku, req.body.quantity);
  stock.set(req.body.sku, left - req.body.quantity);
  res.json({ left });
});`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 11,
          column: 16,
          endLine: 13,
          endColumn: 52,
          data: {
            kind: 'Map', name: 'stock', readLine: 11, writeLine: 13, suspension: 'an await', awaitLine: 12,
            source: 'the POST /orders request handler',
            writer: 'while another request writes it (every request runs concurrently with the others)',
            advice: 'Guard the section (SafeMap.withLock, or a lock around it). No automatic fix: the section declares variables used after it: wrap it in withLock by hand.',
          },
          suggestions: [],
        },
      ],
    },
    {
      code: `import http from 'node:http';
declare function audit(url: string): Promise<void>;
const hits = new Map<string, number>();
http.createServer(async (req, res) => {
  const count = hits.get(req.url ?? '/') ?? 0;
  await audit(req.url ?? '/');
  hits.set(req.url ?? '/', count + 1);
  res.end();
});`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 5,
          column: 17,
          endLine: 7,
          endColumn: 38,
          data: {
            kind: 'Map', name: 'hits', readLine: 5, writeLine: 7, suspension: 'an await', awaitLine: 6,
            source: 'the http.createServer request handler',
            writer: 'while another request writes it (every request runs concurrently with the others)',
            advice: 'Use SafeMap.update or guard the section.',
          },
          suggestions: [
            {
              messageId: 'useUpdate',
              data: { name: 'hits' },
              output: `import http from 'node:http';
import { SafeMap } from 'maprace';
declare function audit(url: string): Promise<void>;
const hits = new SafeMap<string, number>();
http.createServer(async (req, res) => {
  await hits.update(req.url ?? '/', async (old) => {
    const count = old ?? 0;
    await audit(req.url ?? '/');
    return count + 1;
  });
  res.end();
});`,
            },
          ],
        },
      ],
    },

    // ---- listeners: events arrive while an earlier run still waits ----
    {
      code: `${streams}
const counts = new Map<string, number>();
feed.on('data', async (channel: string) => {
  const count = counts.get(channel) ?? 0;
  await persist(channel, count);
  counts.set(channel, count + 1);
});`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 7,
          column: 17,
          endLine: 9,
          endColumn: 33,
          data: {
            kind: 'Map', name: 'counts', readLine: 7, writeLine: 9, suspension: 'an await', awaitLine: 8,
            source: "the 'data' listener",
            writer: 'while the run for a later event writes it (events arrive while an earlier run still waits)',
            advice: 'Use SafeMap.update or guard the section.',
          },
          suggestions: [
            {
              messageId: 'useUpdate',
              data: { name: 'counts' },
              output: `${streamsWithSafeMap}
const counts = new SafeMap<string, number>();
feed.on('data', async (channel: string) => {
  await counts.update(channel, async (old) => {
    const count = old ?? 0;
    await persist(channel, count);
    return count + 1;
  });
});`,
            },
          ],
        },
      ],
    },
    // a once listener that on also registers runs for every event: reported as the on listener
    {
      code: `${streams}
const counts = new Map<string, number>();
async function onData(channel: string) {
  const count = counts.get(channel) ?? 0;
  await persist(channel, count);
  counts.set(channel, count + 1);
}
feed.once('data', onData);
feed.on('data', onData);`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 7,
          column: 17,
          endLine: 9,
          endColumn: 33,
          data: {
            kind: 'Map', name: 'counts', readLine: 7, writeLine: 9, suspension: 'an await', awaitLine: 8,
            source: "the 'data' listener",
            writer: 'while the run for a later event writes it (events arrive while an earlier run still waits)',
            advice: 'Use SafeMap.update or guard the section.',
          },
          suggestions: [
            {
              messageId: 'useUpdate',
              data: { name: 'counts' },
              output: `${streamsWithSafeMap}
const counts = new SafeMap<string, number>();
async function onData(channel: string) {
  await counts.update(channel, async (old) => {
    const count = old ?? 0;
    await persist(channel, count);
    return count + 1;
  });
}
feed.once('data', onData);
feed.on('data', onData);`,
            },
          ],
        },
      ],
    },

    // ---- editor and language-server callbacks ----
    {
      code: `${editor}
const documents = new Map<string, Document>();
connection.onCompletion(async ({ uri }) => {
  let document = documents.get(uri);
  if (!document) {
    document = await parse(uri);
    documents.set(uri, document);
  }
  return document.text;
});`,
      errors: [
        {
          messageId: 'duplicateLoad',
          line: 9,
          column: 18,
          endLine: 12,
          endColumn: 33,
          data: {
            kind: 'Map', name: 'documents', readLine: 9, writeLine: 12, suspension: 'an await', awaitLine: 11,
            source: 'the connection.onCompletion callback',
            writer: 'while another run of it writes it (the editor calls it again while an earlier run still waits)',
            advice: 'Store the promise before awaiting, or use SafeMap.getOrCompute.',
          },
          suggestions: [
            {
              messageId: 'useGetOrCompute',
              data: { name: 'documents' },
              output: `${imported}${editor}
const documents = new SafeMap<string, Document>();
connection.onCompletion(async ({ uri }) => {
  const document = await documents.getOrCompute(uri, () => parse(uri));
  return document.text;
});`,
            },
          ],
        },
      ],
    },
    {
      code: `${editor}
const documents = new Map<string, Document>();
vscode.commands.registerCommand('outline.refresh', async () => {
  for (const [uri] of documents) {
    documents.set(uri, await parse(uri));
  }
});`,
      errors: [
        {
          messageId: 'liveIteration',
          line: 9,
          column: 3,
          endLine: 9,
          endColumn: 32,
          data: {
            kind: 'Map', name: 'documents', loopLine: 9, suspension: 'an await', awaitLine: 10,
            source: "the command 'outline.refresh'",
            writer: 'while another run of it writes it (the editor calls it again while an earlier run still waits)',
          },
          // the write-back awaits: a copy would revive a document closed during the parse, so no copy is offered
          suggestions: [],
        },
      ],
    },
  ],
});
