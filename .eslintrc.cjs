// The legacy config (.eslintrc), applying the plugin to examples/ as eslint.config.mjs does: the
// rules on the TypeScript examples, the JavaScript ones parsed as ES modules. ESLint 10 reads no
// .eslintrc (and ignores ESLINT_USE_FLAT_CONFIG), so run it with ESLint 9 or 8.57, which this
// repository has as the eslint9 and eslint8 devDependencies:
//   ESLINT_USE_FLAT_CONFIG=false node node_modules/eslint9/bin/eslint.js examples/
//   ESLINT_USE_FLAT_CONFIG=false node node_modules/eslint8/bin/eslint.js examples/
// (examples/racy is reported on purpose; examples/fixed is clean.)
module.exports = {
  root: true,
  ignorePatterns: ['dist/', 'node_modules/'],
  overrides: [
    {
      files: ['examples/**/*.js'],
      parserOptions: { ecmaVersion: 'latest', sourceType: 'module' },
    },
    {
      // legacy-recommended parses .ts files with typescript-eslint's parser itself.
      files: ['examples/**/*.ts'],
      extends: ['plugin:maprace/legacy-recommended'],
      parserOptions: { sourceType: 'module' },
    },
  ],
};
