import { fileURLToPath } from 'node:url';
import { defineConfig, type Options } from 'tsup';

// The `maprace` package is built from the repository's lib/runtime (its only source; nothing is
// copied here). The root tsup.config.ts builds this config along with the plugin, so the root
// `npm run build` builds both packages; `npm run build` here (and `npm pack`'s prepack) builds
// this one alone. Paths are absolute so that the config works from either directory.
const source = (file: string) => fileURLToPath(new URL(`../../lib/runtime/${file}`, import.meta.url));

/** What both packages' library builds share (the root tsup.config.ts uses it for the plugin). */
export const libraryBuild: Options = {
  format: ['esm', 'cjs'],
  // tsup's declaration build sets `baseUrl`, which TypeScript 6 deprecates (removed in 7).
  dts: { compilerOptions: { ignoreDeprecations: '6.0' } },
  target: 'node20',
  platform: 'node',
  sourcemap: false,
  clean: true,
  cjsInterop: true,
  // Keep class names (GoMap, not _GoMap) in stack traces and `#<GoMap>` messages.
  keepNames: true,
  splitting: true,
  shims: false,
};

export const mapraceBuild: Options = {
  ...libraryBuild,
  name: 'maprace',
  entry: { index: source('index.ts'), race: source('race.ts') },
  outDir: fileURLToPath(new URL('dist', import.meta.url)),
  // (libraryBuild has no source maps: here they would also point to ../../lib/runtime, not published.)
};

export default defineConfig(mapraceBuild);
