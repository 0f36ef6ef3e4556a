// `npm run demo`: the plugin's main job on the bundled examples, as a user would run it.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const maprace = path.join(root, 'dist/cli/bin.js');

function section(title, command, args) {
  console.log(`\n=== ${title}\n$ ${command} ${args.join(' ')}`);
  const script = command === 'maprace' ? maprace : path.join(root, args.shift());
  const { status } = spawnSync(process.execPath, [script, ...args], { cwd: root, stdio: 'inherit' });
  console.log(`(exit code ${status})`);
}

section('Racy application code: shared Maps updated across an await by concurrent tasks', 'maprace', ['examples/racy']);
section('The same code, fixed', 'maprace', ['examples/fixed']);
section('The race at run time: a Map loses updates, GoMap stops the race as Go does, SafeMap prevents it', 'node', ['examples/runtime/lost-update.js']);
section('Across worker threads: a posted Map is a copy, GoMap.shared panics, ShardedMap.shared counts every hit', 'node', ['examples/runtime/shared-workers.js']);
