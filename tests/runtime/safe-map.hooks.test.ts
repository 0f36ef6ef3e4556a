/**
 * The storage behind re-entry detection is switched on only while some section holds or waits for
 * a lock (on Node 20 an enabled AsyncLocalStorage keeps promise hooks on for the whole process),
 * and off at the next turn of the event loop after the last hold ends. These tests read the switch
 * through a seam (heldSectionsTracking) and check that re-entry is refused as before on every use
 * after a switch-off. They time nothing: bench/safe-map-hooks.bench.js measures what it saves.
 *
 * A file of its own, so that the first test sees the process before any lock was taken.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { SafeMapError } from '../../lib/runtime/errors.js';
import { currentHeldSections, heldSectionsTracking, SafeMap } from '../../lib/runtime/safe-map.js';
import { ShardedMap } from '../../lib/runtime/sharded-map.js';
import { gate, rejectionOf, settle, sleep, withinWatchdog } from '../helpers/async.js';

async function expectReentry(promise: Promise<unknown>): Promise<void> {
  const error = await withinWatchdog('a re-entrant lock request', rejectionOf(promise), 2000);
  expect(error).toBeInstanceOf(SafeMapError);
  expect((error as SafeMapError).code).toBe('ERR_LOCK_REENTRY');
}

/** Waits for the turn of the event loop that switches tracking off, and checks that it did. */
async function expectSwitchedOff(): Promise<void> {
  await settle();
  expect(heldSectionsTracking()).toMatchObject({ tracking: false, liveHolds: 0 });
}

// the first use of the process: nothing is switched on by maps that never lock
describe('before any lock is taken', () => {
  it('leaves the storage off through plain Map use and getOrCompute of a present key', async () => {
    const map = new SafeMap([['a', 1]]);
    map.set('b', 2);
    map.delete('b');
    expect([...map]).toEqual([['a', 1]]);
    await expect(map.getOrCompute('a', () => 9)).resolves.toBe(1);
    expect(heldSectionsTracking()).toEqual({ tracking: false, liveHolds: 0, starts: 0 });
  });
});

describe.each([
  ['SafeMap', <V>(entries: [string, V][]) => new SafeMap<string, V>(entries)],
  ['ShardedMap', <V>(entries: [string, V][]) => new ShardedMap<string, V>(entries, { shards: 4 })],
] as const)('%s: the storage is on only while a lock is held or waited for', (_label, create) => {
  // on while the section runs, off at the next turn after it ended
  it('switches on for a section and off at the next turn of the event loop after it', async () => {
    await expectSwitchedOff();
    const map = create([['k', 1]]);
    const { starts } = heldSectionsTracking();
    const inside = gate();
    const section = map.withLock('k', async (view) => {
      await inside.promise;
      view.set('k', 2);
    });
    expect(heldSectionsTracking()).toEqual({ tracking: true, liveHolds: 1, starts: starts + 1 });
    inside.open();
    await section;
    // ended, but switched off only at the next turn: a loop of sections switches once
    expect(heldSectionsTracking()).toMatchObject({ tracking: true, liveHolds: 0 });
    await expectSwitchedOff();
    expect(map.get('k')).toBe(2);
  });

  // a loop of awaited sections in one turn of the event loop switches on once, not per section
  it('switches on once for a loop of sections in one turn of the event loop', async () => {
    await expectSwitchedOff();
    const map = create([['n', 0]]);
    const { starts } = heldSectionsTracking();
    for (let i = 0; i < 50; i++) await map.update('n', (n) => n! + 1);
    expect(heldSectionsTracking()).toMatchObject({ tracking: true, liveHolds: 0, starts: starts + 1 });
    await expectSwitchedOff();
    expect(map.get('n')).toBe(50);
  });

  // waiters count until granted or given up: a timed-out or aborted wait leaves no hold behind
  it('counts waiters as holds until they are granted or give up', async () => {
    await expectSwitchedOff();
    const map = create([['k', 1]]);
    const hold = gate();
    const holder = map.withLock('k', () => hold.promise);
    const timedOut = map.update('k', (n) => n! + 1, { timeout: 1 });
    const controller = new AbortController();
    const aborted = map.withLock('k', () => 0, { signal: controller.signal });
    const granted = map.update('k', (n) => n! + 10);
    expect(heldSectionsTracking()).toMatchObject({ tracking: true, liveHolds: 4 });
    await expect(timedOut).rejects.toMatchObject({ code: 'ERR_LOCK_TIMEOUT' });
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'ERR_LOCK_ABORTED' });
    expect(heldSectionsTracking()).toMatchObject({ tracking: true, liveHolds: 2 });
    hold.open();
    await holder;
    await expect(granted).resolves.toBe(11);
    await expectSwitchedOff();
  });

  // a handle is a hold from lock() to release, across as many turns as it likes
  it('stays on across turns while a handle is held, whatever other sections start and end', async () => {
    await expectSwitchedOff();
    const map = create([['k', 1]]);
    const other = create([['x', 1]]);
    await withinWatchdog(
      'a handle held across turns',
      (async () => {
        using lock = await map.lock('k');
        await other.update('x', (n) => n! + 1); // another hold begins and ends meanwhile
        await nextTurn();
        await sleep(1);
        expect(heldSectionsTracking()).toMatchObject({ tracking: true, liveHolds: 1 });
        await expectReentry(map.update('k', (n) => n! + 1));
        await expectReentry(Promise.all([map.withLock('y', () => 0)]));
        lock.view.set('k', 2);
      })(),
    );
    await expectSwitchedOff();
    expect(map.get('k')).toBe(2);
  });

  // the point of the switch: what was detected before the first switch-off is detected after it
  it('refuses re-entry on the uses after a switch-off, sections and handles alike', async () => {
    const map = create([['k', 1]]);
    for (let round = 0; round < 3; round++) {
      await expectSwitchedOff();
      const { starts } = heldSectionsTracking();
      await map.withLock('k', async (view) => {
        await sleep(0);
        await expectReentry(map.update('k', (n) => n! + 1));
        // tasks the section starts belong to it: a timer's callback included
        await expectReentry(new Promise((resolve, reject) => setTimeout(() => map.withLock('z', () => 0).then(resolve, reject), 0)));
        view.set('k', view.get('k')! + 1);
      });
      await expectSwitchedOff();
      await withinWatchdog(
        'a handle after a switch-off',
        (async () => {
          await using lock = await map.lock('k');
          await expectReentry(map.lock('other'));
          lock.view.set('k', lock.view.get('k')! + 1);
        })(),
      );
      expect(heldSectionsTracking().starts).toBe(starts + 2);
    }
    expect(map.get('k')).toBe(7);
  });

  // Switching on must happen in lock(), before its promise is made: a continuation of an await made
  // while the hooks were off is not tracked, and marking it would mark a context siblings share.
  it('marks only the holder when a handle is the first lock after a switch-off', async () => {
    await expectSwitchedOff();
    const map = create([['a', 0], ['b', 0]]);
    const holderDone = gate();
    const [, sibling] = await withinWatchdog(
      'a holder and a sibling task',
      Promise.all([
        (async () => {
          using lock = await map.lock('a');
          lock.view.set('a', 1);
          await holderDone.promise;
        })(),
        (async () => {
          await null;
          await null;
          const updated = await map.update('b', () => 2);
          holderDone.open();
          return updated;
        })(),
      ]),
    );
    expect(sibling).toBe(2);
    expect(Object.fromEntries(map.snapshot())).toEqual({ a: 1, b: 2 });
  });

  // disable() really exits the stores: a context that held a handle lists nothing once off
  it('leaves no store visible once switched off, where a released one was listed before', async () => {
    await expectSwitchedOff();
    const map = create([['k', 1]]);
    await withinWatchdog(
      'a context that held a handle',
      (async () => {
        {
          using lock = await map.lock('k');
          lock.view.set('k', 2);
          expect(currentHeldSections()).toBe(1);
        }
        expect(currentHeldSections()).toBe(1); // released, still listed (and skipped)
        await expectSwitchedOff();
        expect(currentHeldSections()).toBe(0);
        // and the next lock of this same context is a lock like any other
        await expect(map.update('k', (n) => n! + 1)).resolves.toBe(3);
      })(),
    );
  });
});
