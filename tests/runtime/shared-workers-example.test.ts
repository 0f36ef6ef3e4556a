// The demo's worker-threads part (examples/runtime/shared-workers.js), run as `npm run demo` runs it
// (it imports `maprace`, the workspace package, so it needs `npm run build` first).
import path from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot, run } from '../helpers/run.js';

it('a posted Map is a copy, GoMap.shared panics with two unguarded threads, ShardedMap.shared counts every hit', () => {
  const result = run(process.execPath, [path.join(repoRoot, 'examples/runtime/shared-workers.js')], { cwd: repoRoot });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  const [plain, go, sharded, end] = result.stdout.split('\n');
  expect(plain).toBe('Map:              2 workers × 1000 hits, main thread sees 0  <- each worker got a copy');
  // which of Go's two panics the loser meets depends on where the other thread is: both are Go's texts
  expect(go).toMatch(
    /^GoMap\.shared: {5}two unguarded threads -> ConcurrentMapError: concurrent map (writes \(ERR_CONCURRENT_MAP_WRITES\)|read and map write \(ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE\))$/,
  );
  expect(sharded).toBe('ShardedMap.shared: 2 workers × 1000 hits, main thread sees 2000');
  expect(end).toBe('');
});
