import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ConcurrentMapError, concurrentMapMessages } from '../../lib/runtime/errors.js';

describe('ConcurrentMapError', () => {
  it.each([
    ['ERR_CONCURRENT_MAP_WRITES', 'concurrent map writes'],
    ['ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE', 'concurrent map read and map write'],
    ['ERR_CONCURRENT_MAP_ITERATION_AND_MAP_WRITE', 'concurrent map iteration and map write'],
  ] as const)('%s carries Go\'s text exactly', (code, text) => {
    const error = new ConcurrentMapError(code, { mapName: 'users', key: 'u1' });
    expect(error.message).toBe(text);
    expect(concurrentMapMessages[code]).toBe(text);
    expect(error).toMatchObject({ name: 'ConcurrentMapError', code, mapName: 'users', key: 'u1' });
    expect(error).toBeInstanceOf(Error);
  });

  it('points at a holdWriting() hold through heldBy and cause, without changing Go\'s text', () => {
    const heldBy = { key: 7, stack: '    at countVisit (file:///app/hits.js:3:8)' };
    const error = new ConcurrentMapError('ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE', { mapName: 'hits', key: 7, heldBy });
    expect(error.message).toBe('concurrent map read and map write');
    expect(error.heldBy).toBe(heldBy);
    expect((error.cause as Error).message).toMatch(/^GoMap 'hits': its write flag \(Go's hashWriting\) is held by holdWriting\(7\), /u);
    expect((error.cause as Error).stack).toMatch(/holdWriting was called at:\n {4}at countVisit \(file:\/\/\/app\/hits\.js:3:8\)$/u);
    const plain = new ConcurrentMapError('ERR_CONCURRENT_MAP_WRITES', { mapName: 'hits' });
    expect(plain.heldBy).toBeUndefined();
    expect(plain.cause).toBeUndefined();
  });

  it('rejects an unknown code with a TypeError naming it', () => {
    expect(() => new ConcurrentMapError('ERR_NOPE' as never)).toThrow(
      new TypeError('ConcurrentMapError: unknown code ERR_NOPE'),
    );
  });

  it('is recognised by instanceof whichever build (ESM or CJS) created it', () => {
    const cjs = createRequire(import.meta.url)('../../dist/runtime/index.cjs') as typeof import('../../lib/runtime/index.js');
    const fromCjs = new cjs.ConcurrentMapError('ERR_CONCURRENT_MAP_WRITES');
    expect(fromCjs).toBeInstanceOf(ConcurrentMapError);
    expect(new ConcurrentMapError('ERR_CONCURRENT_MAP_WRITES')).toBeInstanceOf(cjs.ConcurrentMapError);
    expect({ code: 'ERR_CONCURRENT_MAP_WRITES' }).not.toBeInstanceOf(ConcurrentMapError);
  });
});

// The `maprace` package (packages/maprace/dist) and the plugin's `eslint-plugin-maprace/runtime`
// (dist/runtime) are two builds of lib/runtime: an app can load both (its own code imports maprace,
// code fixed before maprace existed imports the plugin's). Errors thrown by one copy must be caught
// by the other's classes, in either module format.
describe('the maprace package and the plugin runtime, loaded together', () => {
  type Runtime = typeof import('../../lib/runtime/index.js');
  const load = createRequire(import.meta.url);
  // Built files (npm run build), loaded by a computed name: the type checker does not need them.
  const importBuilt = (file: string) => import(new URL(file, import.meta.url).href) as Promise<Runtime>;
  const copies: [string, () => Promise<Runtime> | Runtime][] = [
    ['maprace (CJS)', () => load('../../packages/maprace/dist/index.cjs') as Runtime],
    ['maprace (ESM)', () => importBuilt('../../packages/maprace/dist/index.js')],
    ['eslint-plugin-maprace/runtime (CJS)', () => load('../../dist/runtime/index.cjs') as Runtime],
    ['eslint-plugin-maprace/runtime (ESM)', () => importBuilt('../../dist/runtime/index.js')],
  ];
  const pairs = copies.flatMap((thrower) => copies.filter((catcher) => catcher !== thrower).map((catcher) => [thrower, catcher] as const));

  it.each(pairs.map(([thrower, catcher]) => [thrower[0], catcher[0], thrower[1], catcher[1]] as const))(
    'an error thrown by %s is instanceof the classes of %s',
    async (_thrower, _catcher, loadThrower, loadCatcher) => {
      const [from, to] = await Promise.all([loadThrower(), loadCatcher()]);
      expect(from.GoMap).not.toBe(to.GoMap);

      const hits = new from.GoMap<string, number>([['home', 1]], { name: 'hits' });
      const release = hits.holdWriting('home');
      const concurrent = catching(() => hits.get('home'));
      release();
      expect(concurrent).toBeInstanceOf(to.ConcurrentMapError);
      expect(concurrent).toMatchObject({ code: 'ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE', mapName: 'hits' });

      const nil = catching(() => from.GoMap.nil<string, number>().set('home', 1));
      expect(nil).toBeInstanceOf(to.NilMapError);

      const sessions = new from.SafeMap<string, number>({ name: 'sessions' });
      const reentry = await sessions.withLock('s1', () => sessions.withLock('s1', () => 0)).then(() => null, (error: unknown) => error);
      expect(reentry).toBeInstanceOf(to.SafeMapError);
      expect(reentry).toMatchObject({ code: 'ERR_LOCK_REENTRY' });

      expect(new to.ConcurrentMapError('ERR_CONCURRENT_MAP_WRITES')).not.toBeInstanceOf(to.SafeMapError);
    },
  );
});

function catching(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}
