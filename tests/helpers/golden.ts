import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { repoRoot } from './run.js';

/** The Go 1.19 golden traces, shared by the workspace next to the repository (see its README.md). */
export const goldenDir = path.resolve(repoRoot, '../shared/golden/go1.19');

/** Reads and parses one gzipped golden trace, e.g. `readGoldenTrace('random-mix.json.gz')`. */
export function readGoldenTrace<Trace = unknown>(file: string): Trace {
  return JSON.parse(gunzipSync(readFileSync(path.join(goldenDir, file))).toString()) as Trace;
}
