// The TypeScript project that bench/rules.bench.js lints: a deterministic (seeded) application of
// `files` modules, generated into a directory.
//
// Most of it is ordinary code — parsing, validation, formatting, classes, reducers, retries,
// sequential and parallel async calls — and every module has some. Maps shared by concurrent code
// are a minority, as in a real application: about one module in six holds one racy pattern of the
// rules contract (a seeded site: the rule, its messageId and the line it must be reported on),
// under Promise.all, a timer, a worker message or an entry (an exported async function, a public
// async method of an exported class, an EventEmitter listener); the others hold one or two safe
// variants (promise caches, mutex / p-limit / async-lock guards, synchronous updates, snapshots,
// synchronous handlers, a sequential loop the module runs once at start-up, maps local to a task)
// that must stay silent under every rule. An exported async function is a task that overlaps
// itself (every caller's run), so no safe variant reads, awaits and writes a shared map in one.
//
// Layout: src/shims.d.ts (the few Node.js and library declarations the code uses, so that it
// type-checks without node_modules), src/core/{types,io,log}.ts, then src/<area>/<noun>-<role>.ts.
// tsconfig.json (strict, NodeNext, include src) and package.json ("type": "module") at the root.
//
//   node bench/rules.project.js <dir> [files]   writes the project (default 500 files), prints a summary
//   npx tsc -p <dir>/tsconfig.json              type-checks it (no output when it does)
//
// Every module draws from its own seed, so a smaller project is the first modules of a larger one.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { random32 } from './harness.js';

export const RULES = {
  P: 'no-unguarded-map-in-promise-all',
  T: 'no-unguarded-map-in-timer',
  W: 'no-unguarded-map-in-worker-message',
  E: 'no-unguarded-map-in-async-entry',
};

/** One module in RACY_EVERY holds a racy pattern: exactly one in each run of that many modules. */
export const RACY_EVERY = 6;

// ---------------------------------------------------------------------------------------------
// Fixed files

const SHIMS = `// Ambient declarations for the generated benchmark project: the few Node.js and library APIs its
// code uses, so that it type-checks on its own (no node_modules, no @types).
interface Timeout {
  ref(): Timeout;
  unref(): Timeout;
  hasRef(): boolean;
}
declare function setTimeout(callback: () => void, ms?: number): Timeout;
declare function setInterval(callback: () => void, ms?: number): Timeout;
declare function clearTimeout(timer: Timeout | undefined): void;
declare function clearInterval(timer: Timeout | undefined): void;
declare function setImmediate(callback: () => void): unknown;
declare function queueMicrotask(callback: () => void): void;
declare class URL {
  constructor(input: string, base?: string | URL);
  readonly href: string;
  readonly pathname: string;
}
interface ImportMeta {
  readonly url: string;
}
declare const console: {
  log(...values: unknown[]): void;
  warn(...values: unknown[]): void;
  error(...values: unknown[]): void;
};
declare const process: {
  env: Record<string, string | undefined>;
  nextTick(callback: () => void): void;
  hrtime: { bigint(): bigint };
};

declare module 'node:timers/promises' {
  export function setTimeout<T = void>(delay?: number, value?: T): Promise<T>;
  export function setInterval<T = void>(delay?: number, value?: T): AsyncIterable<T>;
}

declare module 'node:worker_threads' {
  export interface MessagePort {
    on(event: 'message', listener: (value: any) => void): this;
    on(event: 'close', listener: () => void): this;
    once(event: 'message', listener: (value: any) => void): this;
    postMessage(value: unknown): void;
    close(): void;
  }
  export const parentPort: MessagePort | null;
  export const isMainThread: boolean;
  export const workerData: unknown;
  export class Worker {
    constructor(filename: string | URL, options?: { workerData?: unknown; name?: string });
    on(event: 'message', listener: (value: any) => void): this;
    on(event: 'error', listener: (error: Error) => void): this;
    on(event: 'exit', listener: (code: number) => void): this;
    postMessage(value: unknown): void;
    terminate(): Promise<number>;
  }
  export class MessageChannel {
    readonly port1: MessagePort;
    readonly port2: MessagePort;
  }
}

declare module 'node:events' {
  export class EventEmitter {
    on(event: string, listener: (...values: any[]) => void): this;
    emit(event: string, ...values: unknown[]): boolean;
  }
}

declare module 'async-mutex' {
  export class Mutex {
    acquire(): Promise<() => void>;
    runExclusive<T>(callback: () => T | Promise<T>): Promise<T>;
    isLocked(): boolean;
  }
}

declare module 'async-lock' {
  export default class AsyncLock {
    acquire<T>(key: string | string[], fn: () => T | Promise<T>): Promise<T>;
    isBusy(key?: string): boolean;
  }
}

declare module 'p-limit' {
  export default function pLimit(concurrency: number): <T>(fn: () => Promise<T>) => Promise<T>;
}

declare module 'eslint-plugin-maprace/runtime' {
  export class SafeMap<K, V> {
    constructor(entries?: Iterable<readonly [K, V]>);
    get(key: K): V | undefined;
    has(key: K): boolean;
    readonly size: number;
    getOrCompute(key: K, fn: (key: K) => V | Promise<V>): Promise<V>;
    update(key: K, fn: (old: V | undefined) => V | undefined | Promise<V | undefined>): Promise<V | undefined>;
  }
}
`;

const CORE_TYPES = `// The application's shared types.
export interface User {
  id: string;
  name: string;
  email: string;
  roles: string[];
  createdAt: number;
}

export type OrderStatus = 'new' | 'paid' | 'shipped' | 'cancelled';

export interface OrderItem {
  sku: string;
  quantity: number;
  price: number;
}

export interface Order {
  id: string;
  userId: string;
  items: OrderItem[];
  total: number;
  status: OrderStatus;
}

export interface Session {
  id: string;
  userId: string;
  expiresAt: number;
  touchedAt: number;
}

export interface Job {
  id: string;
  kind: string;
  payload: Record<string, unknown>;
  attempts: number;
}

export interface JobResult {
  id: string;
  ok: boolean;
  output: string;
  durationMs: number;
}

export interface Page<T> {
  items: T[];
  next: string | null;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: string };
`;

const CORE_IO = `// The application's slow services: a database and remote APIs, simulated with timers.
import { setTimeout as delay } from 'node:timers/promises';
import type { Job, JobResult, Order, Page, Session, User } from './types.js';

const written: Array<{ kind: string; value: unknown }> = [];

export function sleep(ms: number): Promise<void> {
  return delay(ms);
}

export async function fetchUser(id: string): Promise<User> {
  await delay(2);
  return { id, name: \`user \${id}\`, email: \`\${id}@example.com\`, roles: ['member'], createdAt: Date.now() };
}

export async function fetchOrder(id: string): Promise<Order> {
  await delay(3);
  return { id, userId: \`u-\${id}\`, items: [{ sku: \`sku-\${id}\`, quantity: 1, price: 999 }], total: 999, status: 'new' };
}

export async function fetchPrice(sku: string): Promise<number> {
  await delay(1);
  return sku.length * 100;
}

export async function loadConfig(name: string): Promise<Record<string, string>> {
  await delay(1);
  return { name, region: 'eu-west-1' };
}

export async function fetchPage<T>(url: string, cursor: string | null): Promise<Page<T>> {
  await delay(2);
  return { items: [], next: cursor === null && url.endsWith('/more') ? 'next' : null };
}

export async function persist(kind: string, value: unknown): Promise<void> {
  await delay(1);
  written.push({ kind, value });
}

export async function audit(event: string, detail: Record<string, unknown> = {}): Promise<void> {
  await persist('audit', { event, detail, at: Date.now() });
}

export async function isStillValid(session: Session): Promise<boolean> {
  await delay(1);
  return session.expiresAt > Date.now();
}

export async function runJob(job: Job): Promise<JobResult> {
  const started = Date.now();
  await delay(5);
  return { id: job.id, ok: job.attempts < 3, output: job.kind, durationMs: Date.now() - started };
}

export function writtenCount(): number {
  return written.length;
}
`;

const CORE_LOG = `// Structured logging.
export type Level = 'debug' | 'info' | 'warn' | 'error';

const LEVELS: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
let threshold: Level = process.env.LOG_LEVEL === 'debug' ? 'debug' : 'info';

export function setLogLevel(level: Level): void {
  threshold = level;
}

export function log(level: Level, message: string, fields: Record<string, unknown> = {}): void {
  if (LEVELS[level] < LEVELS[threshold]) return;
  const line = JSON.stringify({ level, message, ...fields, at: new Date().toISOString() });
  if (level === 'error' || level === 'warn') console.error(line);
  else console.log(line);
}
`;

const FIXED_FILES = [
  ['src/shims.d.ts', SHIMS],
  ['src/core/types.ts', CORE_TYPES],
  ['src/core/io.ts', CORE_IO],
  ['src/core/log.ts', CORE_LOG],
];

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2023'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    types: [],
    strict: true,
    isolatedModules: true,
    skipLibCheck: true,
    noEmit: true,
  },
  include: ['src'],
};

// ---------------------------------------------------------------------------------------------
// Vocabulary

const AREAS = ['billing', 'users', 'orders', 'inventory', 'catalog', 'search', 'auth', 'notifications', 'shipping', 'analytics', 'reports', 'scheduling', 'integrations', 'admin'];
const NOUNS = ['invoice', 'customer', 'order', 'product', 'price', 'session', 'token', 'shipment', 'report', 'metric', 'event', 'job', 'subscription', 'coupon', 'address', 'payment', 'refund', 'review', 'ticket', 'webhook', 'tenant', 'plan', 'quota', 'route', 'device', 'message', 'channel', 'feed', 'upload', 'ledger'];
const ROLES = ['service', 'store', 'utils', 'format', 'parser', 'validator', 'model', 'handler', 'client', 'cache', 'scheduler', 'queue', 'mapper', 'registry', 'controller', 'policy', 'worker'];
const CURRENCIES = ['EUR', 'USD', 'GBP', 'CHF', 'JPY'];
const TABLES = ['accounts', 'orders', 'events', 'line_items', 'tickets', 'devices', 'payments'];

/** Value types the map patterns cache, with the service that loads one by key. */
const ENTITIES = [
  { type: 'User', noun: 'user', load: 'fetchUser', types: ['User'] },
  { type: 'Order', noun: 'order', load: 'fetchOrder', types: ['Order'] },
  { type: 'number', noun: 'price', load: 'fetchPrice', types: [] },
  { type: 'Record<string, string>', noun: 'config', load: 'loadConfig', types: [] },
];

const IO = '../core/io.js';
const TYPES = '../core/types.js';
const LOG = '../core/log.js';
const WORKER_THREADS = 'node:worker_threads';

/** Names every module may import: never declared by a module itself. */
const RESERVED = ['sleep', 'fetchUser', 'fetchOrder', 'fetchPrice', 'loadConfig', 'fetchPage', 'persist', 'audit', 'isStillValid', 'runJob', 'log', 'parentPort', 'Worker', 'MessagePort', 'Mutex', 'AsyncLock', 'EventEmitter', 'pLimit', 'SafeMap', 'setInterval', 'setTimeout', 'User', 'Order', 'Session', 'Job', 'JobResult', 'Page', 'Result', 'OrderItem'];

const cap = (s) => s[0].toUpperCase() + s.slice(1);

// ---------------------------------------------------------------------------------------------
// A module under construction

class ModuleContext {
  constructor(index, seed, helpers) {
    this.index = index;
    this.next = random32(seed * 1_000_003 + index * 7919 + 1);
    this.helpers = helpers;
    this.names = new Set(RESERVED);
    this.imports = new Map();
    this.area = this.pick(AREAS);
    this.noun = this.pick(NOUNS);
    this.role = this.pick(ROLES);
    this.N = cap(this.noun);
    this.exports = [];
  }

  int(lo, hi) {
    return lo + (this.next() % (hi - lo + 1));
  }

  chance(p) {
    return this.next() / 2 ** 32 < p;
  }

  pick(values) {
    return values[this.next() % values.length];
  }

  /** A module-scope name not used yet in this module: base, then base2, base3... */
  name(base) {
    let candidate = base;
    for (let i = 2; this.names.has(candidate); i++) candidate = `${base}${i}`;
    this.names.add(candidate);
    return candidate;
  }

  use(from, ...names) {
    this.entry(from).values.push(...names);
  }

  useType(from, ...names) {
    this.entry(from).types.push(...names);
  }

  useDefault(from, name) {
    this.entry(from).default = name;
  }

  entry(from) {
    if (!this.imports.has(from)) this.imports.set(from, { values: [], types: [], default: null });
    return this.imports.get(from);
  }

  entity() {
    const entity = this.pick(ENTITIES);
    if (entity.types.length > 0) this.useType(TYPES, ...entity.types);
    this.use(IO, entity.load);
    return entity;
  }

  /** The import statements, node: and packages first, then relative paths. */
  importLines() {
    const order = [...this.imports.keys()].sort((a, b) => {
      const rank = (s) => (s.startsWith('.') ? 1 : 0);
      return rank(a) - rank(b) || a.localeCompare(b);
    });
    const lines = [];
    for (const from of order) {
      const { values, types, default: defaultName } = this.imports.get(from);
      const uniqueValues = [...new Set(values)].sort();
      const uniqueTypes = [...new Set(types)].filter((t) => !uniqueValues.includes(t)).sort();
      if (defaultName) lines.push(`import ${defaultName} from '${from}';`);
      if (uniqueValues.length > 0) {
        const named = [...uniqueValues, ...uniqueTypes.map((t) => `type ${t}`)];
        lines.push(`import { ${named.join(', ')} } from '${from}';`);
      } else if (uniqueTypes.length > 0) {
        lines.push(`import type { ${uniqueTypes.join(', ')} } from '${from}';`);
      }
    }
    return lines;
  }
}

/** A block's text: lines ending in `//@site <P|T|W|E> <messageId>` mark a seeded site (the marker is removed). */
function block(text) {
  const lines = [];
  const sites = [];
  for (const raw of text.replace(/^\n/, '').replace(/\n\s*$/, '').split('\n')) {
    const marker = raw.match(/\s*\/\/@site ([PTWE]) (\w+)$/);
    if (marker) {
      sites.push({ offset: lines.length, rule: RULES[marker[1]], messageId: marker[2] });
      lines.push(raw.slice(0, marker.index));
    } else lines.push(raw);
  }
  return { lines, sites };
}

// ---------------------------------------------------------------------------------------------
// Ordinary code (the bulk of every module)

const ORDINARY = {
  typeGuard(c) {
    const T = c.name(`${c.N}Input`);
    const is = c.name(`is${c.N}Input`);
    return block(`
export interface ${T} {
  id: string;
  name: string;
  amount: number;
  tags: string[];
  note?: string;
}

export function ${is}(value: unknown): value is ${T} {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.id === 'string' &&
    typeof v.name === 'string' &&
    typeof v.amount === 'number' &&
    Array.isArray(v.tags) &&
    v.tags.every((tag) => typeof tag === 'string') &&
    (v.note === undefined || typeof v.note === 'string')
  );
}`);
  },

  validate(c) {
    c.useType(TYPES, 'Result');
    const fn = c.name(`validate${c.N}`);
    return block(`
export function ${fn}(input: { id: string; name: string; amount: number; tags: string[] }): Result<{ id: string; name: string; amount: number; tags: string[] }> {
  const errors: string[] = [];
  if (input.id.trim() === '') errors.push('id is empty');
  if (input.name.length > ${c.int(40, 200)}) errors.push('name is too long');
  if (!Number.isFinite(input.amount) || input.amount < 0) errors.push('amount must be a non-negative number');
  for (const tag of input.tags) {
    if (!/^[a-z][a-z0-9-]*$/.test(tag)) errors.push(\`bad tag: \${tag}\`);
  }
  if (errors.length > 0) return { ok: false, error: errors.join('; ') };
  return { ok: true, value: { ...input, name: input.name.trim() } };
}`);
  },

  parseQuery(c) {
    const fn = c.name(`parse${c.N}Query`);
    return block(`
export function ${fn}(query: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const text = query.startsWith('?') ? query.slice(1) : query;
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = decodeURIComponent(eq === -1 ? part : part.slice(0, eq));
    const value = eq === -1 ? '' : decodeURIComponent(part.slice(eq + 1).replace(/\\+/g, ' '));
    (out[key] ??= []).push(value);
  }
  return out;
}`);
  },

  tokenizer(c) {
    const T = c.name(`${c.N}Token`);
    const fn = c.name(`tokenize${c.N}`);
    return block(`
export type ${T} = { kind: 'word' | 'number' | 'punct'; text: string; at: number };

export function ${fn}(source: string): ${T}[] {
  const tokens: ${T}[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source.charAt(i);
    if (/\\s/.test(ch)) {
      i++;
      continue;
    }
    const start = i;
    if (/[0-9]/.test(ch)) {
      while (i < source.length && /[0-9.]/.test(source.charAt(i))) i++;
      tokens.push({ kind: 'number', text: source.slice(start, i), at: start });
    } else if (/[A-Za-z_]/.test(ch)) {
      while (i < source.length && /[A-Za-z0-9_]/.test(source.charAt(i))) i++;
      tokens.push({ kind: 'word', text: source.slice(start, i), at: start });
    } else {
      tokens.push({ kind: 'punct', text: ch, at: start });
      i++;
    }
  }
  return tokens;
}`);
  },

  formatAmount(c) {
    const currency = c.name(`${c.noun.toUpperCase()}_CURRENCY`);
    const fn = c.name(`format${c.N}Amount`);
    c.exports.push({ name: fn, sig: 'num' });
    return block(`
const ${currency} = '${c.pick(CURRENCIES)}';

export function ${fn}(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(Math.round(cents));
  const whole = Math.floor(abs / 100)
    .toString()
    .replace(/\\B(?=(\\d{3})+(?!\\d))/g, ',');
  const fraction = (abs % 100).toString().padStart(2, '0');
  return \`\${sign}\${whole}.\${fraction} \${${currency}}\`;
}`);
  },

  formatDuration(c) {
    const fn = c.name(`describe${c.N}Duration`);
    c.exports.push({ name: fn, sig: 'num' });
    return block(`
export function ${fn}(ms: number): string {
  if (ms < 1000) return \`\${ms} ms\`;
  const parts: string[] = [];
  const units: Array<[string, number]> = [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ];
  let rest = Math.floor(ms / 1000);
  for (const [unit, size] of units) {
    if (rest >= size) {
      parts.push(\`\${Math.floor(rest / size)}\${unit}\`);
      rest %= size;
    }
  }
  return parts.join(' ');
}`);
  },

  formatDate(c) {
    const fn = c.name(`format${c.N}Date`);
    c.exports.push({ name: fn, sig: 'num' });
    return block(`
export function ${fn}(epochMs: number): string {
  const d = new Date(epochMs);
  const pad = (n: number): string => n.toString().padStart(2, '0');
  return \`\${d.getUTCFullYear()}-\${pad(d.getUTCMonth() + 1)}-\${pad(d.getUTCDate())} \${pad(d.getUTCHours())}:\${pad(d.getUTCMinutes())}\`;
}`);
  },

  slug(c) {
    const fn = c.name(`${c.noun}Slug`);
    c.exports.push({ name: fn, sig: 'str' });
    return block(`
export function ${fn}(title: string): string {
  return title
    .normalize('NFKD')
    .replace(/[\\u0300-\\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, ${c.int(30, 80)});
}`);
  },

  email(c) {
    const fn = c.name(`isValid${c.N}Email`);
    c.exports.push({ name: fn, sig: 'bool' });
    return block(`
export function ${fn}(value: string): boolean {
  const at = value.lastIndexOf('@');
  if (at < 1 || at === value.length - 1) return false;
  const domain = value.slice(at + 1);
  return domain.includes('.') && !domain.startsWith('.') && !/\\s/.test(value);
}`);
  },

  stats(c) {
    const fn = c.name(`summarize${c.N}s`);
    return block(`
export function ${fn}(values: readonly number[]): { count: number; mean: number; p50: number; p95: number; max: number } {
  if (values.length === 0) return { count: 0, mean: 0, p50: 0, p95: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  let sum = 0;
  for (const v of sorted) sum += v;
  return { count: sorted.length, mean: sum / sorted.length, p50: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] };
}`);
  },

  window(c) {
    const cls = c.name(`${c.N}Window`);
    return block(`
export class ${cls} {
  private readonly samples: number[] = [];
  private head = 0;

  constructor(private readonly capacity: number = ${c.int(16, 256)}) {}

  push(value: number): void {
    if (this.samples.length < this.capacity) {
      this.samples.push(value);
      return;
    }
    this.samples[this.head] = value;
    this.head = (this.head + 1) % this.capacity;
  }

  get size(): number {
    return this.samples.length;
  }

  average(): number {
    if (this.samples.length === 0) return 0;
    return this.samples.reduce((sum, v) => sum + v, 0) / this.samples.length;
  }

  clear(): void {
    this.samples.length = 0;
    this.head = 0;
  }
}`);
  },

  errorClass(c) {
    const cls = c.name(`${c.N}Error`);
    return block(`
export class ${cls} extends Error {
  readonly code: string;

  constructor(code: string, message: string, readonly detail: Record<string, unknown> = {}) {
    super(message);
    this.name = '${cls}';
    this.code = code;
  }

  static notFound(id: string): ${cls} {
    return new ${cls}('NOT_FOUND', \`${c.noun} \${id} not found\`, { id });
  }

  static invalid(reason: string): ${cls} {
    return new ${cls}('INVALID', \`invalid ${c.noun}: \${reason}\`);
  }
}`);
  },

  reducer(c) {
    const action = c.name(`${c.N}Action`);
    const state = c.name(`${c.N}State`);
    const fn = c.name(`reduce${c.N}`);
    return block(`
export type ${action} =
  | { type: 'add'; id: string; quantity: number }
  | { type: 'remove'; id: string }
  | { type: 'clear' };

export interface ${state} {
  readonly lines: ReadonlyArray<{ id: string; quantity: number }>;
  readonly version: number;
}

export function ${fn}(state: ${state}, action: ${action}): ${state} {
  switch (action.type) {
    case 'add': {
      const existing = state.lines.find((line) => line.id === action.id);
      const lines = existing
        ? state.lines.map((line) => (line.id === action.id ? { ...line, quantity: line.quantity + action.quantity } : line))
        : [...state.lines, { id: action.id, quantity: action.quantity }];
      return { lines, version: state.version + 1 };
    }
    case 'remove':
      return { lines: state.lines.filter((line) => line.id !== action.id), version: state.version + 1 };
    case 'clear':
      return { lines: [], version: state.version + 1 };
  }
}`);
  },

  collections(c) {
    const group = c.name(`group${c.N}sBy`);
    const chunk = c.name(`chunk${c.N}s`);
    return block(`
export function ${group}<T>(items: readonly T[], keyOf: (item: T) => string): Record<string, T[]> {
  const groups: Record<string, T[]> = {};
  for (const item of items) {
    const key = keyOf(item);
    (groups[key] ??= []).push(item);
  }
  return groups;
}

export function ${chunk}<T>(items: readonly T[], size: number): T[][] {
  if (size <= 0) throw new RangeError('size must be positive');
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}`);
  },

  retry(c) {
    c.use(IO, 'sleep');
    c.use(LOG, 'log');
    const fn = c.name(`with${c.N}Retry`);
    return block(`
export async function ${fn}<T>(action: () => Promise<T>, attempts = ${c.int(2, 6)}): Promise<T> {
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      return await action();
    } catch (error: unknown) {
      lastError = error;
      log('warn', \`${c.noun}: attempt \${attempt + 1} failed\`, { error: String(error) });
      await sleep(${c.int(10, 500)} * 2 ** attempt);
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}`);
  },

  sequentialAsync(c) {
    c.use(IO, 'fetchUser');
    c.useType(TYPES, 'User');
    const fn = c.name(`collect${c.N}Users`);
    return block(`
export async function ${fn}(ids: readonly string[]): Promise<User[]> {
  const users: User[] = [];
  for (const id of ids) {
    const user = await fetchUser(id);
    if (user.roles.includes('${c.pick(['admin', 'member', 'owner', 'billing'])}')) users.push(user);
  }
  return users;
}`);
  },

  pages(c) {
    c.use(IO, 'fetchPage');
    c.useType(TYPES, 'Order', 'Page');
    const fn = c.name(`iterate${c.N}Pages`);
    return block(`
export async function* ${fn}(url: string): AsyncGenerator<Order[], void, void> {
  let cursor: string | null = null;
  do {
    const page: Page<Order> = await fetchPage<Order>(url, cursor);
    yield page.items;
    cursor = page.next;
  } while (cursor !== null);
}`);
  },

  render(c) {
    c.useType(TYPES, 'User');
    const fn = c.name(`render${c.N}Email`);
    return block(`
export function ${fn}(user: User, lines: ReadonlyArray<{ label: string; value: string }>): string {
  const rows = lines.map((line) => \`  \${line.label.padEnd(20)} \${line.value}\`).join('\\n');
  return [\`Hello \${user.name},\`, '', 'Here is your ${c.noun} summary:', rows, '', 'The ${c.area} team'].join('\\n');
}`);
  },

  table(c) {
    const table = c.name(`${c.noun.toUpperCase()}_LIMITS`);
    const fn = c.name(`limitsFor${c.N}`);
    const rows = ['free', 'team', 'business', 'enterprise']
      .map((plan, i) => `  { plan: '${plan}', requests: ${c.int(1, 9) * 10 ** (i + 2)}, storageMb: ${c.int(1, 9) * 10 ** (i + 1)} },`)
      .join('\n');
    return block(`
const ${table} = [
${rows}
] as const;

export function ${fn}(plan: string): { requests: number; storageMb: number } {
  const row = ${table}.find((r) => r.plan === plan);
  return row ? { requests: row.requests, storageMb: row.storageMb } : { requests: 0, storageMb: 0 };
}`);
  },

  builder(c) {
    const cls = c.name(`${c.N}QueryBuilder`);
    return block(`
export class ${cls} {
  private readonly filters: string[] = [];
  private sortKey: string | null = null;
  private max = ${c.int(10, 100)};

  where(field: string, op: '=' | '<' | '>', value: string | number): this {
    this.filters.push(\`\${field} \${op} \${JSON.stringify(value)}\`);
    return this;
  }

  orderBy(field: string): this {
    this.sortKey = field;
    return this;
  }

  limit(n: number): this {
    this.max = Math.max(1, Math.min(n, 1000));
    return this;
  }

  build(): string {
    const where = this.filters.length > 0 ? \` WHERE \${this.filters.join(' AND ')}\` : '';
    const order = this.sortKey ? \` ORDER BY \${this.sortKey}\` : '';
    return \`SELECT * FROM ${c.pick(TABLES)}\${where}\${order} LIMIT \${this.max}\`;
  }
}`);
  },

  orderMath(c) {
    c.useType(TYPES, 'Order');
    const total = c.name(`total${c.N}`);
    const open = c.name(`is${c.N}Open`);
    return block(`
export function ${total}(order: Order, discountPercent = 0): number {
  let subtotal = 0;
  for (const item of order.items) {
    if (item.quantity <= 0) continue;
    subtotal += item.price * item.quantity;
  }
  const discount = Math.round((subtotal * Math.min(discountPercent, 100)) / 100);
  return subtotal - discount;
}

export function ${open}(order: Order): boolean {
  return order.status === 'new' || order.status === 'paid';
}`);
  },

  handler(c) {
    c.use(IO, 'fetchOrder', 'audit');
    c.use(LOG, 'log');
    const fn = c.name(`handle${c.N}Request`);
    return block(`
export async function ${fn}(body: unknown): Promise<{ status: number; body: string }> {
  if (typeof body !== 'object' || body === null) return { status: 400, body: 'expected an object' };
  const id = (body as { id?: unknown }).id;
  if (typeof id !== 'string') return { status: 400, body: 'missing id' };
  try {
    const order = await fetchOrder(id);
    await audit('${c.noun}.read', { id });
    return { status: 200, body: JSON.stringify({ id: order.id, total: order.total }) };
  } catch (error: unknown) {
    log('error', '${c.noun} request failed', { id, error: String(error) });
    return { status: 500, body: 'internal error' };
  }
}`);
  },

  parallelPure(c) {
    c.use(IO, 'fetchOrder');
    const fn = c.name(`load${c.N}Summaries`);
    return block(`
export async function ${fn}(ids: readonly string[]): Promise<string[]> {
  const orders = await Promise.all(ids.map((id) => fetchOrder(id)));
  return orders.map((order) => \`\${order.id}: \${order.items.length} items, \${order.total}\`);
}`);
  },

  client(c) {
    c.use(IO, 'loadConfig');
    const cls = c.name(`${c.N}Client`);
    return block(`
export class ${cls} {
  private requests = 0;

  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs = ${c.int(1, 30) * 1000},
  ) {}

  async get(resource: string): Promise<Record<string, string>> {
    this.requests++;
    const config = await loadConfig(\`\${this.baseUrl}/\${resource}\`);
    return { ...config, timeoutMs: String(this.timeoutMs) };
  }

  get requestCount(): number {
    return this.requests;
  }
}`);
  },

  /** Calls helpers exported by earlier modules (the project's import graph). */
  glue(c) {
    const fromEarlier = c.helpers.filter((h) => h.index < c.index);
    if (fromEarlier.length === 0) return ORDINARY.email(c);
    const fn = c.name(`describe${c.N}`);
    const body = [];
    const parts = [];
    const count = c.int(1, 3);
    const imported = new Map();
    for (let i = 0; i < count; i++) {
      const helper = c.pick(fromEarlier);
      const key = `${helper.area}/${helper.file}#${helper.name}`;
      let local = imported.get(key);
      if (!local) {
        local = c.names.has(helper.name) ? c.name(`${helper.name}From${cap(helper.area)}`) : c.name(helper.name);
        c.use(relativeImport(c, helper), local === helper.name ? local : `${helper.name} as ${local}`);
        imported.set(key, local);
      }
      const v = `part${i}`;
      if (helper.sig === 'num') {
        body.push(`  const ${v} = ${local}(amount);`);
        parts.push(v);
      } else if (helper.sig === 'str') {
        body.push(`  const ${v} = ${local}(label);`);
        parts.push(v);
      } else {
        body.push(`  if (!${local}(label)) return '';`);
      }
    }
    const joined = parts.length > 0 ? parts.map((p) => `\${${p}}`).join(' / ') : '${label}';
    return block(`
export function ${fn}(label: string, amount: number): string {
${body.join('\n')}
  return \`${joined}\`;
}`);
  },

  /** A promise nobody awaits: what no-floating-promises is for (in a few modules only). */
  floating(c) {
    c.use(IO, 'audit');
    const fn = c.name(`touch${c.N}`);
    return block(`
export function ${fn}(id: string): void {
  audit('${c.noun}.touch', { id });
}`);
  },
};

const ORDINARY_POOL = Object.keys(ORDINARY).filter((k) => k !== 'floating');

function relativeImport(c, helper) {
  const file = `${helper.file}.js`;
  return helper.area === c.area ? `./${file}` : `../${helper.area}/${file}`;
}

// ---------------------------------------------------------------------------------------------
// Racy patterns (one per seeded module): each marks the line the contract says is reported.

const RACY = {
  // Promise.all over xs.map(async …): check, await, store on a module Map.
  checkThenLoad(c) {
    const e = c.entity();
    const m = c.name(`${e.noun}Cache`);
    const fn = c.name(`load${cap(e.noun)}s`);
    const drop = c.name(`forget${cap(e.noun)}`);
    return block(`
const ${m} = new Map<string, ${e.type}>();

export async function ${fn}(ids: readonly string[]): Promise<${e.type}[]> {
  return Promise.all(
    ids.map(async (id) => {
      const cached = ${m}.get(id); //@site P duplicateLoad
      if (cached !== undefined) return cached;
      const loaded = await ${e.load}(id);
      ${m}.set(id, loaded);
      return loaded;
    }),
  );
}

export function ${drop}(id: string): void {
  ${m}.delete(id);
}`);
  },

  // xs.map(x => this.method(x)): a Record counter on a class field.
  classCounter(c) {
    c.use(IO, 'audit');
    const cls = c.name(`${c.N}EventStats`);
    return block(`
export class ${cls} {
  private readonly counts: Record<string, number> = {};

  async recordAll(events: readonly string[]): Promise<void> {
    await Promise.all(events.map((event) => this.record(event)));
  }

  private async record(event: string): Promise<void> {
    const previous = this.counts[event] ?? 0; //@site P readWriteRace
    await audit(event);
    this.counts[event] = previous + 1;
  }

  countOf(event: string): number {
    return this.counts[event] ?? 0;
  }
}`);
  },

  // Promises pushed in a loop, then Promise.all(array): a module Set checked and filled.
  pushedPromises(c) {
    c.use(IO, 'fetchOrder');
    const seen = c.name(`seen${c.N}Orders`);
    const visit = c.name(`visit${c.N}Order`);
    const all = c.name(`visitAll${c.N}Orders`);
    return block(`
const ${seen} = new Set<string>();

async function ${visit}(id: string): Promise<number> {
  if (${seen}.has(id)) return 0; //@site P readWriteRace
  const order = await fetchOrder(id);
  ${seen}.add(id);
  return order.total;
}

export async function ${all}(ids: readonly string[]): Promise<number> {
  const pending: Promise<number>[] = [];
  for (const id of ids) pending.push(${visit}(id));
  const totals = await Promise.all(pending);
  return totals.reduce((sum, total) => sum + total, 0);
}`);
  },

  // Promise.allSettled(xs.map(fn)): a module Map counter updated across an await.
  settledCounter(c) {
    c.use(IO, 'fetchPrice');
    const totals = c.name(`${c.noun}Totals`);
    const add = c.name(`add${c.N}Price`);
    const all = c.name(`price${c.N}Skus`);
    return block(`
const ${totals} = new Map<string, number>();

async function ${add}(sku: string): Promise<void> {
  const current = ${totals}.get(sku) ?? 0; //@site P readWriteRace
  const price = await fetchPrice(sku);
  ${totals}.set(sku, current + price);
}

export async function ${all}(skus: readonly string[]): Promise<number> {
  const results = await Promise.allSettled(skus.map(${add}));
  return results.filter((r) => r.status === 'rejected').length;
}`);
  },

  // A Promise.all task that walks a live module Map with an await in the loop body.
  liveIterationInTask(c) {
    c.use(IO, 'persist');
    const quotas = c.name(`${c.noun}Quotas`);
    const set = c.name(`set${c.N}Quota`);
    const flush = c.name(`flush${c.N}Quotas`);
    return block(`
const ${quotas} = new Map<string, number>();

export function ${set}(key: string, value: number): void {
  ${quotas}.set(key, value);
}

export async function ${flush}(tenants: readonly string[]): Promise<void> {
  await Promise.all(
    tenants.map(async (tenant) => {
      for (const [key, value] of ${quotas}) { //@site P liveIteration
        await persist('quota', { tenant, key, value });
        if (value <= 0) ${quotas}.delete(key);
      }
    }),
  );
}`);
  },

  // setInterval(async …) sweeping a live map with an await in the loop.
  sweeper(c) {
    c.use(IO, 'isStillValid');
    c.useType(TYPES, 'Session');
    const sessions = c.name(`${c.noun}Sessions`);
    const login = c.name(`open${c.N}Session`);
    const logout = c.name(`close${c.N}Session`);
    const start = c.name(`start${c.N}Sweeper`);
    return block(`
const ${sessions} = new Map<string, Session>();

export function ${login}(session: Session): void {
  ${sessions}.set(session.id, session);
}

export function ${logout}(id: string): void {
  ${sessions}.delete(id);
}

export function ${start}(everyMs = ${c.int(1, 60) * 1000}): Timeout {
  return setInterval(async () => {
    for (const [id, session] of ${sessions}) { //@site T liveIteration
      if (!(await isStillValid(session))) {
        ${sessions}.delete(id);
      }
    }
  }, everyMs);
}`);
  },

  // setTimeout(async …): a Record counter read before an await and written after it.
  delayedFlush(c) {
    c.use(IO, 'persist');
    const flushes = c.name(`${c.noun}Flushes`);
    const schedule = c.name(`schedule${c.N}Flush`);
    const reset = c.name(`reset${c.N}Flushes`);
    return block(`
const ${flushes}: Record<string, number> = {};

export function ${schedule}(key: string, delayMs = ${c.int(50, 5000)}): void {
  setTimeout(async () => {
    const count = ${flushes}[key] ?? 0; //@site T readWriteRace
    await persist('${c.noun}-flush', { key, count });
    ${flushes}[key] = count + 1;
  }, delayMs);
}

export function ${reset}(key: string): void {
  delete ${flushes}[key];
}`);
  },

  // for await (… of setInterval(…)) from node:timers/promises, while setters write the map.
  timersPromises(c) {
    c.use('node:timers/promises', 'setInterval');
    c.use(IO, 'fetchPrice');
    const rates = c.name(`${c.noun}Rates`);
    const set = c.name(`set${c.N}Rate`);
    const refresh = c.name(`refresh${c.N}Rates`);
    return block(`
const ${rates} = new Map<string, number>();

export function ${set}(sku: string, rate: number): void {
  ${rates}.set(sku, rate);
}

export async function ${refresh}(skus: readonly string[]): Promise<void> {
  for await (const _tick of setInterval(${c.int(5, 120) * 1000})) {
    for (const sku of skus) {
      const old = ${rates}.get(sku) ?? 0; //@site T readWriteRace
      const fresh = await fetchPrice(sku);
      ${rates}.set(sku, Math.max(old, fresh));
    }
  }
}`);
  },

  // parentPort.on('message', async …): a worker's module Map updated across an await.
  workerHandler(c) {
    c.use(WORKER_THREADS, 'parentPort');
    c.use(IO, 'runJob');
    c.useType(TYPES, 'Job', 'JobResult');
    const results = c.name(`${c.noun}Results`);
    return block(`
const ${results} = new Map<string, JobResult[]>();

parentPort?.on('message', async (job: Job) => {
  const history = ${results}.get(job.id) ?? []; //@site W readWriteRace
  const result = await runJob(job);
  ${results}.set(job.id, [...history, result]);
  parentPort?.postMessage({ id: job.id, runs: history.length + 1 });
});`);
  },

  // worker.on('message', async …) in the main thread: a class field Map.
  poolHandler(c) {
    c.use(WORKER_THREADS, 'Worker');
    c.use(IO, 'persist');
    c.useType(TYPES, 'Job', 'JobResult');
    const cls = c.name(`${c.N}WorkerPool`);
    return block(`
export class ${cls} {
  private readonly worker = new Worker(new URL('./${c.noun}.worker.js', import.meta.url));
  private readonly results = new Map<string, JobResult>();

  constructor() {
    this.worker.on('message', async (result: JobResult) => {
      const previous = this.results.get(result.id); //@site W readWriteRace
      await persist('job-result', result);
      this.results.set(result.id, previous && previous.ok ? previous : result);
    });
  }

  submit(job: Job): void {
    this.results.delete(job.id);
    this.worker.postMessage(job);
  }
}`);
  },

  // port.on('message', async …) walking a live Set that subscribe/unsubscribe write.
  portBroadcast(c) {
    c.useType(WORKER_THREADS, 'MessagePort');
    c.use(IO, 'persist');
    const subscribers = c.name(`${c.noun}Subscribers`);
    const subscribe = c.name(`subscribeTo${c.N}`);
    const unsubscribe = c.name(`unsubscribeFrom${c.N}`);
    const listen = c.name(`listenFor${c.N}s`);
    return block(`
const ${subscribers} = new Set<string>();

export function ${subscribe}(id: string): void {
  ${subscribers}.add(id);
}

export function ${unsubscribe}(id: string): void {
  ${subscribers}.delete(id);
}

export function ${listen}(port: MessagePort): void {
  port.on('message', async (event: { topic: string }) => {
    for (const id of ${subscribers}) { //@site W liveIteration
      await persist('notify', { id, topic: event.topic });
    }
  });
}`);
  },

  // A long-lived Map posted to a worker: structured clone copies it.
  postedMap(c) {
    c.use(WORKER_THREADS, 'Worker');
    c.useType(TYPES, 'Job');
    const pending = c.name(`pending${c.N}Jobs`);
    const enqueue = c.name(`enqueue${c.N}Job`);
    const dispatch = c.name(`dispatch${c.N}Jobs`);
    const variant = c.int(0, 2);
    const send =
      variant === 0
        ? `  worker.postMessage(${pending}); //@site W clonedMap`
        : variant === 1
          ? `  worker.postMessage({ kind: 'batch', jobs: ${pending} }); //@site W clonedMap`
          : `  const spawned = new Worker(new URL('./${c.noun}.worker.js', import.meta.url), { workerData: ${pending} }); //@site W clonedMap\n  spawned.postMessage({ kind: 'start' });`;
    return block(`
const ${pending} = new Map<string, Job>();

export function ${enqueue}(job: Job): void {
  ${pending}.set(job.id, job);
}

export function ${dispatch}(worker: Worker): void {
${send}
}`);
  },

  // An exported async function: every caller's run overlaps the others (a counter across an await).
  exportedCounter(c) {
    c.use(IO, 'audit');
    const visits = c.name(`${c.noun}Visits`);
    const record = c.name(`record${c.N}Visit`);
    return block(`
const ${visits} = new Map<string, number>();

export async function ${record}(page: string): Promise<number> {
  const count = ${visits}.get(page) ?? 0; //@site E readWriteRace
  await audit('${c.noun}.visit', { page });
  ${visits}.set(page, count + 1);
  return count + 1;
}`);
  },

  // A public async method of an exported class: a read-through fill whose value depends on the key.
  serviceMethodFill(c) {
    const e = c.entity();
    const cls = c.name(`${c.N}${cap(e.noun)}Service`);
    return block(`
export class ${cls} {
  private readonly cache = new Map<string, ${e.type}>();

  async get(id: string): Promise<${e.type}> {
    const hit = this.cache.get(id); //@site E duplicateLoad
    if (hit !== undefined) return hit;
    const loaded = await ${e.load}(id);
    this.cache.set(id, loaded);
    return loaded;
  }

  invalidate(id: string): void {
    this.cache.delete(id);
  }
}`);
  },

  // An EventEmitter listener: the next event starts a run while the last one still waits.
  emitterListener(c) {
    c.useType('node:events', 'EventEmitter');
    c.use(IO, 'persist');
    const counts = c.name(`${c.noun}ChannelCounts`);
    const watch = c.name(`watch${c.N}Feed`);
    return block(`
const ${counts} = new Map<string, number>();

export function ${watch}(feed: EventEmitter): void {
  feed.on('data', async (channel: string) => {
    const count = ${counts}.get(channel) ?? 0; //@site E readWriteRace
    await persist('${c.noun}-channel', { channel, count });
    ${counts}.set(channel, count + 1);
  });
}`);
  },

  // A field filled lazily in a public async method: two first calls both load and both assign.
  lazyField(c) {
    c.use(IO, 'loadConfig');
    const cls = c.name(`${c.N}Settings`);
    return block(`
export class ${cls} {
  private config: Record<string, string> | undefined;

  async current(): Promise<Record<string, string>> {
    if (!this.config) this.config = await loadConfig('${c.noun}'); //@site E lazyInitRace
    return this.config;
  }

  reset(): void {
    this.config = undefined;
  }
}`);
  },
};

const RACY_WEIGHTS = [
  ['checkThenLoad', 3],
  ['classCounter', 2],
  ['pushedPromises', 2],
  ['settledCounter', 2],
  ['liveIterationInTask', 1],
  ['sweeper', 3],
  ['delayedFlush', 2],
  ['timersPromises', 1],
  ['workerHandler', 3],
  ['poolHandler', 2],
  ['portBroadcast', 1],
  ['postedMap', 2],
  ['exportedCounter', 2],
  ['serviceMethodFill', 2],
  ['emitterListener', 1],
  ['lazyField', 1],
];

// ---------------------------------------------------------------------------------------------
// Safe variants (silent by the contract)

const SAFE = {
  // The promise-cache idiom: the promise is stored before any await.
  promiseCache(c) {
    const e = c.entity();
    const m = c.name(`${e.noun}Promises`);
    const get = c.name(`get${cap(e.noun)}`);
    const all = c.name(`get${cap(e.noun)}s`);
    return block(`
const ${m} = new Map<string, Promise<${e.type}>>();

export function ${get}(id: string): Promise<${e.type}> {
  let pending = ${m}.get(id);
  if (!pending) {
    pending = ${e.load}(id);
    ${m}.set(id, pending);
    pending.catch(() => ${m}.delete(id));
  }
  return pending;
}

export async function ${all}(ids: readonly string[]): Promise<${e.type}[]> {
  return Promise.all(ids.map((id) => ${get}(id)));
}`);
  },

  // async-mutex runExclusive around the read-await-write.
  mutexRunExclusive(c) {
    c.use('async-mutex', 'Mutex');
    c.use(IO, 'persist');
    const lock = c.name(`${c.noun}Lock`);
    const balances = c.name(`${c.noun}Balances`);
    const apply = c.name(`apply${c.N}Entries`);
    return block(`
const ${lock} = new Mutex();
const ${balances} = new Map<string, number>();

export async function ${apply}(entries: ReadonlyArray<{ account: string; amount: number }>): Promise<void> {
  await Promise.all(
    entries.map((entry) =>
      ${lock}.runExclusive(async () => {
        const current = ${balances}.get(entry.account) ?? 0;
        await persist('ledger', entry);
        ${balances}.set(entry.account, current + entry.amount);
      }),
    ),
  );
}`);
  },

  // acquire / try / finally release in a setInterval callback.
  mutexAcquire(c) {
    c.use('async-mutex', 'Mutex');
    c.use(IO, 'fetchPrice');
    const lock = c.name(`${c.noun}RefreshLock`);
    const prices = c.name(`${c.noun}Prices`);
    const start = c.name(`start${c.N}PriceRefresh`);
    return block(`
const ${lock} = new Mutex();
const ${prices} = new Map<string, number>();

export function ${start}(skus: readonly string[]): Timeout {
  return setInterval(async () => {
    const release = await ${lock}.acquire();
    try {
      for (const sku of skus) {
        const before = ${prices}.get(sku) ?? 0;
        const now = await fetchPrice(sku);
        ${prices}.set(sku, Math.max(before, now));
      }
    } finally {
      release();
    }
  }, ${c.int(10, 300) * 1000});
}`);
  },

  // Read and write in one synchronous step after the await.
  syncAfterAwait(c) {
    c.use(IO, 'fetchPrice');
    const totals = c.name(`${c.noun}Spend`);
    const add = c.name(`add${c.N}Spend`);
    return block(`
const ${totals} = new Map<string, number>();

export async function ${add}(skus: readonly string[]): Promise<number> {
  await Promise.all(
    skus.map(async (sku) => {
      const price = await fetchPrice(sku);
      ${totals}.set(sku, (${totals}.get(sku) ?? 0) + price);
    }),
  );
  return ${totals}.size;
}`);
  },

  // Blind writes of each task's own result.
  blindWrite(c) {
    const e = c.entity();
    const m = c.name(`latest${cap(e.noun)}s`);
    const fn = c.name(`refresh${cap(e.noun)}s`);
    return block(`
const ${m} = new Map<string, ${e.type}>();

export async function ${fn}(ids: readonly string[]): Promise<number> {
  await Promise.all(
    ids.map(async (id) => {
      ${m}.set(id, await ${e.load}(id));
    }),
  );
  return ${m}.size;
}`);
  },

  // A sweep over a snapshot that re-checks the live entry before deleting it.
  snapshotSweeper(c) {
    c.use(IO, 'isStillValid');
    c.useType(TYPES, 'Session');
    const sessions = c.name(`active${c.N}Sessions`);
    const track = c.name(`track${c.N}Session`);
    const start = c.name(`sweep${c.N}Sessions`);
    return block(`
const ${sessions} = new Map<string, Session>();

export function ${track}(session: Session): void {
  ${sessions}.set(session.id, session);
}

export function ${start}(): Timeout {
  return setInterval(async () => {
    for (const [id, session] of [...${sessions}]) {
      const valid = await isStillValid(session);
      if (!valid && ${sessions}.get(id) === session) ${sessions}.delete(id);
    }
  }, ${c.int(1, 60) * 1000});
}`);
  },

  // A synchronous timer callback.
  syncTimer(c) {
    const seen = c.name(`${c.noun}LastSeen`);
    const touch = c.name(`mark${c.N}Seen`);
    const start = c.name(`expire${c.N}Entries`);
    return block(`
const ${seen} = new Map<string, number>();

export function ${touch}(id: string): void {
  ${seen}.set(id, Date.now());
}

export function ${start}(ttlMs = ${c.int(1, 30) * 60_000}): Timeout {
  const timer = setInterval(() => {
    const now = Date.now();
    for (const [id, at] of ${seen}) {
      if (now - at > ttlMs) ${seen}.delete(id);
    }
  }, ${c.int(5, 60) * 1000});
  return timer.unref();
}`);
  },

  // A sequential loop with awaits, run once at start-up: the function is the module's own (not
  // exported), so no caller can start a second run while the first waits.
  sequentialLoop(c) {
    c.use(IO, 'fetchUser');
    c.useType(TYPES, 'User');
    const m = c.name(`${c.noun}Owners`);
    const sync = c.name(`sync${c.N}Owners`);
    const owner = c.name(`${c.noun}OwnerOf`);
    const ready = c.name(`${c.noun}OwnersLoaded`);
    return block(`
const ${m} = new Map<string, User>();

async function ${sync}(ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    const known = ${m}.get(id);
    const fresh = await fetchUser(id);
    if (!known || known.name !== fresh.name) ${m}.set(id, fresh);
  }
}

export function ${owner}(id: string): User | undefined {
  return ${m}.get(id);
}

/** Loaded once when the module starts, before it serves lookups. */
export const ${ready}: Promise<void> = ${sync}((process.env.${c.noun.toUpperCase()}_OWNERS ?? '').split(',').filter(Boolean));`);
  },

  // p-limit with concurrency 1.
  pLimitOne(c) {
    c.useDefault('p-limit', 'pLimit');
    c.use(IO, 'fetchOrder');
    const limit = c.name(`${c.noun}Serial`);
    const m = c.name(`${c.noun}OrderTotals`);
    const fn = c.name(`tally${c.N}Orders`);
    return block(`
const ${limit} = pLimit(1);
const ${m}: Record<string, number> = {};

export async function ${fn}(ids: readonly string[]): Promise<void> {
  await Promise.all(
    ids.map((id) =>
      ${limit}(async () => {
        const order = await fetchOrder(id);
        const before = ${m}[order.userId] ?? 0;
        await fetchOrder(order.id);
        ${m}[order.userId] = before + order.total;
      }),
    ),
  );
}`);
  },

  // A synchronous message handler.
  syncWorkerHandler(c) {
    c.use(WORKER_THREADS, 'parentPort');
    const counts = c.name(`${c.noun}MessageCounts`);
    return block(`
const ${counts} = new Map<string, number>();

parentPort?.on('message', (message: { kind: string }) => {
  const count = (${counts}.get(message.kind) ?? 0) + 1;
  ${counts}.set(message.kind, count);
  parentPort?.postMessage({ kind: message.kind, count });
});`);
  },

  // A snapshot posted to a worker, not the live map.
  postedSnapshot(c) {
    c.use(WORKER_THREADS, 'Worker');
    c.useType(TYPES, 'Job');
    const queued = c.name(`queued${c.N}Jobs`);
    const add = c.name(`queue${c.N}Job`);
    const send = c.name(`send${c.N}Jobs`);
    return block(`
const ${queued} = new Map<string, Job>();

export function ${add}(job: Job): void {
  ${queued}.set(job.id, job);
}

export function ${send}(worker: Worker): number {
  worker.postMessage([...${queued}.values()]);
  const sent = ${queued}.size;
  ${queued}.clear();
  return sent;
}`);
  },

  // A Map created inside each task.
  localMap(c) {
    c.use(IO, 'fetchOrder');
    const fn = c.name(`count${c.N}Skus`);
    return block(`
export async function ${fn}(batches: ReadonlyArray<readonly string[]>): Promise<number[]> {
  return Promise.all(
    batches.map(async (ids) => {
      const bySku = new Map<string, number>();
      for (const id of ids) {
        const order = await fetchOrder(id);
        for (const item of order.items) bySku.set(item.sku, (bySku.get(item.sku) ?? 0) + item.quantity);
      }
      return bySku.size;
    }),
  );
}`);
  },

  // Read-only sharing: the tasks only read a map that a synchronous setter writes.
  readOnlyShare(c) {
    c.use(IO, 'fetchPrice');
    const rules = c.name(`${c.noun}Discounts`);
    const set = c.name(`set${c.N}Discount`);
    const fn = c.name(`quote${c.N}Skus`);
    return block(`
const ${rules} = new Map<string, number>();

export function ${set}(sku: string, percent: number): void {
  ${rules}.set(sku, percent);
}

export async function ${fn}(skus: readonly string[]): Promise<number[]> {
  return Promise.all(
    skus.map(async (sku) => {
      const price = await fetchPrice(sku);
      const discount = ${rules}.get(sku) ?? 0;
      return Math.round(price * (1 - discount / 100));
    }),
  );
}`);
  },

  // Promise.all first, then a synchronous fill.
  fillAfterAll(c) {
    c.use(IO, 'fetchUser');
    c.useType(TYPES, 'User');
    const directory = c.name(`${c.noun}Directory`);
    const fn = c.name(`warm${c.N}Directory`);
    return block(`
const ${directory} = new Map<string, User>();

export async function ${fn}(ids: readonly string[]): Promise<number> {
  const users = await Promise.all(ids.map((id) => fetchUser(id)));
  for (const user of users) ${directory}.set(user.id, user);
  return ${directory}.size;
}`);
  },

  // async-lock per key.
  asyncLock(c) {
    c.useDefault('async-lock', 'AsyncLock');
    c.use(IO, 'persist');
    const lock = c.name(`${c.noun}KeyLock`);
    const stock = c.name(`${c.noun}Stock`);
    const fn = c.name(`reserve${c.N}Stock`);
    return block(`
const ${lock} = new AsyncLock();
const ${stock} = new Map<string, number>();

export async function ${fn}(requests: ReadonlyArray<{ sku: string; quantity: number }>): Promise<void> {
  await Promise.all(
    requests.map((request) =>
      ${lock}.acquire(request.sku, async () => {
        const available = ${stock}.get(request.sku) ?? 0;
        await persist('reservation', request);
        ${stock}.set(request.sku, available - request.quantity);
      }),
    ),
  );
}`);
  },

  // SafeMap's atomic methods.
  safeMap(c) {
    c.use('eslint-plugin-maprace/runtime', 'SafeMap');
    const e = c.entity();
    const m = c.name(`${e.noun}Store`);
    const get = c.name(`cached${cap(e.noun)}s`);
    const hits = c.name(`${c.noun}Hits`);
    const count = c.name(`count${c.N}Hit`);
    return block(`
const ${m} = new SafeMap<string, ${e.type}>();
const ${hits} = new SafeMap<string, number>();

export async function ${get}(ids: readonly string[]): Promise<${e.type}[]> {
  return Promise.all(ids.map((id) => ${m}.getOrCompute(id, (key) => ${e.load}(key))));
}

export async function ${count}(route: string): Promise<void> {
  await ${hits}.update(route, (old) => (old ?? 0) + 1);
}`);
  },

  // A timer callback that awaits first, then updates in one synchronous step.
  timerSyncStep(c) {
    c.use(IO, 'persist');
    const counts = c.name(`${c.noun}Deliveries`);
    const fn = c.name(`deliver${c.N}Later`);
    return block(`
const ${counts}: Record<string, number> = {};

export function ${fn}(key: string, payload: unknown): void {
  setTimeout(async () => {
    await persist('${c.noun}-delivery', { key, payload });
    ${counts}[key] = (${counts}[key] ?? 0) + 1;
  }, ${c.int(10, 2000)});
}`);
  },
};

const SAFE_POOL = Object.keys(SAFE);

/** Patterns that call the global setInterval, which timersPromises shadows with the imported one. */
const USES_GLOBAL_SET_INTERVAL = new Set(['sweeper', 'mutexAcquire', 'snapshotSweeper', 'syncTimer']);

function pickWeighted(c, weights) {
  const total = weights.reduce((sum, [, w]) => sum + w, 0);
  let r = c.next() % total;
  for (const [id, w] of weights) {
    if (r < w) return id;
    r -= w;
  }
  return weights[0][0];
}

// ---------------------------------------------------------------------------------------------
// Modules

const MIN_LINES = 50;
const MAX_LINES = 250;

function generateModule(index, seed, helpers, usedPaths, racy) {
  const c = new ModuleContext(index, seed, helpers);
  let file = `${c.noun}-${c.role}`;
  for (let i = 2; usedPaths.has(`${c.area}/${file}`); i++) file = `${c.noun}-${c.role}-${i}`;
  usedPaths.add(`${c.area}/${file}`);

  // The concurrency patterns first (they decide some imports), then ordinary code around them.
  const patterns = [];
  let shadowsSetInterval = false;
  if (racy) {
    const id = pickWeighted(c, RACY_WEIGHTS);
    shadowsSetInterval = id === 'timersPromises';
    patterns.push({ id, kind: 'racy', block: RACY[id](c) });
  }
  const safeCount = racy ? c.int(0, 1) : c.int(1, 2);
  for (let i = 0; i < safeCount; i++) {
    const pool = SAFE_POOL.filter((id) => !(shadowsSetInterval && USES_GLOBAL_SET_INTERVAL.has(id)) && !patterns.some((p) => p.id === id));
    const id = c.pick(pool);
    patterns.push({ id, kind: 'safe', block: SAFE[id](c) });
  }

  const target = c.int(MIN_LINES, MAX_LINES - 35);
  const ordinary = [];
  const count = (blocks) => blocks.reduce((sum, b) => sum + b.block.lines.length + 1, 0);
  if (c.chance(0.1)) ordinary.push({ id: 'floating', kind: 'ordinary', block: ORDINARY.floating(c) });
  const total = () => 1 + c.importLines().length + count(patterns) + count(ordinary) + 1;
  while (total() < target) {
    const id = c.pick(ORDINARY_POOL);
    ordinary.push({ id, kind: 'ordinary', block: ORDINARY[id](c) });
  }

  // Interleave: each pattern lands at a random place among the ordinary blocks.
  const blocks = [...ordinary];
  for (const p of patterns) blocks.splice(c.int(0, blocks.length), 0, p);

  const header = [`// ${c.area}/${file}: ${c.noun} ${c.role}.`];
  const importLines = c.importLines();
  const lines = [...header, ...importLines];
  const sites = [];
  for (const b of blocks) {
    lines.push('');
    for (const s of b.block.sites) sites.push({ ...s, line: lines.length + 1 + s.offset, pattern: b.id });
    lines.push(...b.block.lines);
  }
  lines.push('');

  const relPath = `src/${c.area}/${file}.ts`;
  for (const e of c.exports) helpers.push({ ...e, index, area: c.area, file });
  return {
    path: relPath,
    text: lines.join('\n'),
    lines: lines.length - 1,
    racy,
    patterns: patterns.map((p) => `${p.kind}:${p.id}`),
    sites: sites.map((s) => ({ file: relPath, rule: s.rule, messageId: s.messageId, line: s.line, pattern: s.pattern })),
  };
}

/**
 * Writes the project into `dir` (created if missing): `files` TypeScript files under src/ in all,
 * the fixed ones included. Returns { files: [relative paths], sites, modules, lines, racyModules }.
 */
export function generateProject(dir, { files = 500, seed = 1 } = {}) {
  const generatedCount = files - FIXED_FILES.length;
  if (generatedCount < RACY_EVERY) throw new Error(`a project needs at least ${FIXED_FILES.length + RACY_EVERY} files`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'tsconfig.json'), `${JSON.stringify(TSCONFIG, null, 2)}\n`);
  writeFileSync(
    path.join(dir, 'package.json'),
    `${JSON.stringify({ name: 'maprace-bench-app', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`,
  );

  const written = [];
  let lines = 0;
  const write = (rel, text) => {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
    written.push(rel);
    lines += text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  };
  for (const [rel, text] of FIXED_FILES) write(rel, text);

  // One racy module in each run of RACY_EVERY, at a seeded position in the run.
  const runs = random32(seed * 31 + 7);
  let racyAt = -1;
  const helpers = [];
  const usedPaths = new Set();
  const modules = [];
  for (let i = 0; i < generatedCount; i++) {
    if (i % RACY_EVERY === 0) racyAt = i + (runs() % RACY_EVERY);
    const module = generateModule(i, seed, helpers, usedPaths, i === racyAt);
    write(module.path, module.text);
    modules.push(module);
  }
  return {
    files: written,
    lines,
    modules: modules.map(({ path: p, lines: l, racy, patterns }) => ({ path: p, lines: l, racy, patterns })),
    racyModules: modules.filter((m) => m.racy).length,
    sites: modules.flatMap((m) => m.sites),
  };
}

// ---------------------------------------------------------------------------------------------
// Standalone: node bench/rules.project.js <dir> [files]

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const [dir, files = '500'] = process.argv.slice(2);
  if (!dir) {
    console.error('usage: node bench/rules.project.js <dir> [files]');
    process.exit(1);
  }
  const project = generateProject(path.resolve(dir), { files: Number(files) });
  const sizes = project.modules.map((m) => m.lines);
  const byRule = {};
  for (const s of project.sites) byRule[s.rule] = (byRule[s.rule] ?? 0) + 1;
  console.log(
    `${project.files.length} files, ${project.lines} lines (modules ${Math.min(...sizes)}–${Math.max(...sizes)} lines), ` +
      `${project.racyModules} racy modules; seeded sites: ${JSON.stringify(byRule)}`,
  );
}
