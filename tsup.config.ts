import { defineConfig } from 'tsup';
import { libraryBuild, mapraceBuild } from './packages/maprace/tsup.config.js';

// tsup (esbuild + rollup-plugin-dts) because the package must be loadable by both `require()`
// (ESLint's .eslintrc loader) and `import`, with a declaration file per format so that
// @arethetypeswrong/cli finds no masquerading types. `tsc` alone would need two builds and
// hand-written package.json stubs per output folder.
//
// No source maps: the output is not minified (and keeps class names), so a stack frame in dist/
// reads like the source it came from; maps would embed all of lib/ (sourcesContent) and made the
// packed tarball 2.5 times larger (779 kB with them, 314 kB without).
// The last entry is the `maprace` package (packages/maprace), built from the same lib/runtime.
export default defineConfig([
  {
    ...libraryBuild,
    entry: {
      'runtime/index': 'lib/runtime/index.ts',
      'runtime/race': 'lib/runtime/race.ts',
    },
  },
  // The rules are built on their own, without keepNames: esbuild's keepNames wraps every closure
  // in a `__name(fn, 'name')` call (Object.defineProperty) each time the closure is made, and the
  // analysis makes closures per node and per function; profiled on bench:rules' project, that was
  // about half of the rules' own time. Rule code throws no errors users read by class name.
  {
    ...libraryBuild,
    entry: { index: 'lib/index.ts' },
    clean: false,
    keepNames: false,
  },
  {
    entry: { 'cli/bin': 'lib/cli/bin.ts' },
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    sourcemap: false,
    banner: { js: '#!/usr/bin/env node' },
    keepNames: true,
  },
  mapraceBuild,
]);
