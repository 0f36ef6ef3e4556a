// A user's project as an editor opens it: the racy examples (examples/racy and the services they
// call), a race only type information shows, a tsconfig.json, an ESLint config, and node_modules from this repository, so that
// `eslint` and `eslint-plugin-maprace` resolve from the project as they do in an installed app.
import { copyFileSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { importedMapState, importedMapVisits } from './imported-map.js';
import { makeProject, repoRoot } from './run.js';

/** The racy example files, relative to the workspace (and to examples/). */
export const racyFiles = readdirSync(path.join(repoRoot, 'examples/racy')).map((name) => `racy/${name}`).sort();

/**
 * A race only type information shows (the file that writes `visits` does not create it: it is a
 * Map imported from another module), and the module it imports.
 */
export const importedMapFile = 'imported-map/visits.ts';
const importedMapFiles = {
  'imported-map/state.ts': importedMapState,
  [importedMapFile]: importedMapVisits,
};

const tsconfig = JSON.stringify({
  compilerOptions: { target: 'ES2022', lib: ['ES2023'], module: 'NodeNext', strict: true, types: ['node'], noEmit: true },
  include: ['**/*.ts'],
});

/** The flat config a user of the type-checked config writes (ESLint 9 and 10). */
export const flatConfig = `import maprace from 'eslint-plugin-maprace';

export default [maprace.configs['recommended-type-checked']];
`;

/**
 * The .eslintrc of a project still on the legacy loader (ESLint 8.57, or 9 with the flat config
 * off). It says its files are modules: without that the legacy loader parses them as scripts, and
 * the fixes add `require` (as in CommonJS) instead of `import`.
 */
export const legacyConfig = `module.exports = {
  root: true,
  parserOptions: { sourceType: 'module' },
  extends: ['plugin:maprace/legacy-recommended'],
};
`;

/**
 * Creates the workspace. `eslint: 'eslint9'` builds a node_modules of its own in which `eslint`
 * is this repository's ESLint 9 (the npm alias eslint9) and every other package is linked;
 * otherwise node_modules is a link to this repository's (ESLint 10).
 */
export function makeRacyWorkspace(options: { config: 'flat' | 'legacy'; eslint?: 'eslint' | 'eslint9' }): string {
  const configFile: Record<string, string> =
    options.config === 'flat' ? { 'eslint.config.mjs': flatConfig } : { '.eslintrc.cjs': legacyConfig };
  const workspace = makeProject({
    'package.json': JSON.stringify({ name: 'racy-app', private: true, type: 'module' }),
    'tsconfig.json': tsconfig,
    ...configFile,
    ...importedMapFiles,
  });
  for (const file of ['services.ts', ...racyFiles]) {
    mkdirSync(path.dirname(path.join(workspace, file)), { recursive: true });
    copyFileSync(path.join(repoRoot, 'examples', file), path.join(workspace, file));
  }
  const repoModules = path.join(repoRoot, 'node_modules');
  if ((options.eslint ?? 'eslint') === 'eslint') {
    symlinkSync(repoModules, path.join(workspace, 'node_modules'), 'dir');
  } else {
    const modules = path.join(workspace, 'node_modules');
    mkdirSync(modules);
    for (const name of readdirSync(repoModules)) {
      if (name.startsWith('.') || name === 'eslint') continue;
      symlinkSync(path.join(repoModules, name), path.join(modules, name), 'dir');
    }
    symlinkSync(path.join(repoModules, options.eslint!), path.join(modules, 'eslint'), 'dir');
  }
  return workspace;
}
