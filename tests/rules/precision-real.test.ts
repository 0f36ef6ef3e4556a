/**
 * Precision on real code: shapes that read a map, await and write it without losing an update
 * stay silent, each beside its racy twin, which is still reported; and a read-through fill whose
 * value comes from the key alone is reported as a duplicate load, not a lost update.
 *
 * - own keys: tasks mapped over a snapshot of distinct keys that touch only their own key;
 * - claims: the entry (or the key) claimed before the first await, the map checked again after it;
 * - flags: `if (busy) return; busy = true; try { … } finally { busy = false }` serializing the
 *   runs of a timer callback or a message handler;
 * - duplicate loads: `duplicateLoad` and the `duplicateLoads: 'off'` option.
 *
 * Run with and without type information.
 */
import promiseAll from '../../lib/rules/no-unguarded-map-in-promise-all.js';
import timer from '../../lib/rules/no-unguarded-map-in-timer.js';
import workerMessage from '../../lib/rules/no-unguarded-map-in-worker-message.js';
import { runBoth } from '../helpers/rule-tester.js';

const sessionTypes = `interface Session { id: string; userId: string; hits: number; released: boolean }
declare const store: { saveHits(id: string, hits: number): Promise<void>; close(id: string): Promise<void> };
`;

// ---- tasks that touch only their own key (promise-all) ----

runBoth('no-unguarded-map-in-promise-all', promiseAll, {
  valid: [
    // silent: each task flushes its own session, keys from a snapshot of the map
    `${sessionTypes}
export class HitCounter {
  private hits = new Map<string, number>();
  async flush() {
    await Promise.all([...this.hits.keys()].map(async (sessionId) => {
      const count = this.hits.get(sessionId) ?? 0;
      await store.saveHits(sessionId, count);
      this.hits.set(sessionId, (this.hits.get(sessionId) ?? 0) - count);
    }));
  }
}`,

    // silent: Object.keys of a record, each task its own route
    `declare function publish(route: string, ms: number): Promise<void>;
const latencyByRoute: Record<string, number> = {};
export async function publishAll() {
  await Promise.all(Object.keys(latencyByRoute).map(async (route) => {
    const ms = latencyByRoute[route] ?? 0;
    await publish(route, ms);
    delete latencyByRoute[route];
  }));
}`,

    // silent: distinct ids through new Set, the key passed to a method
    `interface Profile { id: string; version: number }
declare const api: { profile(id: string): Promise<Profile> };
export class ProfileCache {
  private profiles = new Map<string, Profile>();
  private async refresh(userId: string) {
    const known = this.profiles.get(userId);
    const fresh = await api.profile(userId);
    if (!known || fresh.version > known.version) this.profiles.set(userId, fresh);
  }
  refreshAll(userIds: string[]) {
    return Promise.all([...new Set(userIds)].map((userId) => this.refresh(userId)));
  }
}`,

    // silent: for…of a Set pushes one task per id
    `declare function countOrders(customerId: string): Promise<number>;
const orderCounts = new Map<string, number>();
async function recount(customerId: string) {
  const before = orderCounts.get(customerId) ?? 0;
  const counted = await countOrders(customerId);
  orderCounts.set(customerId, Math.max(before, counted));
}
export async function recountAll(customerIds: Set<string>) {
  const pending: Promise<void>[] = [];
  for (const customerId of customerIds) pending.push(recount(customerId));
  await Promise.all(pending);
}`,
  ],
  invalid: [
    // racy: ids from an array may repeat
    {
      code: `${sessionTypes}
export class HitCounter {
  private hits = new Map<string, number>();
  async flush(sessionIds: string[]) {
    await Promise.all(sessionIds.map(async (sessionId) => {
      const count = this.hits.get(sessionId) ?? 0;
      await store.saveHits(sessionId, count);
      this.hits.set(sessionId, (this.hits.get(sessionId) ?? 0) - count);
    }));
  }
}`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 8,
          column: 21,
          endLine: 10,
          endColumn: 72,
          suggestions: [
            {
              messageId: 'useWithLock',
              data: { name: 'this.hits' },
              output: `import { SafeMap } from 'maprace';

interface Session { id: string; userId: string; hits: number; released: boolean }
declare const store: { saveHits(id: string, hits: number): Promise<void>; close(id: string): Promise<void> };

export class HitCounter {
  private hits = new SafeMap<string, number>();
  async flush(sessionIds: string[]) {
    await Promise.all(sessionIds.map(async (sessionId) => {
      await this.hits.withLock(sessionId, async (view) => {
        const count = view.get(sessionId) ?? 0;
        await store.saveHits(sessionId, count);
        view.set(sessionId, (view.get(sessionId) ?? 0) - count);
      });
    }));
  }
}`,
            },
          ],
        },
      ],
    },

    // racy: the task also writes a total under another key
    {
      code: `declare function publish(route: string, ms: number): Promise<void>;
const latencyByRoute: Record<string, number> = {};
export async function publishAll() {
  await Promise.all(Object.keys(latencyByRoute).map(async (route) => {
    const ms = latencyByRoute[route] ?? 0;
    await publish(route, ms);
    latencyByRoute[route] = 0;
    latencyByRoute['*'] = (latencyByRoute['*'] ?? 0) + ms;
  }));
}`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 5,
          column: 16,
          endLine: 7,
          endColumn: 30,
        },
      ],
    },

    // racy: the tasks are apart, but a request handler records into the same route meanwhile
    {
      code: `declare function publish(route: string, ms: number): Promise<void>;
const latencyByRoute: Record<string, number> = {};
export function observe(route: string, ms: number) {
  latencyByRoute[route] = ms;
}
export async function publishAll() {
  await Promise.all(Object.keys(latencyByRoute).map(async (route) => {
    const ms = latencyByRoute[route] ?? 0;
    await publish(route, ms);
    delete latencyByRoute[route];
  }));
}`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 8,
          column: 16,
          endLine: 10,
          endColumn: 33,
        },
      ],
    },

    // racy: a task clears the map
    {
      code: `interface Profile { id: string; version: number }
declare const api: { profile(id: string): Promise<Profile> };
export class ProfileCache {
  private profiles = new Map<string, Profile>();
  private async refresh(userId: string) {
    const known = this.profiles.get(userId);
    const fresh = await api.profile(userId);
    if (fresh.version < 0) this.profiles.clear();
    if (!known || fresh.version > known.version) this.profiles.set(userId, fresh);
  }
  refreshAll(userIds: string[]) {
    return Promise.all([...new Set(userIds)].map((userId) => this.refresh(userId)));
  }
}`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 6,
          column: 19,
          endLine: 9,
          endColumn: 82,
          suggestions: [
            {
              messageId: 'useWithLock',
              data: { name: 'this.profiles' },
              output: `import { SafeMap } from 'maprace';

interface Profile { id: string; version: number }
declare const api: { profile(id: string): Promise<Profile> };
export class ProfileCache {
  private profiles = new SafeMap<string, Profile>();
  private async refresh(userId: string) {
    await this.profiles.withLock(null, async (view) => {
      const known = view.get(userId);
      const fresh = await api.profile(userId);
      if (fresh.version < 0) view.clear();
      if (!known || fresh.version > known.version) view.set(userId, fresh);
    });
  }
  refreshAll(userIds: string[]) {
    return Promise.all([...new Set(userIds)].map((userId) => this.refresh(userId)));
  }
}`,
            },
          ],
        },
      ],
    },

    // racy: for…of an array
    {
      code: `declare function countOrders(customerId: string): Promise<number>;
const orderCounts = new Map<string, number>();
async function recount(customerId: string) {
  const before = orderCounts.get(customerId) ?? 0;
  const counted = await countOrders(customerId);
  orderCounts.set(customerId, Math.max(before, counted));
}
export async function recountAll(customerIds: string[]) {
  const pending: Promise<void>[] = [];
  for (const customerId of customerIds) pending.push(recount(customerId));
  await Promise.all(pending);
}`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 4,
          column: 18,
          endLine: 6,
          endColumn: 57,
          suggestions: [
            {
              messageId: 'useUpdate',
              data: { name: 'orderCounts' },
              output: `import { SafeMap } from 'maprace';

declare function countOrders(customerId: string): Promise<number>;
const orderCounts = new SafeMap<string, number>();
async function recount(customerId: string) {
  await orderCounts.update(customerId, async (old) => {
    const before = old ?? 0;
    const counted = await countOrders(customerId);
    return Math.max(before, counted);
  });
}
export async function recountAll(customerIds: string[]) {
  const pending: Promise<void>[] = [];
  for (const customerId of customerIds) pending.push(recount(customerId));
  await Promise.all(pending);
}`,
            },
          ],
        },
      ],
    },
  ],
});

// ---- a claim before the await, a re-check after it (promise-all) ----

runBoth('no-unguarded-map-in-promise-all', promiseAll, {
  valid: [
    // silent: the crawler claims the URL before fetching, and gives it back on failure
    `declare function fetchPage(url: string): Promise<string[]>;
const claimed = new Set<string>();
export async function crawl(urls: string[]): Promise<void> {
  await Promise.all(urls.map(async (url) => {
    if (claimed.has(url)) return;
    claimed.add(url);
    try {
      const links = await fetchPage(url);
      await crawl(links);
    } catch (error) {
      claimed.delete(url);
      throw error;
    }
  }));
}`,

    // silent: an in-flight map stores the promise first and is cleared in finally
    `interface Quote { sku: string; price: number }
declare const pricing: { quote(sku: string): Promise<Quote> };
export class QuoteService {
  private inflight = new Map<string, Promise<Quote>>();
  async quote(sku: string): Promise<Quote> {
    const running = this.inflight.get(sku);
    if (running) return running;
    const pending = pricing.quote(sku);
    this.inflight.set(sku, pending);
    try {
      return await pending;
    } finally {
      this.inflight.delete(sku);
    }
  }
  quoteCart(skus: string[]) {
    return Promise.all(skus.map((sku) => this.quote(sku)));
  }
}`,

    // silent: the map is checked again after the load
    `interface Tenant { id: string; plan: string }
declare function loadTenant(id: string): Promise<Tenant>;
declare function audit(id: string): Promise<void>;
const tenants = new Map<string, Tenant>();
export async function warm(ids: string[]) {
  await Promise.all(ids.map(async (id) => {
    if (tenants.has(id)) return;
    const tenant = await loadTenant(id);
    await audit(id);
    if (!tenants.has(id)) tenants.set(id, tenant);
  }));
}`,

    // silent: the stored value keeps what another task put first
    `interface Tenant { id: string; plan: string }
declare function loadTenant(id: string): Promise<Tenant>;
const tenants = new Map<string, Tenant>();
export async function warm(ids: string[]) {
  await Promise.all(ids.map(async (id) => {
    if (tenants.has(id)) return;
    const tenant = await loadTenant(id);
    tenants.set(id, tenants.get(id) ?? tenant);
  }));
}`,
  ],
  invalid: [
    // racy: the URL is claimed once fetched
    {
      code: `declare function fetchPage(url: string): Promise<string[]>;
const claimed = new Set<string>();
export async function crawl(urls: string[]): Promise<void> {
  await Promise.all(urls.map(async (url) => {
    if (claimed.has(url)) return;
    const links = await fetchPage(url);
    claimed.add(url);
    await crawl(links);
  }));
}`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 5,
          column: 9,
          endLine: 7,
          endColumn: 21,
        },
      ],
    },

    // racy: the promise is stored only after it settled
    {
      code: `interface Quote { sku: string; price: number }
declare const pricing: { quote(sku: string): Promise<Quote> };
export class QuoteService {
  private inflight = new Map<string, Promise<Quote>>();
  async quote(sku: string): Promise<Quote> {
    const running = this.inflight.get(sku);
    if (running) return running;
    const quote = await pricing.quote(sku);
    this.inflight.set(sku, Promise.resolve(quote));
    return quote;
  }
  quoteCart(skus: string[]) {
    return Promise.all(skus.map((sku) => this.quote(sku)));
  }
}`,
      errors: [
        {
          messageId: 'duplicateLoad',
          line: 6,
          column: 21,
          endLine: 9,
          endColumn: 51,
          data: {
            kind: 'Map',
            name: 'this.inflight',
            readLine: 6,
            writeLine: 9,
            suspension: 'an await',
            awaitLine: 8,
            source: 'Promise.all tasks',
            writer: 'while other tasks write it',
            advice: 'Store the promise before awaiting, or use SafeMap.getOrCompute. No automatic fix: the section returns or jumps out of its block: wrap it in withLock by hand.',
          },
        },
      ],
    },

    // racy: the re-check tests presence and overwrites
    {
      code: `interface Tenant { id: string; plan: string }
declare function loadTenant(id: string): Promise<Tenant>;
const tenants = new Map<string, Tenant>();
export async function upgrade(ids: string[], plan: string) {
  await Promise.all(ids.map(async (id) => {
    const before = tenants.get(id);
    const tenant = await loadTenant(id);
    if (tenants.has(id)) tenants.set(id, { ...tenant, plan: before?.plan ?? plan });
  }));
}`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 6,
          column: 20,
          endLine: 8,
          endColumn: 84,
          suggestions: [
            {
              messageId: 'useWithLock',
              data: { name: 'tenants' },
              output: `import { SafeMap } from 'maprace';

interface Tenant { id: string; plan: string }
declare function loadTenant(id: string): Promise<Tenant>;
const tenants = new SafeMap<string, Tenant>();
export async function upgrade(ids: string[], plan: string) {
  await Promise.all(ids.map(async (id) => {
    await tenants.withLock(id, async (view) => {
      const before = view.get(id);
      const tenant = await loadTenant(id);
      if (view.has(id)) view.set(id, { ...tenant, plan: before?.plan ?? plan });
    });
  }));
}`,
            },
          ],
        },
      ],
    },
  ],
});

// ---- a claim before the await, a re-check after it (timer) ----

runBoth('no-unguarded-map-in-timer', timer, {
  valid: [
    // silent: the sweeper claims the session object before closing it
    `${sessionTypes}
const sessions = new Map<string, Session>();
setInterval(() => {
  for (const id of [...sessions.keys()]) void expire(id);
}, 60_000);
async function expire(id: string) {
  const session = sessions.get(id);
  if (!session || session.released) return;
  session.released = true;
  await store.close(id);
  sessions.delete(id);
}`,
  ],
  invalid: [
    // racy: the claim is made after the close
    {
      code: `${sessionTypes}
const sessions = new Map<string, Session>();
setInterval(() => {
  for (const id of [...sessions.keys()]) void expire(id);
}, 60_000);
async function expire(id: string) {
  const session = sessions.get(id);
  if (!session || session.released) return;
  await store.close(id);
  session.released = true;
  sessions.delete(id);
}`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 9,
          column: 19,
          endLine: 13,
          endColumn: 22,
          suggestions: [
            {
              messageId: 'useWithLock',
              data: { name: 'sessions' },
              output: `import { SafeMap } from 'maprace';

interface Session { id: string; userId: string; hits: number; released: boolean }
declare const store: { saveHits(id: string, hits: number): Promise<void>; close(id: string): Promise<void> };

const sessions = new SafeMap<string, Session>();
setInterval(() => {
  for (const id of [...sessions.keys()]) void expire(id);
}, 60_000);
async function expire(id: string) {
  await sessions.withLock(id, async (view) => {
    const session = view.get(id);
    if (!session || session.released) return;
    await store.close(id);
    session.released = true;
    view.delete(id);
  });
}`,
            },
          ],
        },
      ],
    },
  ],
});

// ---- re-entrancy flags (timer) ----

runBoth('no-unguarded-map-in-timer', timer, {
  valid: [
    // silent: a job runner whose busy flag lets one tick run at a time
    `interface Job { id: string; attempts: number }
declare const queue: { next(): Promise<Job | undefined>; run(job: Job): Promise<boolean> };
const attempts = new Map<string, number>();
let busy = false;
setInterval(async () => {
  if (busy) return;
  busy = true;
  try {
    const job = await queue.next();
    if (!job) return;
    const tried = attempts.get(job.id) ?? 0;
    const ok = await queue.run(job);
    attempts.set(job.id, ok ? 0 : tried + 1);
  } finally {
    busy = false;
  }
}, 500);`,

    // silent: a heartbeat whose this.busy field serializes its ticks
    `declare function ping(socketId: string): Promise<boolean>;
export class Heartbeat {
  private misses = new Map<string, number>();
  private busy = false;
  start() {
    setInterval(() => void this.tick(), 1000);
  }
  private async tick() {
    if (this.busy) return;
    this.busy = true;
    try {
      for (const socketId of [...this.misses.keys()]) {
        const missed = this.misses.get(socketId) ?? 0;
        const alive = await ping(socketId);
        this.misses.set(socketId, alive ? 0 : missed + 1);
      }
    } finally {
      this.busy = false;
    }
  }
}`,

    // silent: the flag lives in the interval callback, around the call into the work
    `interface Job { id: string }
declare const queue: { next(): Promise<Job | undefined>; run(job: Job): Promise<boolean> };
export class JobRunner {
  private attempts = new Map<string, number>();
  private running = false;
  start() {
    setInterval(async () => {
      if (this.running) return;
      this.running = true;
      try {
        await this.drain();
      } finally {
        this.running = false;
      }
    }, 500);
  }
  private async drain() {
    for (let job = await queue.next(); job; job = await queue.next()) {
      const tried = this.attempts.get(job.id) ?? 0;
      const ok = await queue.run(job);
      this.attempts.set(job.id, ok ? 0 : tried + 1);
    }
  }
}`,
  ],
  invalid: [
    // racy: the flag is reset before the await
    {
      code: `interface Job { id: string; attempts: number }
declare const queue: { next(): Promise<Job | undefined>; run(job: Job): Promise<boolean> };
const attempts = new Map<string, number>();
let busy = false;
setInterval(async () => {
  if (busy) return;
  busy = true;
  const job = await queue.next();
  busy = false;
  if (!job) return;
  const tried = attempts.get(job.id) ?? 0;
  const ok = await queue.run(job);
  attempts.set(job.id, ok ? 0 : tried + 1);
}, 500);`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 11,
          column: 17,
          endLine: 13,
          endColumn: 43,
          suggestions: [
            {
              messageId: 'useUpdate',
              data: { name: 'attempts' },
              output: `import { SafeMap } from 'maprace';

interface Job { id: string; attempts: number }
declare const queue: { next(): Promise<Job | undefined>; run(job: Job): Promise<boolean> };
const attempts = new SafeMap<string, number>();
let busy = false;
setInterval(async () => {
  if (busy) return;
  busy = true;
  const job = await queue.next();
  busy = false;
  if (!job) return;
  await attempts.update(job.id, async (old) => {
    const tried = old ?? 0;
    const ok = await queue.run(job);
    return ok ? 0 : tried + 1;
  });
}, 500);`,
            },
          ],
        },
      ],
    },

    // racy: the flag is checked but never set
    {
      code: `declare function ping(socketId: string): Promise<boolean>;
export class Heartbeat {
  private misses = new Map<string, number>();
  private busy = false;
  start() {
    setInterval(() => void this.tick(), 1000);
  }
  private async tick() {
    if (this.busy) return;
    try {
      for (const socketId of [...this.misses.keys()]) {
        const missed = this.misses.get(socketId) ?? 0;
        const alive = await ping(socketId);
        this.misses.set(socketId, alive ? 0 : missed + 1);
      }
    } finally {
      this.busy = false;
    }
  }
}`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 12,
          column: 24,
          endLine: 14,
          endColumn: 58,
          suggestions: [
            {
              messageId: 'useUpdate',
              data: { name: 'this.misses' },
              output: `import { SafeMap } from 'maprace';

declare function ping(socketId: string): Promise<boolean>;
export class Heartbeat {
  private misses = new SafeMap<string, number>();
  private busy = false;
  start() {
    setInterval(() => void this.tick(), 1000);
  }
  private async tick() {
    if (this.busy) return;
    try {
      for (const socketId of [...this.misses.keys()]) {
        await this.misses.update(socketId, async (old) => {
          const missed = old ?? 0;
          const alive = await ping(socketId);
          return alive ? 0 : missed + 1;
        });
      }
    } finally {
      this.busy = false;
    }
  }
}`,
            },
          ],
        },
      ],
    },

    // racy: the flag serializes the ticks, but a handler writes the map meanwhile
    {
      code: `declare function ping(socketId: string): Promise<boolean>;
export class Heartbeat {
  private misses = new Map<string, number>();
  private busy = false;
  start() {
    setInterval(() => void this.tick(), 1000);
  }
  onPong(socketId: string) {
    this.misses.set(socketId, 0);
  }
  private async tick() {
    if (this.busy) return;
    this.busy = true;
    try {
      for (const socketId of [...this.misses.keys()]) {
        const missed = this.misses.get(socketId) ?? 0;
        const alive = await ping(socketId);
        this.misses.set(socketId, alive ? 0 : missed + 1);
      }
    } finally {
      this.busy = false;
    }
  }
}`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 16,
          column: 24,
          endLine: 18,
          endColumn: 58,
          suggestions: [
            {
              messageId: 'useUpdate',
              data: { name: 'this.misses' },
              output: `import { SafeMap } from 'maprace';

declare function ping(socketId: string): Promise<boolean>;
export class Heartbeat {
  private misses = new SafeMap<string, number>();
  private busy = false;
  start() {
    setInterval(() => void this.tick(), 1000);
  }
  onPong(socketId: string) {
    this.misses.set(socketId, 0);
  }
  private async tick() {
    if (this.busy) return;
    this.busy = true;
    try {
      for (const socketId of [...this.misses.keys()]) {
        await this.misses.update(socketId, async (old) => {
          const missed = old ?? 0;
          const alive = await ping(socketId);
          return alive ? 0 : missed + 1;
        });
      }
    } finally {
      this.busy = false;
    }
  }
}`,
            },
          ],
        },
      ],
    },

    // racy: the flag is reset as soon as the work starts, not when it ends
    {
      code: `interface Job { id: string }
declare const queue: { next(): Promise<Job | undefined>; run(job: Job): Promise<boolean> };
export class JobRunner {
  private attempts = new Map<string, number>();
  private running = false;
  start() {
    setInterval(async () => {
      if (this.running) return;
      this.running = true;
      const drained = this.drain();
      this.running = false;
      await drained;
    }, 500);
  }
  private async drain() {
    for (let job = await queue.next(); job; job = await queue.next()) {
      const tried = this.attempts.get(job.id) ?? 0;
      const ok = await queue.run(job);
      this.attempts.set(job.id, ok ? 0 : tried + 1);
    }
  }
}`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 17,
          column: 21,
          endLine: 19,
          endColumn: 52,
          suggestions: [
            {
              messageId: 'useUpdate',
              data: { name: 'this.attempts' },
              output: `import { SafeMap } from 'maprace';

interface Job { id: string }
declare const queue: { next(): Promise<Job | undefined>; run(job: Job): Promise<boolean> };
export class JobRunner {
  private attempts = new SafeMap<string, number>();
  private running = false;
  start() {
    setInterval(async () => {
      if (this.running) return;
      this.running = true;
      const drained = this.drain();
      this.running = false;
      await drained;
    }, 500);
  }
  private async drain() {
    for (let job = await queue.next(); job; job = await queue.next()) {
      await this.attempts.update(job.id, async (old) => {
        const tried = old ?? 0;
        const ok = await queue.run(job);
        return ok ? 0 : tried + 1;
      });
    }
  }
}`,
            },
          ],
        },
      ],
    },
  ],
});

// ---- re-entrancy flags (worker-message) ----

runBoth('no-unguarded-map-in-worker-message', workerMessage, {
  valid: [
    // silent: a message handler that drops messages while busy
    `import { parentPort } from 'node:worker_threads';
declare function reindex(doc: string): Promise<number>;
const versions = new Map<string, number>();
let indexing = false;
parentPort?.on('message', async (doc: string) => {
  if (indexing) return;
  indexing = true;
  try {
    const version = versions.get(doc) ?? 0;
    await reindex(doc);
    versions.set(doc, version + 1);
  } finally {
    indexing = false;
  }
});`,
  ],
  invalid: [
    // racy: the same handler without the flag
    {
      code: `import { parentPort } from 'node:worker_threads';
declare function reindex(doc: string): Promise<number>;
const versions = new Map<string, number>();
parentPort?.on('message', async (doc: string) => {
  const version = versions.get(doc) ?? 0;
  await reindex(doc);
  versions.set(doc, version + 1);
});`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 5,
          column: 19,
          endLine: 7,
          endColumn: 33,
          suggestions: [
            {
              messageId: 'useUpdate',
              data: { name: 'versions' },
              output: `import { parentPort } from 'node:worker_threads';
import { SafeMap } from 'maprace';
declare function reindex(doc: string): Promise<number>;
const versions = new SafeMap<string, number>();
parentPort?.on('message', async (doc: string) => {
  await versions.update(doc, async (old) => {
    const version = old ?? 0;
    await reindex(doc);
    return version + 1;
  });
});`,
            },
          ],
        },
      ],
    },
  ],
});

// ---- duplicate loads (promise-all) ----

/** The most common cache shape: a miss loads the entry from the key alone and stores it. */
const userDirectory = `interface User { id: string; name: string }
declare const api: { user(id: string): Promise<User> };
export class UserDirectory {
  private users = new Map<string, User>();
  async user(id: string): Promise<User> {
    let user = this.users.get(id);
    if (!user) {
      user = await api.user(id);
      this.users.set(id, user);
    }
    return user;
  }
  team(ids: string[]) {
    return Promise.all(ids.map((id) => this.user(id)));
  }
}`;

runBoth('no-unguarded-map-in-promise-all', promiseAll, {
  valid: [
    // silent with duplicateLoads: 'off': the fill below only repeats a load
    {
      code: userDirectory,
      options: [{ duplicateLoads: 'off' }],
    },
  ],
  invalid: [
    // a fill whose value comes from the key alone: a duplicate load, not a lost update
    {
      code: userDirectory,
      errors: [
        {
          messageId: 'duplicateLoad',
          line: 6,
          column: 16,
          endLine: 9,
          endColumn: 31,
          data: {
            kind: 'Map',
            name: 'this.users',
            readLine: 6,
            writeLine: 9,
            suspension: 'an await',
            awaitLine: 8,
            source: 'Promise.all tasks',
            writer: 'while other tasks write it',
            advice: 'Store the promise before awaiting, or use SafeMap.getOrCompute.',
          },
          suggestions: [
            {
              messageId: 'useGetOrCompute',
              data: { name: 'this.users' },
              output: `import { SafeMap } from 'maprace';

interface User { id: string; name: string }
declare const api: { user(id: string): Promise<User> };
export class UserDirectory {
  private users = new SafeMap<string, User>();
  async user(id: string): Promise<User> {
    const user = await this.users.getOrCompute(id, () => api.user(id));
    return user;
  }
  team(ids: string[]) {
    return Promise.all(ids.map((id) => this.user(id)));
  }
}`,
            },
          ],
        },
      ],
    },

    // a read-modify-write is a lost update, reported with duplicateLoads: 'off' too
    {
      code: `declare const ledger: { delta(account: string): Promise<number> };
const balances = new Map<string, number>();
export const settle = (accounts: string[]) => Promise.all(accounts.map(async (account) => {
  const before = balances.get(account) ?? 0;
  const delta = await ledger.delta(account);
  balances.set(account, before + delta);
}));`,
      options: [{ duplicateLoads: 'off' }],
      errors: [
        {
          messageId: 'readWriteRace',
          line: 4,
          column: 18,
          endLine: 6,
          endColumn: 40,
          suggestions: [
            {
              messageId: 'useUpdate',
              data: { name: 'balances' },
              output: `import { SafeMap } from 'maprace';

declare const ledger: { delta(account: string): Promise<number> };
const balances = new SafeMap<string, number>();
export const settle = (accounts: string[]) => Promise.all(accounts.map(async (account) => {
  await balances.update(account, async (old) => {
    const before = old ?? 0;
    const delta = await ledger.delta(account);
    return before + delta;
  });
}));`,
            },
          ],
        },
      ],
    },

    // a check-then-act that stores another input of the task (the user), not a load of the key: a lost update
    {
      code: `declare function audit(seat: string): Promise<void>;
const holds = new Map<string, string>();
export const book = (user: string, seats: string[]) => Promise.all(seats.map(async (seat) => {
  if (holds.has(seat)) return;
  await audit(seat);
  holds.set(seat, user);
}));`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 4,
          column: 7,
          endLine: 6,
          endColumn: 24,
          suggestions: [
            {
              messageId: 'useGetOrCompute',
              data: { name: 'holds' },
              output: `import { SafeMap } from 'maprace';

declare function audit(seat: string): Promise<void>;
const holds = new SafeMap<string, string>();
export const book = (user: string, seats: string[]) => Promise.all(seats.map(async (seat) => {
  await holds.getOrCompute(seat, async () => {
    await audit(seat);
    return user;
  });
}));`,
            },
          ],
        },
      ],
    },
  ],
});

// ---- duplicate loads (timer) ----

runBoth('no-unguarded-map-in-timer', timer, {
  valid: [

  ],
  invalid: [
    // a fill in a setInterval callback: a duplicate load
    {
      code: `interface Rate { currency: string; value: number }
declare function fetchRate(currency: string): Promise<Rate>;
const rates: Record<string, Rate> = {};
const watched = ['EUR', 'GBP'];
setInterval(async () => {
  for (const currency of watched) {
    if (!(currency in rates)) rates[currency] = await fetchRate(currency);
  }
}, 1000);`,
      errors: [
        {
          messageId: 'duplicateLoad',
          line: 7,
          column: 11,
          endLine: 7,
          endColumn: 74,
          data: {
            kind: 'Record',
            name: 'rates',
            readLine: 7,
            writeLine: 7,
            suspension: 'an await',
            awaitLine: 7,
            source: 'a setInterval callback',
            writer: 'while the next run of the callback, started before this one ends, writes it',
            advice: "Store the promise before awaiting, or use SafeMap.getOrCompute. No automatic fix: 'rates' is a plain object: make it a SafeMap by hand (its property reads and writes become get and set).",
          },
        },
      ],
    },
  ],
});
