/**
 * Lazy initialisation across an await: a shared field or module variable tested, then replaced
 * with an awaited value. Every task that tests before the first one assigns starts its own
 * refresh or connection, and the last to finish overwrites the others.
 */
import promiseAll from '../../lib/rules/no-unguarded-map-in-promise-all.js';
import timer from '../../lib/rules/no-unguarded-map-in-timer.js';
import { runBoth } from '../helpers/rule-tester.js';

const declarations = `interface Db { query(sql: string): Promise<unknown[]> }
interface AuthApi { refresh(): Promise<string> }
declare function connect(url: string): Promise<Db>;
declare function isExpired(token: string): boolean;
`;

/** The data of a lazy initialisation raced by the tasks of one Promise.all. */
const lazyInit = ({
  name,
  read,
  write = read,
  awaitLine = write,
  call,
  source = 'Promise.all tasks',
  writer = 'while other tasks write it',
}: {
  name: string;
  read: number;
  write?: number;
  awaitLine?: number;
  call: string;
  source?: string;
  writer?: string;
}) => ({ name, readLine: read, writeLine: write, suspension: 'an await', awaitLine, source, writer, call, promise: `${name}Promise` });

/** An SDK wrapper whose queries connect on first use with the given statement. */
const warehouse = (field: string, connectOnce: string) => `${declarations}
export class Warehouse {
  ${field}
  constructor(private readonly url: string) {}
  async query(sql: string) {
    ${connectOnce}
    return this.db.query(sql);
  }
  report(sqls: string[]) {
    return Promise.all(sqls.map((sql) => this.query(sql)));
  }
}`;

runBoth('no-unguarded-map-in-promise-all', promiseAll, {
  valid: [
    // the auth client stores the pending refresh before any await: every caller awaits one
    `${declarations}
export class AuthClient {
  private tokenPromise?: Promise<string>;
  constructor(private readonly auth: AuthApi) {}
  getToken(): Promise<string> {
    this.tokenPromise ??= this.auth.refresh();
    return this.tokenPromise;
  }
  fetchAll(urls: string[]) {
    return Promise.all(urls.map(async (url) => ({ url, token: await this.getToken() })));
  }
}`,

    // the connection is a local of each call: no other task sees it
    `${declarations}
export async function count(url: string, tables: string[]) {
  return Promise.all(tables.map(async (table) => {
    let db: Db | undefined;
    if (!db) db = await connect(url);
    return db.query(\`select count(*) from \${table}\`);
  }));
}`,

    // the value is computed, not awaited: the test and the assignment are one synchronous step
    `${declarations}
declare function createParser(): (text: string) => unknown;
export class Importer {
  private parse?: (text: string) => unknown;
  async importOne(text: string) {
    if (!this.parse) this.parse = createParser();
    return this.parse(text);
  }
  importAll(texts: string[]) {
    return Promise.all(texts.map((text) => this.importOne(text)));
  }
}`,

    // the refresh runs under a mutex: the second task finds the token the first one stored
    `${declarations}
import { Mutex } from 'async-mutex';
export class AuthClient {
  private token?: string;
  private readonly mutex = new Mutex();
  constructor(private readonly auth: AuthApi) {}
  getToken(): Promise<string> {
    return this.mutex.runExclusive(async () => {
      if (!this.token || isExpired(this.token)) this.token = await this.auth.refresh();
      return this.token;
    });
  }
  fetchAll(urls: string[]) {
    return Promise.all(urls.map(async (url) => ({ url, token: await this.getToken() })));
  }
}`,

    // re-checked after the await: each task may refresh, but the first token stays and every caller
    // gets the same one (duplicate work, no lost value)
    `${declarations}
export class AuthClient {
  private token?: string;
  constructor(private readonly auth: AuthApi) {}
  async getToken(): Promise<string> {
    const fresh = await this.auth.refresh();
    if (!this.token) this.token = fresh;
    return this.token;
  }
  fetchAll(urls: string[]) {
    return Promise.all(urls.map(async (url) => ({ url, token: await this.getToken() })));
  }
}`,

    // replaced on every call, never tested: the last refresh wins by design
    `${declarations}
export class AuthClient {
  private token = '';
  constructor(private readonly auth: AuthApi) {}
  async rotate(): Promise<string> {
    this.token = await this.auth.refresh();
    return this.token;
  }
  rotateAll(n: number) {
    return Promise.all(Array.from({ length: n }, () => this.rotate()));
  }
}`,

    // the value kept with ?? is not awaited: the test and the assignment are one synchronous step
    `${warehouse('private db?: Db;', 'this.db = this.db ?? openPool(this.url);')}
declare function openPool(url: string): Db;`,

    // the factory's token is a local of each call of getToken: nothing is shared
    `${declarations}
declare function get(url: string, token: string): Promise<string>;
export function createApi(auth: AuthApi) {
  const getToken = async () => {
    let token: string | undefined;
    if (!token) token = await auth.refresh();
    return token;
  };
  return { fetchAll: (urls: string[]) => Promise.all(urls.map(async (url) => get(url, await getToken()))) };
}`,

    // a flag set in a .then callback stores no value the call gave: nothing refreshed is lost
    `${declarations}
export class Warmer {
  private warmed = false;
  constructor(private readonly url: string) {}
  warm(): void {
    if (!this.warmed) void connect(this.url).then(() => { this.warmed = true; });
  }
  warmAll(n: number) {
    return Promise.all(Array.from({ length: n }, async () => this.warm()));
  }
}`,

    // the pending refresh, .then included, is stored before the gap
    `${declarations}
export class AuthClient {
  private tokenPromise?: Promise<string>;
  constructor(private readonly auth: AuthApi) {}
  prefetch(): Promise<string> {
    this.tokenPromise ??= this.auth.refresh().then((token) => token.trim());
    return this.tokenPromise;
  }
  prefetchAll(n: number) {
    return Promise.all(Array.from({ length: n }, () => this.prefetch()));
  }
}`,

    // the module's connection is pending-promise cached: one connect for every query
    `${declarations}
let db: Promise<Db> | undefined;
function getDb(): Promise<Db> {
  db ??= connect(process.env.DATABASE_URL!);
  return db;
}
export const runAll = (sqls: string[]) => Promise.all(sqls.map(async (sql) => (await getDb()).query(sql)));`,
  ],
  invalid: [
    // the auth client refreshes when the token is missing or expired: concurrent requests each refresh
    {
      code: `${declarations}
export class AuthClient {
  private token?: string;
  constructor(private readonly auth: AuthApi) {}
  async getToken(): Promise<string> {
    if (!this.token || isExpired(this.token)) {
      this.token = await this.auth.refresh();
    }
    return this.token;
  }
  fetchAll(urls: string[]) {
    return Promise.all(urls.map(async (url) => ({ url, token: await this.getToken() })));
  }
}`,
      errors: [
        {
          messageId: 'lazyInitRace',
          line: 10,
          column: 10,
          endLine: 11,
          endColumn: 45,
          data: lazyInit({ name: 'this.token', read: 10, write: 11, call: 'this.auth.refresh()' }),
        },
      ],
    },

    // an SDK wrapper connects on first use with ??=: two first queries open two connections
    {
      code: warehouse('private db?: Db;', 'this.db ??= await connect(this.url);'),
      errors: [
        {
          messageId: 'lazyInitRace',
          line: 10,
          column: 5,
          endLine: 10,
          endColumn: 40,
          data: lazyInit({ name: 'this.db', read: 10, call: 'connect()' }),
        },
      ],
    },

    // the old value kept with ||, else an awaited one: the same test in the assigned expression
    {
      code: warehouse('private db: Db | null = null;', 'this.db = this.db || (await connect(this.url));'),
      errors: [
        {
          messageId: 'lazyInitRace',
          line: 10,
          column: 15,
          endLine: 10,
          endColumn: 51,
          data: lazyInit({ name: 'this.db', read: 10, call: 'connect()' }),
        },
      ],
    },

    // a module-level client, created by the first caller that finds none
    {
      code: `${declarations}
let client: Db | undefined;
export async function getClient(): Promise<Db> {
  if (!client) client = await connect(process.env.DATABASE_URL!);
  return client;
}
export const runAll = (sqls: string[]) => Promise.all(sqls.map(async (sql) => (await getClient()).query(sql)));`,
      errors: [
        {
          messageId: 'lazyInitRace',
          line: 8,
          column: 8,
          endLine: 8,
          endColumn: 65,
          data: lazyInit({ name: 'client', read: 8, call: 'connect()' }),
        },
      ],
    },

    // the gap is a .then callback: every prefetch before the first token arrives refreshes again
    {
      code: `${declarations}
export class AuthClient {
  private token?: string;
  constructor(private readonly auth: AuthApi) {}
  prefetch(): void {
    if (!this.token) this.auth.refresh().then((token) => { this.token = token; });
  }
  prefetchAll(n: number) {
    return Promise.all(Array.from({ length: n }, async () => this.prefetch()));
  }
}`,
      errors: [
        {
          messageId: 'lazyInitRace',
          line: 10,
          column: 10,
          endLine: 10,
          endColumn: 78,
          data: { ...lazyInit({ name: 'this.token', read: 10, call: 'this.auth.refresh()' }), suspension: 'a .then callback' },
        },
      ],
    },

    // a factory's closure variable is shared by every call of the function it returns
    {
      code: `${declarations}
declare function get(url: string, token: string): Promise<string>;
export function createApi(auth: AuthApi) {
  let token: string | undefined;
  const getToken = async () => token ?? (token = await auth.refresh());
  return { fetchAll: (urls: string[]) => Promise.all(urls.map(async (url) => get(url, await getToken()))) };
}`,
      errors: [
        {
          messageId: 'lazyInitRace',
          line: 9,
          column: 32,
          endLine: 9,
          endColumn: 70,
          data: lazyInit({ name: 'token', read: 9, call: 'auth.refresh()' }),
        },
      ],
    },

    // an early return when cached, then the value through a variable given by the await
    {
      code: `${declarations}
interface Schema { version: number }
declare function fetchSchema(url: string): Promise<Response>;
export class SchemaCache {
  private schema: Schema | null = null;
  async get(url: string): Promise<Schema> {
    if (this.schema) return this.schema;
    const response = await fetchSchema(url);
    const schema = (await response.json()) as Schema;
    this.schema = schema;
    return schema;
  }
  validateAll(url: string, docs: unknown[]) {
    return Promise.all(docs.map(async (doc) => ({ doc, schema: await this.get(url) })));
  }
}`,
      errors: [
        {
          messageId: 'lazyInitRace',
          line: 11,
          column: 9,
          endLine: 14,
          endColumn: 25,
          data: lazyInit({ name: 'this.schema', read: 11, write: 14, awaitLine: 13, call: 'response.json()' }),
        },
      ],
    },
  ],
});

runBoth('no-unguarded-map-in-timer', timer, {
  valid: [
    // a one-shot timer is the only task that connects
    `${declarations}
let client: Db | undefined;
setTimeout(async () => {
  if (!client) client = await connect('postgres://warehouse');
  await client.query('select 1');
}, 0);`,
  ],
  invalid: [
    // the feature-flag poller reloads a stale config; a slow reload overlaps the next tick
    {
      code: `${declarations}
interface Flags { fetchedAt: number }
declare function fetchFlags(): Promise<Flags>;
let flags: Flags | undefined;
setInterval(async () => {
  if (!flags || Date.now() - flags.fetchedAt > 60_000) flags = await fetchFlags();
}, 5_000);`,
      errors: [
        {
          messageId: 'lazyInitRace',
          line: 10,
          column: 8,
          endLine: 10,
          endColumn: 82,
          data: lazyInit({
            name: 'flags',
            read: 10,
            call: 'fetchFlags()',
            source: 'a setInterval callback',
            writer: 'while the next run of the callback, started before this one ends, writes it',
          }),
        },
      ],
    },
  ],
});
