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
