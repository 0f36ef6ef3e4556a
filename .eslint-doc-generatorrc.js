/** @type {import('eslint-doc-generator').GenerateOptions} */
const config = {
  configEmoji: [
    ['recommended', '✅'],
    ['recommended-type-checked', '☑️'],
    ['strict', '🔒'],
    ['strict-type-checked', '🔐'],
  ],
  // The legacy configs hold the same rules as their flat twins.
  ignoreConfig: ['legacy-recommended', 'legacy-strict', 'legacy-strict-type-checked'],
  ruleDocSectionInclude: [
    'Rule details', '❌ Incorrect', '✅ Correct', 'Why it matters', 'Options', 'Fixes',
    'When Not To Use It', 'Limitations', 'Related Rules',
  ],
  ruleListColumns: ['name', 'description', 'configsError', 'fixable', 'hasSuggestions', 'requiresTypeChecking'],
};

export default config;
