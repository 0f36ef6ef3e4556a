#!/usr/bin/env node
// The `maprace` command: it runs the build (dist/cli/bin.js). This file is committed, not built,
// so that npm links `node_modules/.bin/maprace` in a fresh clone too (npm links a bin only when its
// file exists at install time, and this repository installs itself as a devDependency for that).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli/bin.js', import.meta.url);
if (existsSync(cli)) {
  await import(cli.href);
} else {
  process.stderr.write('maprace: dist/cli/bin.js is missing: run `npm run build` first\n');
  process.exitCode = 2;
}
