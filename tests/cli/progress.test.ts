import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { Progress, type ProgressOptions } from '../../lib/cli/progress.js';
import { makeProject } from '../helpers/run.js';

/** A terminal that records each write, and whether ESLint's lintFiles() had returned by then. */
function fakeTerminal() {
  const writes: { text: string; duringLint: boolean }[] = [];
  const state = { linting: false };
  const stream = { isTTY: true, write: (text: string) => writes.push({ text, duringLint: state.linting }) };
  return { writes, state, stream: stream as unknown as NodeJS.WriteStream };
}

const fileCount = 40;
const cwd = makeProject(Object.fromEntries(
  Array.from({ length: fileCount }, (_, i) => [`m${String(i).padStart(2, '0')}.js`, `export const v${i} = ${i};\n`]),
));

async function lintWithProgress(options: ProgressOptions) {
  const terminal = fakeTerminal();
  const progress = new Progress(terminal.stream, options);
  const eslint = new ESLint({
    cwd,
    overrideConfigFile: true,
    overrideConfig: [{ plugins: { 'maprace-cli': progress.plugin() as never }, rules: { 'maprace-cli/count': 'warn' } }],
  });
  progress.start();
  terminal.state.linting = true;
  const results = await eslint.lintFiles(['.']);
  terminal.state.linting = false;
  progress.stop();
  return { results, writes: terminal.writes };
}

const counted = (text: string) => Number(/linted (\d+) files?/u.exec(text)?.[1]);

describe('the progress line on a terminal', () => {
  it('is redrawn while ESLint lints, file after file, not only when the run is over', async () => {
    const { results, writes } = await lintWithProgress({ delayMs: 0, intervalMs: 0 });
    expect(results).toHaveLength(fileCount);

    const lines = writes.filter((w) => w.text !== '\r\x1b[K');
    for (const line of lines) expect(line.text).toMatch(/^\r\x1b\[K\S maprace: linted \d+ files? \(\d+\.\ds\)$/u);
    // Every line was drawn before lintFiles() returned, and the count went up one file at a time.
    expect(lines.every((line) => line.duringLint)).toBe(true);
    const counts = [...new Set(lines.map((line) => counted(line.text)))];
    expect(counts).toEqual(Array.from({ length: fileCount + 1 }, (_, i) => i));
    // Then the line is cleared.
    expect(writes.at(-1)).toEqual({ text: '\r\x1b[K', duringLint: false });
  });

  it('draws at most once per interval', async () => {
    let clock = 0;
    const now = () => (clock += 10); // every look at the clock takes 10 ms
    const { writes } = await lintWithProgress({ delayMs: 0, intervalMs: 100, now });
    const lines = writes.filter((w) => w.text !== '\r\x1b[K');
    // 40 files, two looks at the clock each (start and end of a file): 800 ms, so about 8 draws.
    expect(lines.length).toBeGreaterThanOrEqual(6);
    expect(lines.length).toBeLessThanOrEqual(9);
    expect(lines.every((line) => line.duringLint)).toBe(true);
    const seconds = lines.map((line) => Number(/\((\d+\.\d)s\)/u.exec(line.text)?.[1]));
    for (let i = 1; i < seconds.length; i++) expect(seconds[i]! - seconds[i - 1]!).toBeGreaterThanOrEqual(0.1 - 1e-9);
  });

  it('counts each file once even when --fix lints it again', async () => {
    const terminal = fakeTerminal();
    const progress = new Progress(terminal.stream, { delayMs: 0, intervalMs: 0 });
    const fixable = makeProject({ 'a.js': 'let a = 1; export { a };\n', 'b.js': 'let b = 2; export { b };\n' });
    const eslint = new ESLint({
      cwd: fixable,
      fix: true,
      overrideConfigFile: true,
      overrideConfig: [{
        plugins: { 'maprace-cli': progress.plugin() as never },
        rules: { 'maprace-cli/count': 'warn', 'prefer-const': 'error' },
      }],
    });
    progress.start();
    const results = await eslint.lintFiles(['.']);
    progress.stop();
    expect(results.map((r) => r.output)).toEqual(['const a = 1; export { a };\n', 'const b = 2; export { b };\n']);
    expect(Math.max(...terminal.writes.map((w) => counted(w.text)).filter(Number.isFinite))).toBe(2);
  });

  it('draws nothing for a run shorter than its delay', async () => {
    const { writes } = await lintWithProgress({ delayMs: 60_000 });
    expect(writes).toEqual([]);
  });
});
