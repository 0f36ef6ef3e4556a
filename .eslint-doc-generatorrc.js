/** @type {import('eslint-doc-generator').GenerateOptions} */
const config = {
  configEmoji: [
    ['recommended', '✅'],
    ['recommended-type-checked', '☑️'],
    ['strict', '🔒'],
  ],
  // The legacy configs hold the same rules as their flat twins.
  ignoreConfig: ['legacy-recommended', 'legacy-strict'],
  ruleDocSectionInclude: ['Rule details', 'Why it matters', 'Options', 'Fixes'],
  ruleListColumns: ['name', 'description', 'configsError', 'fixable', 'hasSuggestions', 'requiresTypeChecking'],
};

export default config;
