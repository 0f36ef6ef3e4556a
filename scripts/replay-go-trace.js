// Replays Go map traces (the golden format: .json or .json.gz) on GoMap and prints mismatches.
//   npm run replay-go-trace -- FILE...      (exit 1 when any trace differs from Go)
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { replayGoTrace } from '../dist/runtime/index.js';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: npm run replay-go-trace -- FILE.json[.gz]...');
  process.exit(2);
}
let failed = 0;
for (const file of files) {
  const bytes = readFileSync(file);
  const trace = JSON.parse((file.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8'));
  const started = performance.now();
  const mismatches = replayGoTrace(trace);
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
