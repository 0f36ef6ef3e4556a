/**
 * Precision on real code, decisions that are not stale: a read decides a write made after an
 * await or in a `.then` callback, yet nothing is lost, because
 * - the task wrote the entry in the read's own synchronous step (the count is taken before the
 *   password is checked, the stock before the reservation is written) and the later write uses
 *   nothing it read;
 * - the claim of the key is made after the `.then` call, still in the same synchronous step;
 * - a read made in the callback decides the write again.
 * Each silent shape sits beside its racy twin, which is still reported. Run with and without
 * type information.
 */
import asyncEntry from '../../lib/rules/no-unguarded-map-in-async-entry.js';
import promiseAll from '../../lib/rules/no-unguarded-map-in-promise-all.js';
import { runBoth } from '../helpers/rule-tester.js';

const express = `declare const app: { post(path: string, handler: (req: any, res: any) => Promise<unknown>): void; use(handler: (req: any, res: any, next: (error?: unknown) => void) => void): void };
declare function verifyPassword(user: string, password: string): Promise<boolean>;
`;

const loginRoute = (beforeVerify: string, onFailure: string) => `${express}
const failedLogins = new Map<string, number>();
app.post('/api/login', async (req, res) => {
  const failures = failedLogins.get(req.body.username) ?? 0;
  if (failures >= 5) return res.status(423).end();${beforeVerify}
  const ok = await verifyPassword(req.body.username, req.body.password);
  if (!ok) {${onFailure}
    return res.status(401).end();
  }
  failedLogins.delete(req.body.username);
  return res.json({ ok: true });
});`;

const stockListener = (beforePersist: string) => `declare const bus: { on(event: string, listener: (order: { id: string; sku: string; quantity: number }) => Promise<void>): void };
declare function persistReservation(id: string, sku: string, quantity: number): Promise<void>;
const available = new Map<string, number>();
function restock(sku: string, quantity: number) {
  available.set(sku, (available.get(sku) ?? 0) + quantity);
}
bus.on('order.paid', async (order) => {
  const inStock = available.get(order.sku) ?? 0;
  if (inStock < order.quantity) return;${beforePersist}
});`;

const sessionMiddleware = (persist: string) => `${express}
interface Session { expiresAt: number; pages: number }
declare function persistSession(id: string): Promise<void>;
const sessions = new Map<string, Session>();
app.use((req, _res, next) => {
  const id: string = req.headers['x-session-id'];
  ${persist}
});`;

runBoth('no-unguarded-map-in-async-entry', asyncEntry, {
  valid: [
    // silent: the failed attempt is counted in the read's own step; the delete after the await uses nothing read
    loginRoute(`
  failedLogins.set(req.body.username, failures + 1);`, ''),

    // silent: the units are taken before the await; the catch gives them back with a fresh read
    stockListener(`
  available.set(order.sku, inStock - order.quantity);
  try {
    await persistReservation(order.id, order.sku, order.quantity);
  } catch (error) {
    restock(order.sku, order.quantity);
    throw error;
  }`),

    // silent: the .then callback reads the session again and writes what it read
    sessionMiddleware(`if (!sessions.has(id)) return next();
  persistSession(id).then(() => {
    const session = sessions.get(id);
    if (session) sessions.set(id, { ...session, pages: session.pages + 1 });
    next();
  }, next);`),
  ],
  invalid: [
    // reported: the count read before the await is written back after it
    {
      code: loginRoute('', `
    failedLogins.set(req.body.username, failures + 1);`),
      errors: [{ messageId: 'readWriteRace', line: 6, column: 20 }],
    },
    // reported: the stock read before the await is written after it
    {
      code: stockListener(`
  await persistReservation(order.id, order.sku, order.quantity);
  available.set(order.sku, inStock - order.quantity);`),
      errors: [
        {
          messageId: 'readWriteRace',
          line: 8,
          column: 19,
          suggestions: [
            {
              messageId: 'useUpdate',
              output: `import { SafeMap } from 'maprace';

declare const bus: { on(event: string, listener: (order: { id: string; sku: string; quantity: number }) => Promise<void>): void };
declare function persistReservation(id: string, sku: string, quantity: number): Promise<void>;
const available = new SafeMap<string, number>();
function restock(sku: string, quantity: number) {
  available.set(sku, (available.get(sku) ?? 0) + quantity);
}
bus.on('order.paid', async (order) => {
  await available.update(order.sku, async (old) => {
    const inStock = old ?? 0;
    if (inStock < order.quantity) return old;
    await persistReservation(order.id, order.sku, order.quantity);
    return inStock - order.quantity;
  });
});`,
            },
          ],
        },
      ],
    },
    // reported: the session read before the .then is written back in it
    {
      code: sessionMiddleware(`const session = sessions.get(id);
  if (!session) return next();
  persistSession(id).then(() => {
    sessions.set(id, { ...session, pages: session.pages + 1 });
    next();
  }, next);`),
      errors: [{ messageId: 'readWriteRace', line: 9, column: 19 }],
    },
  ],
});

const priceService = (priceOf: string) => `interface PriceEntry { price: number; expiresAt: number; hits: number }
declare function fetchPrice(sku: string): Promise<number>;
export class QuoteService {
  private readonly cache = new Map<string, PriceEntry>();
  private readonly refreshing = new Map<string, Promise<number>>();
  private priceOf(sku: string): Promise<number> {
    const entry = this.cache.get(sku);
    if (entry && entry.expiresAt > Date.now()) return Promise.resolve(entry.price);${priceOf}
  }
  async quote(skus: string[]) {
    const prices = await Promise.all(skus.map((sku) => this.priceOf(sku)));
    return prices.reduce((sum, price) => sum + price, 0);
  }
}`;

runBoth('no-unguarded-map-in-promise-all', promiseAll, {
  valid: [
    // silent: the refresh is claimed right after the .then call, before any callback runs
    priceService(`
    let refresh = this.refreshing.get(sku);
    if (!refresh) {
      refresh = fetchPrice(sku)
        .then((price) => {
          this.cache.set(sku, { price, expiresAt: Date.now() + 60_000, hits: (this.cache.get(sku)?.hits ?? 0) + 1 });
          return price;
        })
        .finally(() => this.refreshing.delete(sku));
      this.refreshing.set(sku, refresh);
    }
    return refresh;`),
  ],
  invalid: [
    // reported: no claim, and the hit count read before the fetch is written back in the callback
    {
      code: priceService(`
    return fetchPrice(sku).then((price) => {
      this.cache.set(sku, { price, expiresAt: Date.now() + 60_000, hits: (entry?.hits ?? 0) + 1 });
      return price;
    });`),
      errors: [{ messageId: 'readWriteRace', line: 7, column: 19 }],
    },
  ],
});
