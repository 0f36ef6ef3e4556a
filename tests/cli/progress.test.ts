import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { Progress } from '../../lib/cli/progress.js';
import { makeProject } from '../helpers/run.js';

function fakeTerminal() {
  const writes: string[] = [];
  return { writes, stream: { isTTY: true, write: (text: string) => writes.push(text) } as unknown as NodeJS.WriteStream };
}

describe('the progress line on a terminal', () => {
  it('counts the files ESLint lints and clears itself at the end', async () => {
    const files = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`m${i}.js`, `export const v${i} = ${i};\n`]));
    const cwd = makeProject(files);
    const terminal = fakeTerminal();
    const progress = new Progress(terminal.stream, 0);
    const eslint = new ESLint({
      cwd,
      overrideConfigFile: true,
      overrideConfig: [{ plugins: { 'maprace-cli': progress.plugin() as never }, rules: { 'maprace-cli/count': 'warn' } }],
    });
    progress.start();
    const results = await eslint.lintFiles(['.']);
    await new Promise((resolve) => setTimeout(resolve, 120)); // one more frame after the last file
    progress.stop();

    expect(results).toHaveLength(40);
    expect(terminal.writes.at(-2)).toMatch(/^\r\x1b\[K\S maprace: linted 40 files \(\d+\.\ds\)$/);
    expect(terminal.writes.at(-1)).toBe('\r\x1b[K');
  });

  it('draws nothing for a run shorter than its delay', () => {
    const terminal = fakeTerminal();
    const progress = new Progress(terminal.stream, 60_000);
    progress.start();
    progress.stop();
    expect(terminal.writes).toEqual([]);
  });
});
