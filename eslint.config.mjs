// The flat config (ESLint 9 and 10). It shows the plugin at work on examples/ and lints the
// repository itself. `maprace` resolves to this package's build (run `npm run build` first).
import { defineConfig } from 'eslint/config';
import eslintPlugin from 'eslint-plugin-eslint-plugin';
import maprace from 'eslint-plugin-maprace';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'packages/*/dist/', 'coverage/', 'tests/fixtures/', 'bench/results/'] },

  // The plugin on the example application code (examples/racy is reported on purpose).
  {
    files: ['examples/**/*.ts'],
    extends: [maprace.configs.recommended],
    languageOptions: { parser: tseslint.parser },
  },

  // The repository's own code.
  {
    files: ['**/*.ts', '**/*.mjs'],
    ignores: ['examples/**'],
    extends: [tseslint.configs.recommended],
  },
  {
    files: ['lib/rules/**/*.ts'],
    extends: [eslintPlugin.configs.recommended],
  },
);
