// The demo's run-time part (examples/runtime/lost-update.js), run as `npm run demo` runs it.
import path from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot, run } from '../helpers/run.js';

it('loses updates with a Map, panics with GoMap in race mode, counts exactly with SafeMap', () => {
  const result = run(process.execPath, [path.join(repoRoot, 'examples/runtime/lost-update.js')], { cwd: repoRoot });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  expect(result.stdout.split('\n')).toEqual([
    'Map:     100 increments, final count 1  <- lost updates, and no error',
    "GoMap:   race mode throws ConcurrentMapError: fatal error: concurrent map read and map write (ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE), naming the previous write and stale read",
    'SafeMap: 100 increments, final count 100',
    'SafeMap: a plain set during that update throws ConcurrentMapError: concurrent map writes (ERR_CONCURRENT_MAP_WRITES)',
    '',
  ]);
});
