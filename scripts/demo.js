// `npm run demo`: the plugin's main job on the bundled examples, as a user would run it.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const maprace = path.join(root, 'dist/cli/bin.js');

function section(title, args) {
  console.log(`\n=== ${title}\n$ maprace ${args.join(' ')}`);
  const { status } = spawnSync(process.execPath, [maprace, ...args], { cwd: root, stdio: 'inherit' });
  console.log(`(exit code ${status})`);
}

section('Racy application code: shared Maps updated across an await by concurrent tasks', ['examples/racy']);
section('The same code, fixed', ['examples/fixed']);
