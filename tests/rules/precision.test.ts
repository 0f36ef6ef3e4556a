/**
 * Precision, through the rules: code that looks racy but is not (a key claimed before the await,
 * an await on another branch, a constructor's seed, one race read twice) stays silent or is
 * reported once, each beside the closest code that is a race and is reported; and tasks the
 * rules must see (promises pushed through a variable, methods of objects and instances of the
 * file, a namespace import of timers/promises, a message handler that starts async work, a
 * callback given to a retry helper or a transaction) are seen. Run with and without type
 * information.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import tsParser from '@typescript-eslint/parser';
import { ESLint, Linter } from 'eslint';
import { describe, expect, it } from 'vitest';
import plugin from '../../lib/index.js';

const fixtureRoot = fileURLToPath(new URL('../fixtures/rule-tester', import.meta.url));
// The rules whose tasks the file starts itself. The entry rule assumes every exported async
// function runs concurrently with itself (so most silent cases here would be its races): its
// pairs are in no-unguarded-map-in-async-entry.test.ts.
const inFileRules = Object.keys(plugin.rules).filter((name) => name !== 'no-unguarded-map-in-async-entry');
const rules = Object.fromEntries(inFileRules.map((name) => [`maprace/${name}`, 'error' as const]));
const config = (typed: boolean): Linter.Config[] => [
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tsParser, parserOptions: typed ? { projectService: true, tsconfigRootDir: fixtureRoot } : {} },
    plugins: { maprace: plugin as never },
    rules,
  },
];
const linter = new Linter({ configType: 'flat' });
let typedLinter: ESLint | undefined;

/** The reports of the three rules on code: `line:column-endLine:endColumn rule/messageId`. */
async function reports(code: string, typed: boolean): Promise<string[]> {
  let messages: Linter.LintMessage[];
  if (typed) {
    typedLinter ??= new ESLint({ cwd: fixtureRoot, overrideConfigFile: true, overrideConfig: config(true) });
    [{ messages }] = (await typedLinter.lintText(code, { filePath: path.join(fixtureRoot, 'file.ts') })) as [ESLint.LintResult];
  } else {
    messages = linter.verify(code, config(false), 'file.ts');
  }
  expect(messages.filter((message) => message.fatal)).toEqual([]);
  return messages.map((m) => `${m.line}:${m.column}-${m.endLine}:${m.endColumn} ${m.ruleId!.replace('maprace/no-unguarded-map-in-', '')}/${m.messageId}`);
}

interface Pair {
  name: string;
  /** Not a race: silent. */
  silent: string;
  /** The closest race: reported. */
  racy: string;
  expected: string[];
}

const notRaces: Pair[] = [
  {
    name: 'a key claimed before the await, against a claim made after it',
    silent: `declare function crawl(url: string): Promise<void>;
const visiting = new Set<string>();
export const crawlAll = (urls: string[]) => Promise.all(urls.map(async (url) => {
  if (visiting.has(url)) return;
  visiting.add(url);
  await crawl(url);
  visiting.delete(url);
}));`,
    racy: `declare function crawl(url: string): Promise<void>;
const visiting = new Set<string>();
export const crawlAll = (urls: string[]) => Promise.all(urls.map(async (url) => {
  if (visiting.has(url)) return;
  await crawl(url);
  visiting.add(url);
}));`,
    expected: ['4:7-6:20 promise-all/readWriteRace'],
  },
  {
    name: 'an in-progress claim guarding the result map, against the same check without the claim',
    silent: `declare function render(id: string): Promise<string>;
const inProgress = new Set<string>();
const pages = new Map<string, string>();
export const renderAll = (ids: string[]) => Promise.all(ids.map(async (id) => {
  if (inProgress.has(id) || pages.has(id)) return;
  inProgress.add(id);
  try {
    pages.set(id, await render(id));
  } finally {
    inProgress.delete(id);
  }
}));`,
    racy: `declare function render(id: string): Promise<string>;
const pages = new Map<string, string>();
export const renderAll = (ids: string[]) => Promise.all(ids.map(async (id) => {
  if (pages.has(id)) return;
  pages.set(id, await render(id));
}));`,
    expected: ['4:7-5:34 promise-all/duplicateLoad'],
  },
  {
    name: 'an await on the branch that does not read, against an await after both branches',
    silent: `declare function loadScore(id: string): Promise<number>;
const scores = new Map<string, number>();
export const scoreAll = (ids: string[], incremental: boolean) => Promise.all(ids.map(async (id) => {
  let score: number;
  if (incremental) {
    score = (scores.get(id) ?? 0) + 1;
  } else {
    score = await loadScore(id);
  }
  scores.set(id, score);
}));`,
    racy: `declare function loadScore(id: string): Promise<number>;
const scores = new Map<string, number>();
export const scoreAll = (ids: string[], incremental: boolean) => Promise.all(ids.map(async (id) => {
  let score: number;
  if (incremental) {
    score = (scores.get(id) ?? 0) + 1;
  } else {
    score = 0;
  }
  await loadScore(id);
  scores.set(id, score);
}));`,
    expected: ['6:14-11:24 promise-all/readWriteRace'],
  },
  {
    name: "a constructor's seed of its own state, against a method that overrides it",
    silent: `declare function fetchRate(currency: string): Promise<number>;
export class RateCache {
  private rates = new Map<string, number>();
  constructor() {
    this.rates.set('EUR', 1);
    setTimeout(() => this.refresh(), 0);
  }
  private async refresh() {
    const previous = this.rates.get('EUR') ?? 1;
    const next = await fetchRate('EUR');
    this.rates.set('EUR', (previous + next) / 2);
  }
}`,
    racy: `declare function fetchRate(currency: string): Promise<number>;
export class RateCache {
  private rates = new Map<string, number>();
  constructor() {
    this.rates.set('EUR', 1);
    setTimeout(() => this.refresh(), 0);
  }
  private async refresh() {
    const previous = this.rates.get('EUR') ?? 1;
    const next = await fetchRate('EUR');
    this.rates.set('EUR', (previous + next) / 2);
  }
  override(rate: number) {
    this.rates.set('EUR', rate);
  }
}`,
    expected: ['9:22-11:49 timer/readWriteRace'],
  },
  {
    name: 'two instances of a class, against the one instance every task uses',
    silent: `declare function fetchCount(id: string): Promise<number>;
class Counter {
  private counts = new Map<string, number>();
  async bump(id: string) {
    const count = this.counts.get(id) ?? 0;
    const extra = await fetchCount(id);
    this.counts.set(id, count + extra);
  }
}
const primary = new Counter();
const replica = new Counter();
export const bumpBoth = (id: string) => Promise.all([primary.bump(id), replica.bump(id)]);`,
    racy: `declare function fetchCount(id: string): Promise<number>;
class Counter {
  private counts = new Map<string, number>();
  async bump(id: string) {
    const count = this.counts.get(id) ?? 0;
    const extra = await fetchCount(id);
    this.counts.set(id, count + extra);
  }
}
const counter = new Counter();
export const bumpAll = (ids: string[]) => Promise.all(ids.map((id) => counter.bump(id)));`,
    expected: ['5:19-7:39 promise-all/readWriteRace'],
  },
];

const tasks: Pair[] = [
  {
    name: 'promises pushed through a variable in a loop, against the same calls awaited in turn',
    silent: `declare function fetchDelta(id: string): Promise<number>;
const counts = new Map<string, number>();
async function bump(id: string) {
  const count = counts.get(id) ?? 0;
  const delta = await fetchDelta(id);
  counts.set(id, count + delta);
}
export async function bumpAll(ids: string[]) {
  for (const id of ids) {
    const pending = bump(id);
    await pending;
  }
}`,
    racy: `declare function fetchDelta(id: string): Promise<number>;
const counts = new Map<string, number>();
async function bump(id: string) {
  const count = counts.get(id) ?? 0;
  const delta = await fetchDelta(id);
  counts.set(id, count + delta);
}
export async function bumpAll(ids: string[]) {
  const pending: Promise<void>[] = [];
  for (const id of ids) {
    const bumped = bump(id);
    pending.push(bumped);
  }
  await Promise.all(pending);
}`,
    expected: ['4:17-6:32 promise-all/readWriteRace'],
  },
  {
    name: 'a method of an object literal, against the same method called for one id',
    silent: `declare function fetchDelta(id: string): Promise<number>;
const counts = new Map<string, number>();
const service = {
  async bump(id: string) {
    const count = counts.get(id) ?? 0;
    const delta = await fetchDelta(id);
    counts.set(id, count + delta);
  },
};
export const bumpOne = (id: string) => Promise.all([service.bump(id)]);`,
    racy: `declare function fetchDelta(id: string): Promise<number>;
const counts = new Map<string, number>();
const service = {
  async bump(id: string) {
    const count = counts.get(id) ?? 0;
    const delta = await fetchDelta(id);
    counts.set(id, count + delta);
  },
};
export const bumpAll = (ids: string[]) => Promise.all(ids.map((id) => service.bump(id)));`,
    expected: ['5:19-7:34 promise-all/readWriteRace'],
  },
  {
    name: 'a namespace import of timers/promises, against a ticker of another module',
    silent: `declare const ticker: { setInterval(ms: number): AsyncIterable<void> };
declare function fetchRate(currency: string): Promise<number>;
const rates = new Map<string, number>();
export function override(rate: number) { rates.set('EUR', rate); }
export async function poll() {
  for await (const _ of ticker.setInterval(1000)) {
    const previous = rates.get('EUR') ?? 1;
    const next = await fetchRate('EUR');
    rates.set('EUR', (previous + next) / 2);
  }
}`,
    racy: `import timers from 'node:timers/promises';
declare function fetchRate(currency: string): Promise<number>;
const rates = new Map<string, number>();
export function override(rate: number) { rates.set('EUR', rate); }
export async function poll() {
  for await (const _ of timers.setInterval(1000)) {
    const previous = rates.get('EUR') ?? 1;
    const next = await fetchRate('EUR');
    rates.set('EUR', (previous + next) / 2);
  }
}`,
    expected: ['7:22-9:44 timer/readWriteRace'],
  },
  {
    name: 'a synchronous message handler that starts async work, against one that updates in place',
    silent: `import { parentPort } from 'node:worker_threads';
const progress = new Map<string, number>();
parentPort?.on('message', (msg: { id: string; bytes: number }) => {
  const done = progress.get(msg.id) ?? 0;
  progress.set(msg.id, done + msg.bytes);
});`,
    racy: `import { parentPort } from 'node:worker_threads';
declare function resize(id: string): Promise<number>;
const progress = new Map<string, number>();
async function work(id: string) {
  const done = progress.get(id) ?? 0;
  const bytes = await resize(id);
  progress.set(id, done + bytes);
}
parentPort?.on('message', (msg: { id: string }) => {
  void work(msg.id);
});`,
    expected: ['5:16-7:33 worker-message/readWriteRace'],
  },
  {
    name: 'a callback given to a transaction helper, against the same helper run for one id',
    silent: `declare const db: { transaction<T>(fn: (tx: { query(sql: string): Promise<number> }) => Promise<T>): Promise<T> };
const balances = new Map<string, number>();
export const applyOne = (account: string) => db.transaction(async (tx) => {
  const before = balances.get(account) ?? 0;
  const delta = await tx.query('select delta');
  balances.set(account, before + delta);
});`,
    racy: `declare const db: { transaction<T>(fn: (tx: { query(sql: string): Promise<number> }) => Promise<T>): Promise<T> };
const balances = new Map<string, number>();
export const applyAll = (accounts: string[]) => Promise.all(accounts.map((account) => db.transaction(async (tx) => {
  const before = balances.get(account) ?? 0;
  const delta = await tx.query('select delta');
  balances.set(account, before + delta);
})));`,
    expected: ['4:18-6:40 promise-all/readWriteRace'],
  },
];

describe.each([
  ['without type information', false],
  ['with type information', true],
])('precision %s', (_, typed) => {
  describe('not races', () => {
    it.each(notRaces)('silent: $name', async ({ silent }) => {
      expect(await reports(silent, typed)).toEqual([]);
    });
    it.each(notRaces)('reported: $name', async ({ racy, expected }) => {
      expect(await reports(racy, typed)).toEqual(expected);
    });

    it('reports one race read twice once, from its first read', async () => {
      const code = `declare function audit(key: string): Promise<void>;
const quotas = new Map<string, number>();
export const spendAll = (keys: string[]) => Promise.all(keys.map(async (key) => {
  if (quotas.has(key)) {
    const left = quotas.get(key)!;
    await audit(key);
    quotas.set(key, left - 1);
  }
}));`;
      expect(await reports(code, typed)).toEqual(['4:7-7:30 promise-all/readWriteRace']);
    });
  });

  describe('tasks the rules see', () => {
    it.each(tasks)('silent: $name', async ({ silent }) => {
      expect(await reports(silent, typed)).toEqual([]);
    });
    it.each(tasks)('reported: $name', async ({ racy, expected }) => {
      expect(await reports(racy, typed)).toEqual(expected);
    });
  });
});
