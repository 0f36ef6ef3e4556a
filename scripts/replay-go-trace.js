// Replays Go map traces (the golden format: .json or .json.gz) on GoMap and prints mismatches.
//   npm run replay-go-trace -- [--limit N] FILE...
// Exit 0 when every trace matches Go, 1 when one differs or cannot be read, 2 on a usage error.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { replayGoTrace } from '../dist/runtime/index.js';

const usage = 'usage: npm run replay-go-trace -- [--limit N] FILE.json[.gz]...';
let parsed;
try {
  parsed = parseArgs({ allowPositionals: true, options: { limit: { type: 'string', default: '20' } } });
} catch (error) {
  console.error(`replay-go-trace: ${error.message}\n${usage}`);
  process.exit(2);
}
const files = parsed.positionals;
const limit = Number(parsed.values.limit);
if (files.length === 0 || !Number.isInteger(limit) || limit < 1) {
  console.error(files.length === 0 ? usage : `replay-go-trace: --limit must be a positive integer, got ${parsed.values.limit}`);
  process.exit(2);
}
let failed = 0;
for (const file of files) {
  let trace;
  let mismatches;
  const started = performance.now();
  try {
    const bytes = readFileSync(file);
    trace = JSON.parse((file.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8'));
    mismatches = replayGoTrace(trace, limit);
  } catch (error) {
    failed++;
    console.log(`ERROR ${file}: ${error.message}`);
    continue;
  }
  const ms = (performance.now() - started).toFixed(0);
  const ops = trace.ops?.length ?? trace.rows?.length ?? 0;
  if (mismatches.length === 0) {
    console.log(`ok    ${file}: ${ops} ops match Go (${ms} ms)`);
    continue;
  }
  failed++;
  console.log(`FAIL  ${file}: ${mismatches.length} mismatch(es), first at op ${mismatches[0].op}`);
  for (const m of mismatches) {
    console.log(`  op ${m.op}: ${m.what}: expected ${JSON.stringify(m.expected)}, got ${JSON.stringify(m.actual)}`.slice(0, 400));
  }
}
process.exit(failed === 0 ? 0 : 1);
