import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { repoRoot } from './run.js';

/** The Go 1.19 golden traces, shared by the workspace next to the repository (see its README.md). */
export const goldenDir = path.resolve(repoRoot, '../shared/golden/go1.19');

// The traces are not in this repository: a clone needs the shared checkout beside it. Without it,
// every test file that reads them fails at once with this message, not with a bare ENOENT.
if (!existsSync(goldenDir)) {
  throw new Error(
    `The Go golden traces are missing: ${goldenDir} does not exist. The GoMap tests replay traces recorded ` +
      `from Go's runtime, which live in the shared checkout beside this repository (../shared, next to ` +
      `${path.basename(repoRoot)}/); put it there (README.md, "Contributing") and run the tests again.`,
  );
}

/** Reads and parses one gzipped golden trace, e.g. `readGoldenTrace('random-mix.json.gz')`. */
export function readGoldenTrace<Trace = unknown>(file: string): Trace {
  return JSON.parse(gunzipSync(readFileSync(path.join(goldenDir, file))).toString()) as Trace;
}
