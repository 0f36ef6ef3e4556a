/**
 * SafeMap: the shared guarded-map suite (tests/helpers/guarded-map-scenarios.ts) over both
 * stores, then what only a single-store map promises: a Map's insertion order, and a whole-map
 * section that queues behind the sections before it and ahead of those after it.
 */
import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SafeMap } from '../../lib/runtime/safe-map.js';
import { gate, settle } from '../helpers/async.js';
import { describeGuardedMapScenarios } from '../helpers/guarded-map-scenarios.js';

describe.each(['map', 'go'] as const)('SafeMap with store: %s', (store) => {
  describeGuardedMapScenarios({
    label: `SafeMap({ store: '${store}' })`,
    toStringTag: 'SafeMap',
    // A GoMap, like a Go map, starts each loop at a random place.
    insertionOrdered: store === 'map',
    create: (entries) => new SafeMap(entries, { store }),
    construct: (...args) => new SafeMap(...(args as [])),
  });
});

// with the default store, a SafeMap is a Map in every synchronous respect, order included
describe('SafeMap with the default store', () => {
  it('iterates in insertion order, exactly as a Map does', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 20 })), { maxLength: 80 }), (ops) => {
        const reference = new Map<number, number>();
        const map = new SafeMap<number, number>();
        for (const [isSet, key] of ops) {
          if (isSet) {
            reference.set(key, key * 2);
            map.set(key, key * 2);
          } else {
            reference.delete(key);
            map.delete(key);
          }
        }
        expect([...map]).toEqual([...reference]);
        expect([...map.keys()]).toEqual([...reference.keys()]);
      }),
    );
  });

  it('takes its options as the only argument, or after the entries', () => {
    expect(new SafeMap({ store: 'go' }).size).toBe(0);
    expect([...new SafeMap([['a', 1]], { name: 'users' })]).toEqual([['a', 1]]);
  });

  it('shows in util.inspect as a Map named SafeMap', () => {
    expect(inspect(new SafeMap([['a', 1]]))).toBe("SafeMap(1) { 'a' => 1 }");
  });

  // what a developer sees in the terminal: Go's text first, then the cause naming the map and key
  it('names the map and the key in the cause of a plain set inside its own section, as Node prints it', async () => {
    const sessions = new SafeMap<string, { hits: number }>([['sid-42', { hits: 1 }]], { name: 'sessions' });
    let thrown: unknown;
    await sessions.withLock('sid-42', (view) => {
      try {
        sessions.set('sid-42', { hits: 2 });
      } catch (error) {
        thrown = error;
      }
      view.set('sid-42', { hits: 3 });
    });
    expect(thrown).toMatchObject({ name: 'ConcurrentMapError', message: 'concurrent map writes', mapName: "SafeMap 'sessions'", key: 'sid-42' });
    const printed = inspect(thrown);
    expect(printed).toMatch(/^ConcurrentMapError: concurrent map writes\n/u);
    expect(printed).toContain(
      "[cause]: Error: SafeMap 'sessions': a plain set() of key 'sid-42' inside a section of this task",
    );
    expect(printed).toContain("write through the section's view: view.set(key, value)");
    expect(sessions.get('sid-42')).toEqual({ hits: 3 });
  });
});

// one store, one queue: a whole-map section keeps its place in line between key sections
describe('SafeMap whole-map sections are first come, first served', () => {
  it('runs a key section that asked after a waiting whole-map section only after it', async () => {
    const map = new SafeMap([['a', 0], ['b', 0]]);
    const log: string[] = [];
    const holdA = gate();
    const a = map.withLock('a', async () => {
      log.push('a in');
      await holdA.promise;
      log.push('a out');
    });
    const whole = map.withLock(null, () => void log.push('whole'));
    const b = map.withLock('b', () => void log.push('b'));
    await settle();
    expect(log).toEqual(['a in']);
    holdA.open();
    await Promise.all([a, whole, b]);
    expect(log).toEqual(['a in', 'a out', 'whole', 'b']);
  });
});
