// GoMap against the real Go 1.19 runtime: every recorded trace replays with identical headers
// after every op, identical bucket dumps where recorded, identical lookups and iteration orders.
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayGoTrace, type GoTrace } from '../../lib/runtime/go-trace.js';
import { goldenDir, readGoldenTrace } from '../helpers/golden.js';
import { repoRoot, run } from '../helpers/run.js';

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

  it('reports a key the trace has no hash for, and an op the format does not have, then stops', () => {
    const base = { go: 'go1.19.8', hashes: { '1': '0000000000000001' } };
    expect(replayGoTrace({ ...base, ops: [{ op: 'set', key: 1 }, { op: 'set', key: 2 }, { op: 'set', key: 3 }] })).toEqual([
      { op: 1, what: 'hash of key 2', expected: 'a hash in trace.hashes', actual: 'none' },
    ]);
    const unknownOp = { ...base, ops: [{ op: 'frob', key: 1 }] } as unknown as GoTrace;
    expect(replayGoTrace(unknownOp)).toEqual([{ op: 0, what: 'op', expected: 'set | delete | get | iterate | snapshot', actual: 'frob' }]);
  });

  it('throws a TypeError for what is not a trace', () => {
    expect(() => replayGoTrace({} as GoTrace)).toThrow(new TypeError("replayGoTrace: the trace has neither 'ops' nor 'rows' (see the golden README for the format)"));
    expect(() => replayGoTrace([] as unknown as GoTrace)).toThrow(/a trace is an object, got an array/u);
    expect(() => replayGoTrace({ go: 'x', ops: [] } as GoTrace)).toThrow(/needs 'hashes'/u);
  });
});

describe('npm run replay-go-trace', () => {
  const script = path.join(repoRoot, 'scripts/replay-go-trace.js');

  it('replays every golden file and exits 0', () => {
    const files = traceFiles.map((file) => path.join(goldenDir, file));
    const result = run(process.execPath, [script, ...files], { cwd: repoRoot });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.trim().split('\n')).toHaveLength(files.length);
    expect(result.stdout).toMatch(/^ok {4}.*churn-same-size-grow\.json\.gz: 80603 ops match Go/mu);
  });

  it('goes on past a file it cannot read, reports it, and exits 1', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'replay-'));
    writeFileSync(path.join(dir, 'broken.json'), 'not json');
    const result = run(process.execPath, [script, path.join(dir, 'broken.json'), path.join(goldenDir, 'hint-1000.json.gz')], { cwd: repoRoot });
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^ERROR .*broken\.json: .*JSON/mu);
    expect(result.stdout).toMatch(/^ok {4}.*hint-1000\.json\.gz/mu);
  });

  it('exits 2 on a usage error', () => {
    expect(run(process.execPath, [script], { cwd: repoRoot }).status).toBe(2);
    const result = run(process.execPath, [script, '--limit', 'x', 'f.json'], { cwd: repoRoot });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('replay-go-trace: --limit must be a positive integer, got x\n');
  });
});

