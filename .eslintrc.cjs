// The legacy config (ESLint 8.57, or ESLint 9 with ESLINT_USE_FLAT_CONFIG=false), applying the
// plugin to examples/ exactly as eslint.config.mjs does:
//   ESLINT_USE_FLAT_CONFIG=false npx eslint examples/
module.exports = {
  root: true,
  ignorePatterns: ['dist/', 'node_modules/'],
  overrides: [
    {
      files: ['examples/**/*.ts'],
      parser: '@typescript-eslint/parser',
      extends: ['plugin:maprace/legacy-recommended'],
    },
  ],
};
