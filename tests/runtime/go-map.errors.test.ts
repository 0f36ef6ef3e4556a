// Go's concurrent-access checks: GoMap raises Go's errors when an access begins while a write to
// the same map is in progress (here, re-entered from a hasher), and stays consistent afterwards.
import { describe, expect, it } from 'vitest';
import { ConcurrentMapError } from '../../lib/runtime/errors.js';
import { GoMap, NilMapError } from '../../lib/runtime/go-map.js';

const identityHash = (key: number) => BigInt(key) * 0x9e3779b97f4a7c15n;

/** A map in the middle of a grow whose hasher, once armed, runs `reenter` while evacuating. */
function growingMapWithHook(reenter: (map: GoMap<number, number>) => void) {
  let armed = false;
  const map: GoMap<number, number> = new GoMap<number, number>({
    name: 'sessions',
    hasher: (key) => {
      if (armed && key < 27) { // an old entry being evacuated, not the key being set
        armed = false;
        reenter(map);
      }
      return identityHash(key);
    },
  });
  // 26 entries fill B=2; the 27th starts a grow to B=3 that evacuates 2 of the 4 old buckets.
  for (let k = 0; k < 27; k++) map.set(k, k);
  expect(map.debug().growing).toBe(true);
  return { map, arm: () => (armed = true) };
}

describe('concurrent access while a write is in progress', () => {
  it.each([
    ['a read', (m: GoMap<number, number>) => m.get(1), 'concurrent map read and map write', 'ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE'],
    ['a write', (m: GoMap<number, number>) => m.set(99, 99), 'concurrent map writes', 'ERR_CONCURRENT_MAP_WRITES'],
    ['a delete', (m: GoMap<number, number>) => m.delete(2), 'concurrent map writes', 'ERR_CONCURRENT_MAP_WRITES'],
    ['an iteration step', (m: GoMap<number, number>) => [...m.keys()], 'concurrent map iteration and map write', 'ERR_CONCURRENT_MAP_ITERATION_AND_MAP_WRITE'],
  ])('%s from inside a write throws Go\'s error', (_, reenter, message, code) => {
    const { map, arm } = growingMapWithHook(reenter);
    arm();
    let thrown: unknown;
    try {
      map.set(100, 100); // its growWork evacuates old buckets, hashing their keys
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConcurrentMapError);
    expect(thrown).toMatchObject({ message, code, mapName: 'sessions' });
  });

  it('leaves the map consistent and usable after the error', () => {
    const { map, arm } = growingMapWithHook((m) => m.get(1));
    arm();
    expect(() => map.set(100, 100)).toThrow('concurrent map read and map write');
    expect(map.debug().flags & 4).toBe(0); // hashWriting is clear again
    expect(new Map(map)).toEqual(new Map(Array.from({ length: 27 }, (_, k) => [k, k])));
    map.set(100, 100);
    expect(map.get(100)).toBe(100);
    expect(map.size).toBe(28);
  });
});

describe('holdWriting: a write held by hand across an await', () => {
  it('makes every access during the hold fail as Go does, and releases once', async () => {
    const map = new GoMap<string, number>([['a', 1]], { name: 'hits' });
    const release = map.holdWriting('a');
    await Promise.resolve(); // another task runs while the write is held
    // Go's text and code, and (see below) a pointer to the hold
    expect(() => map.get('a')).toThrow(
      expect.objectContaining({
        name: 'ConcurrentMapError',
        message: 'concurrent map read and map write',
        code: 'ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE',
        mapName: 'hits',
        key: 'a',
        heldBy: expect.objectContaining({ key: 'a' }),
      }),
    );
    expect(() => map.set('a', 2)).toThrow('concurrent map writes');
    expect(() => [...map]).toThrow('concurrent map iteration and map write');
    expect(() => map.holdWriting('a')).toThrow('concurrent map writes');
    release();
    release();
    map.set('a', 2);
    expect(map.get('a')).toBe(2);
  });
});

// A hold whose release function never runs must not leave the map unusable without a word: the
// errors keep Go's text but point at the hold, and releaseWriting() is the way out.
describe('a holdWriting() whose release function was lost', () => {
  /** Takes a hold and drops its release function, as a forgotten `finally` would. */
  function countVisitForgettingTheRelease(map: GoMap<string, number>): void {
    map.holdWriting('/home');
  }

  it.each([
    ['a read', (m: GoMap<string, number>) => m.get('/home'), 'ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE', 'concurrent map read and map write'],
    ['a write', (m: GoMap<string, number>) => m.set('/about', 1), 'ERR_CONCURRENT_MAP_WRITES', 'concurrent map writes'],
    ['an iteration step', (m: GoMap<string, number>) => [...m], 'ERR_CONCURRENT_MAP_ITERATION_AND_MAP_WRITE', 'concurrent map iteration and map write'],
    ['another holdWriting', (m: GoMap<string, number>) => m.holdWriting('/about'), 'ERR_CONCURRENT_MAP_WRITES', 'concurrent map writes'],
  ])('makes %s throw Go\'s text with heldBy and a cause that say where the hold was taken and how to release it', (_, access, code, message) => {
    const map = new GoMap<string, number>([['/home', 0]], { name: 'hits' });
    countVisitForgettingTheRelease(map);
    let thrown: unknown;
    try {
      access(map);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConcurrentMapError);
    const error = thrown as ConcurrentMapError;
    expect(error).toMatchObject({ message, code, mapName: 'hits' });
    expect(error.heldBy?.key).toBe('/home');
    const frames = error.heldBy!.stack.split('\n');
    expect(frames[0]).toMatch(/^ {4}at countVisitForgettingTheRelease \(.*go-map\.errors\.test\.ts:\d+:\d+\)$/u);
    expect(frames.length).toBeLessThanOrEqual(6);
    expect(error.cause).toBeInstanceOf(Error);
    const cause = error.cause as Error;
    expect(cause.message).toBe(
      "GoMap 'hits': its write flag (Go's hashWriting) is held by holdWriting('/home'), whose release function has not run yet, " +
        'and every access to the map throws until it does. Call the function holdWriting returned; if it is lost, ' +
        'map.releaseWriting() clears the hold. holdWriting was called at:',
    );
    expect(cause.stack).toBe(`Error: ${cause.message}\n${error.heldBy!.stack}`);
  });

  it('names an unnamed map and a hold taken without a key as such', () => {
    const map = new GoMap<string, number>([['a', 1]]);
    map.holdWriting();
    let thrown: unknown;
    try {
      map.get('a');
    } catch (error) {
      thrown = error;
    }
    expect((thrown as ConcurrentMapError).heldBy?.key).toBeUndefined();
    expect(((thrown as ConcurrentMapError).cause as Error).message).toMatch(/^the GoMap: its write flag \(Go's hashWriting\) is held by holdWriting\(\), /u);
  });

  it('is cleared by releaseWriting(), after which the lost release function does nothing, even to a later hold', () => {
    const map = new GoMap<string, number>([['/home', 0]], { name: 'hits' });
    const lost = map.holdWriting('/home');
    expect(map.releaseWriting()).toBe(true);
    expect(map.releaseWriting()).toBe(false);
    map.set('/home', 1);
    expect(map.get('/home')).toBe(1);
    expect(map.debug().flags & 4).toBe(0);

    const later = map.holdWriting('/about');
    lost(); // a stale release must not end the hold taken after it
    expect(() => map.get('/home')).toThrow(expect.objectContaining({ heldBy: expect.objectContaining({ key: '/about' }) }));
    later();
    expect(map.releaseWriting()).toBe(false);
    expect(map.get('/home')).toBe(1);
  });

  it('leaves errors of a write re-entered from its hasher without heldBy, and releaseWriting() cannot end that write', () => {
    const reentered: unknown[] = [];
    const { map, arm } = growingMapWithHook((m) => {
      reentered.push(m.releaseWriting());
      try {
        m.get(1);
      } catch (error) {
        reentered.push(error);
      }
    });
    arm();
    map.set(100, 100); // the hasher's own errors are caught above: the write completes
    expect(reentered[0]).toBe(false);
    expect(reentered[1]).toMatchObject({ code: 'ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE', heldBy: undefined });
    expect((reentered[1] as Error).cause).toBeUndefined();
    expect(map.get(100)).toBe(100);
    expect(map.debug().flags & 4).toBe(0);
  });
});

describe('the nil map', () => {
  it('reads as empty and refuses writes with Go\'s text', () => {
    const nil = GoMap.nil<string, number>();
    expect(nil.get('a')).toBeUndefined();
    expect(nil.has('a')).toBe(false);
    expect(nil.size).toBe(0);
    expect([...nil]).toEqual([]);
    expect(nil.delete('a')).toBe(false);
    nil.clear();
    expect(() => nil.set('a', 1)).toThrow(new NilMapError('a'));
    expect(() => nil.set('a', 1)).toThrow('assignment to entry in nil map');
  });
});

describe('options', () => {
  it.each([
    [{ bogus: 1 }, "GoMap: unknown option 'bogus'"],
    [{ hint: '10' }, "GoMap: option 'hint' must be a number, got string"],
    [{ hasher: 42 }, "GoMap: option 'hasher' must be a function, got number"],
    [{ random: 'x' }, "GoMap: option 'random' must be a function, got string"],
    [{ name: 7 }, "GoMap: option 'name' must be a string, got number"],
    [{ race: 'yes' }, "GoMap: option 'race' must be a boolean or an object, got string"],
    [{ race: { report: 'loud' } }, "GoMap: race option 'report' must be 'throw' or 'warn', got loud"],
    [{ race: { stacks: 1 } }, "GoMap: race option 'stacks' must be a boolean, got number"],
    [{ race: { bogus: 1 } }, "GoMap: unknown race option 'bogus'"],
  ])('%j is a TypeError naming the option', (options, message) => {
    expect(() => new GoMap(options as never)).toThrow(new TypeError(message));
  });

  it('rejects entries that are not [key, value] objects', () => {
    expect(() => new GoMap([1 as never])).toThrow(new TypeError('GoMap: iterator value 1 is not an entry object'));
  });
});
