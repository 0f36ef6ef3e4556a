// GoMap against the real Go 1.19 runtime: every recorded trace replays with identical headers
// after every op, identical bucket dumps where recorded, identical lookups and iteration orders.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { replayGoTrace, type GoTrace } from '../../lib/runtime/go-trace.js';
import { goldenDir, readGoldenTrace } from '../helpers/golden.js';

const readTrace = (file: string) => readGoldenTrace<GoTrace>(file);
const traceFiles = readdirSync(goldenDir).filter((file) => file.endsWith('.json.gz')).sort();

describe('Go 1.19 golden traces', () => {
  it('finds the seven recorded traces', () => {
    expect(traceFiles).toEqual([
      'churn-same-size-grow.json.gz',
      'hint-1000.json.gz',
      'hint-to-B.json.gz',
      'iterate-grow-then-delete.json.gz',
      'iterate-while-writing.json.gz',
      'random-mix.json.gz',
      'sequential-insert.json.gz',
    ]);
  });

  it.each(traceFiles)('%s replays exactly', (file) => {
    const trace = readTrace(file);
    expect(trace.go).toBe('go1.19.8');
    expect(replayGoTrace(trace)).toEqual([]);
  });

  it('reports where a map diverges from the trace', () => {
    const trace = readTrace('iterate-grow-then-delete.json.gz');
    const setIndex = trace.ops!.findIndex((op) => op.op === 'set');
    // Claim that the first insert left two entries: the replay must name that op and field.
    const tampered: GoTrace = {
      ...trace,
      ops: trace.ops!.map((op, i) => (i === setIndex ? { ...op, after: { ...op.after!, count: 2 } } : op)),
    };
    expect(replayGoTrace(tampered)[0]).toEqual({ op: setIndex, what: 'after.count', expected: 2, actual: 1 });
  });
});
