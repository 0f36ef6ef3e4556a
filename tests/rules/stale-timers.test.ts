/**
 * staleTimer (no-unguarded-map-in-timer): a setTimeout that deletes a key later, whose handle is
 * dropped, in a function that sets that key again on its next call.
 */
import rule from '../../lib/rules/no-unguarded-map-in-timer.js';
import { runBoth } from '../helpers/rule-tester.js';

const tokenCache = (remember: string) => `interface Token { value: string; expires: number }
declare function fetchToken(user: string): Promise<Token>;

export class TokenCache {
  private readonly tokens = new Map<string, Token>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();

  lookup(user: string): Token | undefined {
    return this.tokens.get(user);
  }
${remember}
}`;

const memoize = (more: string) => `export class Memo<T> {
  private readonly cache = new Map<string, T>();
  constructor(private readonly ttlMs: number, private readonly load: (key: string) => T) {}
  get(key: string): T {
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const value = this.load(key);
    this.cache.set(key, value);
    setTimeout(() => this.cache.delete(key), this.ttlMs);
    return value;
  }${more}
}`;

runBoth('no-unguarded-map-in-timer', rule, {
  valid: [
    // the handle is kept with the entry and cleared when the key is set again
    tokenCache(`
  remember(user: string, token: Token, ttlMs: number): void {
    this.tokens.set(user, token);
    clearTimeout(this.timers.get(user));
    this.timers.set(user, setTimeout(() => this.tokens.delete(user), ttlMs));
  }`),

    // the timer deletes only the entry it was started for
    tokenCache(`
  remember(user: string, token: Token, ttlMs: number): void {
    this.tokens.set(user, token);
    setTimeout(() => {
      if (this.tokens.get(user) === token) this.tokens.delete(user);
    }, ttlMs);
  }`),

    // the same check as a guard expression
    tokenCache(`
  remember(user: string, token: Token, ttlMs: number): void {
    this.tokens.set(user, token);
    setTimeout(() => this.tokens.get(user) === token && this.tokens.delete(user), ttlMs);
  }`),

    // the timer checks the entry's own expiry (a newer entry has a later one)
    tokenCache(`
  remember(user: string, token: Token): void {
    this.tokens.set(user, token);
    setTimeout(() => {
      const current = this.tokens.get(user);
      if (!current || current.expires > Date.now()) return;
      this.tokens.delete(user);
    }, token.expires - Date.now());
  }`),

    // no timer at all: the entry carries its expiry, checked on read
    `const sessions = new Map<string, { user: string; expires: number }>();
export function open(id: string, user: string, ttlMs: number): void {
  sessions.set(id, { user, expires: Date.now() + ttlMs });
}
export function find(id: string): string | undefined {
  const session = sessions.get(id);
  return session && session.expires > Date.now() ? session.user : undefined;
}`,

    // a key new on every call cannot be set again before its timer fires
    `import { randomUUID } from 'node:crypto';
const uploads = new Map<string, Buffer>();
export function stage(data: Buffer, ttlMs: number): string {
  const id = randomUUID();
  uploads.set(id, data);
  setTimeout(() => uploads.delete(id), ttlMs).unref();
  return id;
}`,

    // a counter's next value is new too
    `export class Requests {
  private nextId = 0;
  private readonly started = new Map<number, number>();
  begin(): number {
    const id = this.nextId++;
    this.started.set(id, Date.now());
    setTimeout(() => this.started.delete(id), 60_000);
    return id;
  }
}`,

    // top-level code runs once: nothing sets 'warmup' again
    `const flags: Record<string, boolean> = {};
flags.warmup = true;
const key = 'warmup';
flags[key] = true;
setTimeout(() => delete flags[key], 5_000);`,

    // a function the module calls once at startup sets the key once
    `const banners = new Map<string, string>();
declare function loadBanner(): Promise<string>;
async function start(): Promise<void> {
  banners.set('motd', await loadBanner());
  setTimeout(() => banners.delete('motd'), 60_000);
}
void start();`,

    // so does an IIFE at module level
    `const banners = new Map<string, string>();
declare function loadBanner(): Promise<string>;
void (async () => {
  banners.set('motd', await loadBanner());
  setTimeout(() => banners.delete('motd'), 60_000);
})();`,

    // a constructor runs once per instance: its own map's key is not set again
    `export class Warmup {
  private readonly warming = new Set<string>();
  constructor(readonly region: string) {
    this.warming.add(region);
    setTimeout(() => this.warming.delete(region), 5_000);
  }
  isWarming(): boolean {
    return this.warming.has(this.region);
  }
}`,

    // the key handed to the expiry helper is new on every call
    `import { randomUUID } from 'node:crypto';
export class UploadStore {
  private readonly uploads = new Map<string, Buffer>();
  stage(data: Buffer): string {
    const id = randomUUID();
    this.uploads.set(id, data);
    this.expireLater(id);
    return id;
  }
  private expireLater(id: string): void {
    setTimeout(() => this.uploads.delete(id), 60_000);
  }
}`,

    // a map built on each call is not shared between calls
    `declare function render(rows: string[]): void;
export function showBatch(rows: string[]): void {
  const highlighted = new Set<string>();
  for (const row of rows) {
    highlighted.add(row);
    setTimeout(() => highlighted.delete(row), 2_000);
  }
  render([...highlighted]);
}`,

    // the key is set only when absent and only the timer deletes it: the next set comes after the timer fired
    `export class RateLimiter {
  private readonly recent = new Set<string>();
  allow(ip: string): boolean {
    if (this.recent.has(ip)) return false;
    this.recent.add(ip);
    setTimeout(() => this.recent.delete(ip), 1_000).unref();
    return true;
  }
}`,
    memoize(''),

    // a debounce map that keeps the handle: the next call cancels the old timer
    `const timers = new Map<string, ReturnType<typeof setTimeout>>();
declare function save(docId: string): Promise<void>;
export function saveSoon(docId: string): void {
  clearTimeout(timers.get(docId));
  timers.set(docId, setTimeout(() => {
    timers.delete(docId);
    void save(docId);
  }, 500));
}`,
  ],
  invalid: [
    // a TTL cache in a service class: a token set again by the next login is deleted by the first login's timer
    {
      code: tokenCache(`
  remember(user: string, token: Token, ttlMs: number): void {
    this.tokens.set(user, token);
    setTimeout(() => this.tokens.delete(user), ttlMs);
  }`),
      errors: [
        {
          messageId: 'staleTimer',
          line: 14,
          column: 5,
          endLine: 14,
          endColumn: 54,
          data: { line: 14, kind: 'Map', name: 'this.tokens', key: 'user', delay: 'ttlMs', writeLine: 13 },
        },
      ],
    },

    // an exported function runs on every call: the banner of the second refresh is deleted by the first one's timer
    {
      code: `const banners = new Map<string, string>();
declare function loadBanner(): Promise<string>;
export async function refresh(): Promise<void> {
  banners.set('motd', await loadBanner());
  setTimeout(() => banners.delete('motd'), 60_000);
}
void refresh();`,
      errors: [
        {
          messageId: 'staleTimer',
          line: 5,
          column: 3,
          endLine: 5,
          endColumn: 51,
          data: { line: 5, kind: 'Map', name: 'banners', key: "'motd'", delay: '60_000', writeLine: 4 },
        },
      ],
    },

    // the expiry lives in a helper: the caller sets the key it hands over, on every call
    {
      code: `export class SessionStore {
  private readonly sessions = new Map<string, { user: string }>();
  save(sessionId: string, user: string): void {
    this.sessions.set(sessionId, { user });
    this.expireLater(sessionId, 30 * 60_000);
  }
  private expireLater(id: string, ttlMs: number): void {
    setTimeout(() => this.sessions.delete(id), ttlMs).unref();
  }
}`,
      errors: [
        {
          messageId: 'staleTimer',
          line: 8,
          column: 5,
          endLine: 8,
          endColumn: 54,
          data: { line: 8, kind: 'Map', name: 'this.sessions', key: 'id', delay: 'ttlMs', writeLine: 4 },
        },
      ],
    },

    // .unref() keeps the process from waiting, not the timer from firing; a handle stored but never used is dropped too
    {
      code: `const drafts = new Map<string, string>();
declare function save(docId: string, text: string): Promise<void>;
export function saveSoon(docId: string, text: string): void {
  drafts.set(docId, text);
  const timer = setTimeout(() => {
    void save(docId, drafts.get(docId) ?? '');
    drafts.delete(docId);
  }, 500);
  timer.unref();
}`,
      errors: [
        {
          messageId: 'staleTimer',
          line: 5,
          column: 17,
          endLine: 8,
          endColumn: 10,
          data: { line: 5, kind: 'Map', name: 'drafts', key: 'docId', delay: '500', writeLine: 4 },
        },
      ],
    },

    // a dedupe window over a Set and a hit counter over a record: each set again by the next call, each deleted by the first call's timer
    {
      code: `export class DedupeWindow {
  private readonly recent = new Set<string>();
  private readonly hits: Record<string, number> = {};

  isDuplicate(messageId: string): boolean {
    return this.recent.has(messageId);
  }

  remember(messageId: string): void {
    this.recent.add(messageId);
    setTimeout(() => this.recent.delete(messageId), 1_000).unref();
  }

  count(ip: string): void {
    this.hits[ip] = 1;
    setTimeout(() => delete this.hits[ip], 60_000);
  }
}`,
      errors: [
        {
          messageId: 'staleTimer',
          line: 11,
          column: 5,
          endLine: 11,
          endColumn: 59,
          data: { line: 11, kind: 'Set', name: 'this.recent', key: 'messageId', delay: '1_000', writeLine: 10 },
        },
        {
          messageId: 'staleTimer',
          line: 16,
          column: 5,
          endLine: 16,
          endColumn: 51,
          data: { line: 16, kind: 'Record', name: 'this.hits', key: 'ip', delay: '60_000', writeLine: 15 },
        },
      ],
    },

    // the cache is filled only on a miss, but invalidate() makes a miss before the timer fires
    {
      code: memoize('\n  invalidate(key: string): void {\n    this.cache.delete(key);\n  }'),
      errors: [
        {
          messageId: 'staleTimer',
          line: 9,
          column: 5,
          endLine: 9,
          endColumn: 57,
          data: { line: 9, kind: 'Map', name: 'this.cache', key: 'key', delay: 'this.ttlMs', writeLine: 8 },
        },
      ],
    },
  ],
});
