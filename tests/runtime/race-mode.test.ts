import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConcurrentMapError, GoMap, SafeMap, ShardedMap, watchMap } from '../../lib/runtime/index.js';
import { raceTracker } from '../../lib/runtime/race-tracker.js';

// The in-process half of race mode's tests: report shapes, options, and the happens-before edges.
// The programs in tests/race/ run the same detector as real processes.

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Two tasks of a Promise.all each read a counter, await, and write it back: the classic lost update. */
async function lostUpdate(map: Map<string, number>, delays = [1, 5]): Promise<unknown> {
  map.set('hits', 0);
  const hit = async (ms: number) => {
    const seen = map.get('hits')!;
    await sleep(ms);
    map.set('hits', seen + 1);
  };
  return Promise.all(delays.map(hit)).then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('a stale write', () => {
  it('throws Go\'s "concurrent map read and map write" with both sides of the race', async () => {
    const error = await lostUpdate(new GoMap({ race: { stacks: true }, name: 'counts' }));
    expect(error).toBeInstanceOf(ConcurrentMapError);
    const race = error as ConcurrentMapError;
    expect(race.message).toBe('concurrent map read and map write');
    expect(race.code).toBe('ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE');
    expect(race.mapName).toBe("GoMap 'counts'");
    expect(race.key).toBe('hits');
    expect(race.race?.access).toMatchObject({ role: 'write', op: 'set' });
    expect(race.race?.others.map((side) => [side.role, side.op])).toEqual([
      ['previous write', 'set'],
      ['stale read', 'get'],
    ]);
    // Each side names its task and where it was made (this file), as Go's race report does.
    for (const side of race.race!.others) {
      expect(side.task).toMatch(/^task \d+ \(/);
      expect(side.stack).toContain('race-mode.test.ts');
    }
    expect(race.stack).toMatch(/^ConcurrentMapError: concurrent map read and map write\nWARNING: DATA RACE\n/);
    expect(race.stack).toContain('Previous write by task');
    expect(race.stack).toContain('Stale read by task');
  });

  it('throws in the task that writes second, whichever finishes first', async () => {
    for (const delays of [
      [1, 6],
      [6, 1],
    ]) {
      expect(await lostUpdate(new GoMap({ race: true }), delays)).toBeInstanceOf(ConcurrentMapError);
    }
  });

  it('keeps the report off the printed fields: `race` is not enumerable', async () => {
    const error = (await lostUpdate(new GoMap({ race: true }))) as ConcurrentMapError;
    expect(Object.keys(error)).not.toContain('race');
    expect(error.race).toBeDefined();
  });

  it('records no stacks of the other sides by default, and says how to get them', async () => {
    const error = (await lostUpdate(new GoMap({ race: true }))) as ConcurrentMapError;
    expect(error.race?.others.every((side) => side.stack === undefined)).toBe(true);
    expect(error.stack).toContain('(no stack recorded: MAPRACE_STACKS=1 records one)');
    expect(error.stack).toMatch(/Write by task \d+ .*\n {4}at .*race-mode\.test\.ts/); // the side that found it has its stack
  });

  it("in 'warn' mode writes the report to stderr once per key and lets the write happen", async () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const map = new GoMap<string, number>({ race: { report: 'warn' } });
      expect(await lostUpdate(map, [1, 3, 5])).toBeUndefined();
      expect(map.get('hits')).toBe(1); // the lost update happened: warn mode only reports it
      const reports = write.mock.calls.map(([text]) => String(text)).filter((text) => text.startsWith('WARNING: DATA RACE'));
      expect(reports).toHaveLength(1);
      expect(reports[0]).toContain("concurrent map read and map write: GoMap, key 'hits'");
    } finally {
      write.mockRestore();
    }
  });
});

describe('what race mode leaves alone', () => {
  it('sequential awaits, re-checks, tasks on their own keys, blind writes and reads', async () => {
    const map = new GoMap<string, number>({ race: true });
    for (let i = 0; i < 3; i++) {
      const seen = map.get('seq') ?? 0;
      await sleep(1);
      map.set('seq', seen + 1);
    }
    await Promise.all(
      [1, 2, 3].map(async (i) => {
        const own = map.get(`own:${i}`) ?? 0;
        const shared = map.get('shared');
        await sleep(i);
        map.set(`own:${i}`, own + 1);
        map.set('blind', i);
        if (map.get('shared') === shared) map.set('shared', (shared ?? 0) + 1); // re-checked after the await
      }),
    );
    expect(map.get('seq')).toBe(3);
    expect(map.get('shared')).toBe(1); // the later tasks saw the first one's write and let it stand
  });

  it('a caller that writes after awaiting the tasks that wrote (Promise.all is a join)', async () => {
    const map = new GoMap<string, number>({ race: true });
    map.set('total', 0);
    const before = map.get('total')!;
    await Promise.all([3, 1, 2].map(async (ms) => { await sleep(ms); map.set('total', ms); }));
    map.set('total', before + 10);
    expect(map.get('total')).toBe(10);
  });

  it('read-modify-writes inside SafeMap sections, while plain get/set across an await still report', async () => {
    const safe = new SafeMap<string, number>({ race: true });
    await Promise.all([3, 1, 2].map((ms) => safe.update('n', async (n) => { await sleep(ms); return (n ?? 0) + 1; })));
    expect(safe.get('n')).toBe(3);
    expect(await lostUpdate(safe)).toBeInstanceOf(ConcurrentMapError);
    expect(await lostUpdate(new ShardedMap({ race: true, shards: 4 }))).toBeInstanceOf(ConcurrentMapError);
  });

  it('the looping task inserting and deleting inside its own loop', async () => {
    const map = new GoMap<string, number>({ race: true });
    for (let i = 0; i < 4; i++) map.set(`k${i}`, i);
    for (const [key] of map) {
      await sleep(0);
      map.delete(key);
    }
    expect(map.size).toBe(0);
  });
});

describe('a loop across a write', () => {
  it('throws "concurrent map iteration and map write" when another task deletes while the loop awaits', async () => {
    const map = new GoMap<string, number>({ race: true, name: 'sessions' });
    for (let i = 0; i < 4; i++) map.set(`s${i}`, i);
    const sweep = async () => {
      for (const entry of map) {
        expect(entry).toHaveLength(2);
        await sleep(2);
      }
    };
    const logout = async () => {
      await sleep(3);
      map.delete('s1');
    };
    const error = await Promise.all([sweep(), logout()]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConcurrentMapError);
    expect((error as ConcurrentMapError).code).toBe('ERR_CONCURRENT_MAP_ITERATION_AND_MAP_WRITE');
    expect((error as ConcurrentMapError).race?.others.map((side) => side.role)).toEqual(['conflicting write', 'loop']);
  });
});

describe('options and zero cost when off', () => {
  it('leaves maps out of race mode untouched: no own methods shadow the class', () => {
    const plain = new GoMap();
    expect(Object.hasOwn(plain, 'get')).toBe(false);
    const raced = new GoMap({ race: true });
    expect(Object.hasOwn(raced, 'get')).toBe(true);
    const map = new Map();
    expect(watchMap(map)).toBe(map);
    expect(Object.hasOwn(map, 'set')).toBe(false); // race mode was not requested for this process
    expect(Object.hasOwn(watchMap(new Map(), { race: true }), 'set')).toBe(true);
  });

  it.each([
    [() => watchMap(null as never), 'watchMap: expected a Map, got null'],
    [() => watchMap(new Set() as never), 'watchMap: expected a Map, got object'],
    [() => watchMap(new Map(), { bogus: 1 } as never), "watchMap: unknown option 'bogus'"],
    [() => watchMap(new Map(), { race: { report: 'log' } } as never), "watchMap: race option 'report' must be 'throw' or 'warn', got log"],
    [() => new SafeMap({ race: 'on' } as never), "SafeMap: option 'race' must be a boolean or an object, got string"],
  ])('rejects bad input with a TypeError naming it (%#)', (make, message) => {
    expect(make).toThrow(new TypeError(message));
  });
});

describe('the happens-before tracker', () => {
  const tracker = raceTracker();
  afterEach(() => vi.useRealTimers());

  it('orders program order and await continuations, not sibling tasks', async () => {
    const start = tracker.point();
    const points: ReturnType<typeof tracker.point>[] = [];
    await Promise.all(
      [2, 1].map(async (ms) => {
        await sleep(ms);
        points.push(tracker.point());
      }),
    );
    const after = tracker.point();
    const [first, second] = points as [typeof start, typeof start];
    expect(tracker.happensBefore(start, first)).toBe(true);
    expect(tracker.happensBefore(first, second)).toBe(false); // siblings
    expect(tracker.happensBefore(first, after)).toBe(true); // joined by Promise.all
    expect(tracker.happensBefore(second, after)).toBe(true);
    expect(tracker.happensBefore(after, first)).toBe(false);
  });

  it('keeps Promise.all and allSettled semantics: a throwing iterable rejects, values pass through', async () => {
    const broken = {
      *[Symbol.iterator]() {
        yield 1;
        throw new Error('iterator broke');
      },
    };
    await expect(Promise.all(broken)).rejects.toThrow('iterator broke');
    await expect(Promise.all(new Set([1, Promise.resolve(2)]))).resolves.toEqual([1, 2]);
    await expect(Promise.allSettled([Promise.reject(new Error('no'))])).resolves.toMatchObject([{ status: 'rejected' }]);
  });
});
