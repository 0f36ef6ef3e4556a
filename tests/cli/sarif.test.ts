// The SARIF formatter is an optional peer dependency, loaded only for --format sarif.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSarifFormatter, missingSarifMessage, sarifPackage } from '../../lib/cli/sarif.js';
import { makeProject, repoRoot } from '../helpers/run.js';

interface Manifest {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  overrides?: Record<string, string>;
}
const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as Manifest;

describe('the SARIF formatter as a dependency', () => {
  it('is an optional peer dependency, not a dependency, and a devDependency for the tests', () => {
    expect(manifest.dependencies).not.toHaveProperty(sarifPackage);
    expect(manifest.peerDependencies?.[sarifPackage]).toBe('^3.1.0');
    expect(manifest.peerDependenciesMeta?.[sarifPackage]).toEqual({ optional: true });
    expect(manifest.devDependencies?.[sarifPackage]).toBe('^3.1.0');
    // Its dependency on jschardet "latest" would make our own lockfile stale at each release.
    expect(manifest.overrides?.jschardet).toMatch(/^\d+\.\d+\.\d+$/u);
  });
});

describe('loadSarifFormatter', () => {
  it('is undefined when neither the project nor maprace has the formatter', () => {
    const nowhere = makeProject({ 'package.json': '{}' });
    expect(loadSarifFormatter(nowhere, [path.join(nowhere, 'cli.js')])).toBeUndefined();
  });

  it("loads the project's own copy first", () => {
    const project = makeProject({
      [`node_modules/${sarifPackage}/package.json`]: JSON.stringify({ name: sarifPackage, main: 'sarif.js' }),
      [`node_modules/${sarifPackage}/sarif.js`]: "module.exports = (results) => 'project formatter: ' + results.length;\n",
    });
    expect(loadSarifFormatter(project)?.([], { cwd: project, rulesMeta: {} })).toBe('project formatter: 0');
  });

  it("falls back to the copy beside maprace (here: this repository's devDependency)", () => {
    const project = makeProject({ 'package.json': '{}' });
    const sarif = loadSarifFormatter(project);
    expect(sarif).toBeTypeOf('function');
    const log = JSON.parse(sarif!([], { cwd: project, rulesMeta: {} })) as { version: string };
    expect(log.version).toBe('2.1.0');
  });

  it('does not take an error inside an installed formatter for its absence', () => {
    const project = makeProject({
      [`node_modules/${sarifPackage}/package.json`]: JSON.stringify({ name: sarifPackage, main: 'sarif.js' }),
      [`node_modules/${sarifPackage}/sarif.js`]: "require('jschardet-that-is-not-there');\n",
    });
    expect(() => loadSarifFormatter(project, [])).toThrow(/jschardet-that-is-not-there/u);
  });

  it('names the package and how to install it when it is missing', () => {
    expect(missingSarifMessage).toBe(
      '--format sarif needs @microsoft/eslint-formatter-sarif, which is not installed: npm install --save-dev @microsoft/eslint-formatter-sarif',
    );
  });
});
