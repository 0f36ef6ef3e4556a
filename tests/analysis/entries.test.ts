/**
 * Entries on their own (lib/analysis/entries.ts): which functions of a file its callers start
 * and start again before an earlier run ends, how each is named, and whether its runs overlap;
 * then the races of the entry source, with the writer named for why the runs overlap.
 */
import { describe, expect, it } from 'vitest';
import { entryGroups } from '../../lib/analysis/entries.js';
import { findRaces, subjectOf } from '../../lib/analysis/races.js';
import { GuardMatcher } from '../../lib/analysis/sections.js';
import { taskGroups } from '../../lib/analysis/tasks.js';
import { modelOf } from '../helpers/file-model.js';

/** `label (line N, many|once)` for every entry of the code. */
function entries(code: string): string[] {
  return taskGroups(modelOf(code), 'async-entry').map(
    (group) => `${group.label} (line ${group.tasks[0]!.root.loc.start.line}, ${group.tasks[0]!.many ? 'many' : 'once'})`,
  );
}

/** `read line: source | writer` for every race the entry source finds. */
function entryRaces(code: string): string[] {
  const model = modelOf(code);
  return findRaces(model, 'async-entry', new GuardMatcher([])).map(({ section, group, writer }) => {
    const first = subjectOf(section);
    return `${first.node.loc.start.line}: ${group.label} | ${writer}`;
  });
}

describe('exported functions', () => {
  it('sees every ES module form of export, by the name the function has', () => {
    expect(
      entries(`
        export async function loadUser() {}
        export default async function () {}
        export const saveUser = async () => {};
        async function purge() {}
        export { purge as purgeUsers };
        export const version = '1';
      `),
    ).toEqual([
      "the exported async function 'loadUser' (line 2, many)",
      'the default-exported async function (line 3, many)',
      "the exported async function 'saveUser' (line 4, many)",
      "the exported async function 'purge' (line 5, many)",
    ]);
  });

  it('sees CommonJS exports: module.exports = { f }, module.exports.f = …, exports.f = …, module.exports = f', () => {
    expect(
      entries(`
        async function load() {}
        async function save() {}
        const purge = async function () {};
        module.exports = { load, async reload() {} };
        module.exports.save = save;
        exports.purge = purge;
      `),
    ).toEqual([
      "the exported async function 'load' (line 2, many)",
      "the exported async function 'reload' (line 5, many)",
      "the exported async function 'save' (line 3, many)",
      "the exported async function 'purge' (line 4, many)",
    ]);
    expect(entries('module.exports = async function sync() {};')).toEqual(["the exported async function 'sync' (line 1, many)"]);
  });

  it('counts a plain function only when it starts async work it does not wait for, and generators', () => {
    expect(
      entries(`
        async function record() {}
        export function track() { void record(); }
        export function format(n: number) { return n.toFixed(2); }
        export function* pages() { yield 1; }
      `),
    ).toEqual(["the exported function 'track' (line 3, many)", "the exported generator 'pages' (line 5, many)"]);
  });

  it('sees the methods of an exported object literal', () => {
    expect(entries(`export const service = { async load() {}, format() { return ''; } };`)).toEqual(["the exported async function 'load' (line 1, many)"]);
  });

  it('is no entry when the file itself only calls it', () => {
    expect(entries(`async function warm() {} void warm();`)).toEqual([]);
  });
});

describe('exported classes', () => {
  it('sees the public methods of a class exported by declaration, by name later, as default, through module.exports, or as an instance', () => {
    const members = `
        async load() {}
        static async create() {}
        refresh = async () => {};
        private async fill() {}
        protected async drop() {}
        async #evict() {}
        format() { return ''; }
        constructor() {}
    `;
    const methods = (name: string, line: number) => [
      `the public async method '${name}.load' (line ${line + 1}, many)`,
      `the public async method '${name}.create' (line ${line + 2}, many)`,
      `the public async method '${name}.refresh' (line ${line + 3}, many)`,
    ];
    expect(entries(`export class Users {${members}}`)).toEqual(methods('Users', 1));
    expect(entries(`class Users {${members}}\nexport { Users };`)).toEqual(methods('Users', 1));
    expect(entries(`export default class {${members}}`)).toEqual(methods('default', 1));
    expect(entries(`class Users {${members}}\nmodule.exports = Users;`)).toEqual(methods('Users', 1));
    // an exported instance: other modules call its methods
    expect(entries(`class Users {${members}}\nexport const users = new Users();`)).toEqual(methods('Users', 1));
    expect(entries(`class Users {${members}}\nexport default new Users();`)).toEqual(methods('Users', 1));
    // an instance the module keeps to itself
    expect(entries(`class Users {${members}}\nconst users = new Users();\nexport const count = () => users;`)).toEqual([]);
  });
});

describe('request handlers', () => {
  it('takes every function argument of a route method on an app or router, named so or built by a framework', () => {
    expect(
      entries(`
        import express from 'express';
        const web = express();
        const adminRouter = express.Router();
        declare const app: unknown;
        async function auth() {}
        web.post('/orders', auth, async (req, res) => {});
        adminRouter.delete('/users/:id', async () => {});
        app.use(async (ctx, next) => {});
        app.use('/api', async (ctx, next) => {});
        app.all('/health', async () => {});
      `),
    ).toEqual([
      'the POST /orders request handler (line 6, many)',
      'the POST /orders request handler (line 7, many)',
      'the DELETE /users/:id request handler (line 8, many)',
      'the middleware (line 9, many)',
      'the /api middleware (line 10, many)',
      'the /health request handler (line 11, many)',
    ]);
  });

  it('sees route chains, fastify route options and node servers', () => {
    expect(
      entries(`
        import http from 'node:http';
        import { createServer } from 'node:https';
        declare const router: unknown, fastify: unknown;
        router.route('/items').get(async () => {}).put(async () => {});
        fastify.route({ method: 'PATCH', url: '/items/:id', handler: async () => {} });
        http.createServer(async (req, res) => {});
        createServer({}, async (req, res) => {});
        server.on('request', async (req, res) => {});
      `),
    ).toEqual([
      'the PUT /items request handler (line 5, many)',
      'the GET /items request handler (line 5, many)',
      'the PATCH /items/:id request handler (line 6, many)',
      'the http.createServer request handler (line 7, many)',
      'the createServer request handler (line 8, many)',
      "the 'request' handler (line 9, many)",
    ]);
  });

  it('is no handler on what is not an app, nor a synchronous handler that starts nothing', () => {
    expect(
      entries(`
        declare const cache: Map<string, unknown>, http: { get(url: string, fn: () => unknown): void };
        declare const app: unknown;
        cache.get('/orders');
        http.get('/orders', async () => {});
        app.get('/orders', (req, res) => res.json([]));
      `),
    ).toEqual([]);
  });
});

describe('listeners', () => {
  it("sees on/once/addListener/prependListener listeners, once as a single run, and leaves 'message' to the worker rule", () => {
    expect(
      entries(`
        declare const socket: NodeJS.EventEmitter, events: { DATA: string };
        socket.on('data', async () => {});
        socket.once('end', async () => {});
        socket.prependListener(events.DATA, async () => {});
        socket.on('message', async () => {});
        socket.on('close', () => {});
      `),
    ).toEqual(["the 'data' listener (line 3, many)", "the 'end' listener (line 4, once)", 'the events.DATA listener (line 5, many)']);
  });
});

describe('editor callbacks', () => {
  it('sees language-server handlers, editor events, commands and the methods of providers', () => {
    expect(
      entries(`
        declare const connection: any, documents: any, vscode: any;
        connection.onCompletion(async () => {});
        documents.onDidChangeContent(async () => {});
        vscode.workspace.onDidSaveTextDocument(async () => {});
        vscode.commands.registerCommand('outline.refresh', async () => {});
        vscode.languages.registerCompletionItemProvider('ts', { async provideCompletionItems() {}, resolveCompletionItem() {} });
        connection.listen();
        editor.onDidChange(async () => {});
      `),
    ).toEqual([
      'the connection.onCompletion callback (line 3, many)',
      'the documents.onDidChangeContent callback (line 4, many)',
      'the vscode.workspace.onDidSaveTextDocument callback (line 5, many)',
      "the command 'outline.refresh' (line 6, many)",
      "the 'provideCompletionItems' method of the completion item provider (line 7, many)",
    ]);
  });
});

describe('entryGroups', () => {
  it('asks canOverlap only about plain functions, and gives each group a writer phrase of its own', () => {
    const model = modelOf(`
      export function start() {}
      export async function load() {}
      declare const feed: NodeJS.EventEmitter;
      feed.on('data', async () => {});
    `);
    const asked: number[] = [];
    const groups = entryGroups(model, (fn) => {
      asked.push(fn.loc.start.line);
      return false;
    });
    expect(asked).toEqual([2]);
    expect(groups.map((group) => group.overlap)).toEqual([
      'while the run for a later event writes it (events arrive while an earlier run still waits)',
      'while another call of it writes it (every call runs concurrently with the others)',
    ]);
    expect(entryGroups(model, () => true).map((group) => group.label)).toEqual([
      "the 'data' listener",
      "the exported function 'start'",
      "the exported async function 'load'",
    ]);
  });
});

describe('races of entries', () => {
  const cache = `declare function fetchUser(id: string): Promise<string>;
const users = new Map<string, string>();
`;
  it('names why the runs overlap', () => {
    expect(
      entryRaces(`${cache}export async function loadUser(id: string) {
  const known = users.get(id);
  const user = await fetchUser(id);
  users.set(id, known ?? user);
}`),
    ).toEqual(["4: the exported async function 'loadUser' | while another call of it writes it (every call runs concurrently with the others)"]);
  });

  it('reports a helper under the entry that runs it, and an entry an entry calls under its own name', () => {
    expect(
      entryRaces(`${cache}async function fill(id: string) {
  const known = users.get(id);
  const user = await fetchUser(id);
  users.set(id, known ?? user);
}
export async function loadUser(id: string) { await fill(id); }
export async function loadTeam(ids: string[]) { for (const id of ids) await refresh(id); }
export async function refresh(id: string) {
  const known = users.get(id);
  await fetchUser(id);
  users.set(id, known!);
}`),
    ).toEqual([
      "4: the exported async function 'loadUser' | while another call of it writes it (every call runs concurrently with the others)",
      "11: the exported async function 'refresh' | while another call of it writes it (every call runs concurrently with the others)",
    ]);
  });

  it('leaves to the other rules what a Promise.all, a timer or a message handler of the file runs', () => {
    const getUser = `${cache}export async function getUser(id: string) {
  const known = users.get(id);
  const user = await fetchUser(id);
  users.set(id, known ?? user);
}
`;
    expect(entryRaces(`${getUser}export const loadTeam = (ids: string[]) => Promise.all(ids.map((id) => getUser(id)));`)).toEqual([]);
    expect(entryRaces(`${getUser}setInterval(() => getUser('admin'), 1000);`)).toEqual([]);
    // a one-shot timer whose run the timer rule does not report: the entry rule still does
    expect(entryRaces(`${getUser}setTimeout(() => getUser('admin'), 1000);`)).toEqual([
      "4: the exported async function 'getUser' | while another call of it writes it (every call runs concurrently with the others)",
    ]);
  });

  it('names a writer that is a callback by what it is handed to', () => {
    expect(
      entryRaces(`${cache}declare const feed: NodeJS.EventEmitter;
feed.once('ready', async (id: string) => {
  const known = users.get(id);
  await fetchUser(id);
  users.set(id, known!);
});
feed.on('reset', (id: string) => { users.delete(id); });`),
    ).toEqual(["5: the 'ready' listener | while the feed.on callback (line 9) writes it"]);
  });
});
