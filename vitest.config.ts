import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    reporters: ['default', './tests/helpers/summary-reporter.ts'],
    // The packaging and compatibility tests install and run whole ESLint setups.
    testTimeout: 120_000,
    hookTimeout: 240_000,
  },
});
