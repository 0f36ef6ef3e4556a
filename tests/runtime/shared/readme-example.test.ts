/**
 * The README's shared-memory example, run as written (two files, `maprace` resolved to the built
 * runtime, dist/: run `npm run build` first): two workers' 1,000 increments each all land.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeProject, repoRoot, run } from '../../helpers/run.js';

const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
const heading = '### Shared memory (worker_threads)';

describe("the README's Shared memory (worker_threads) example", () => {
  it('prints 2000: no increment lost across the two workers', () => {
    const section = readme.slice(readme.indexOf(`\n${heading}\n`)).split(/\n#{2,3} /u)[1]!;
    const block = /```js\n([\s\S]*?)```/u.exec(section)![1]!;
    const [, main, count] = block.split(/^\/\/ (?:main|count)\.js\n/mu);
    const runtime = pathToFileURL(path.join(repoRoot, 'dist/runtime/index.js')).href;
    const resolve = (source: string) => source.replaceAll("from 'maprace'", `from '${runtime}'`);
    const dir = makeProject({ 'package.json': '{ "type": "module" }\n', 'main.js': resolve(main!), 'count.js': resolve(count!) });
    const result = run(process.execPath, ['main.js'], { cwd: dir });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('2000\n');
  });
});
