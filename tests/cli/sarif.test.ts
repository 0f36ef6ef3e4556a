// The SARIF formatter is an optional peer dependency, loaded only for --format sarif; the log it
// writes is valid against the SARIF 2.1.0 schema it names.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import ajvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { loadSarifFormatter, missingSarifMessage, sarifPackage } from '../../lib/cli/sarif.js';
import { makeRacyWorkspace } from '../helpers/editor-workspace.js';
import { makeProject, repoRoot, run } from '../helpers/run.js';

const require = createRequire(import.meta.url);
// CommonJS packages: their ES default export is the `default` of module.exports.
const { default: Ajv } = ajvDraft04;
const { default: addFormats } = ajvFormats;

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

// The schema is the one the formatter's logs name in `$schema` (SARIF 2.1.0-rtm.5, JSON Schema
// draft-04), as Microsoft's SARIF SDK ships it in @microsoft/jest-sarif: no npm package ships the
// OASIS file sarif-schema-2.1.0.json.
describe('maprace --format sarif against the SARIF 2.1.0 schema', () => {
  const schema = JSON.parse(readFileSync(require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8')) as {
    id: string;
  };
  // unicodeRegExp: false, as JSON Schema patterns are ECMA-262 without the u flag: the schema's
  // `language` pattern has a stray `]` that the u flag refuses.
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats(ajv, ['uri', 'uri-reference', 'date-time']);
  const validate = ajv.compile(schema);
  const sarif = (cwd: string, ...args: string[]) => run(process.execPath, [path.join(repoRoot, 'dist/cli/bin.js'), '--format', 'sarif', ...args], { cwd });

  interface Log {
    $schema: string;
    version: string;
    runs: { results: { ruleId: string; locations: { physicalLocation: { region: { startLine: number } } }[] }[] }[];
  }
  const expectValid = (stdout: string): Log => {
    const log = JSON.parse(stdout) as Log;
    expect(validate(log), JSON.stringify(validate.errors, null, 2)).toBe(true);
    expect(log.version).toBe('2.1.0');
    expect(schema.id).toMatch(new RegExp(`/${log.$schema.split('/').at(-1)!.replaceAll('.', '\\.')}\\.json$`, 'u'));
    return log;
  };

  it('is valid with the races of the racy examples as results (type-aware run)', () => {
    const result = sarif(makeRacyWorkspace({ config: 'flat' }), 'racy');
    expect(result.status).toBe(1);
    const log = expectValid(result.stdout);
    expect(log.runs[0]!.results.map((r) => [r.ruleId, r.locations[0]!.physicalLocation.region.startLine])).toEqual([
      ['maprace/no-unguarded-map-in-worker-message', 8],
      ['maprace/no-unguarded-map-in-promise-all', 7],
      ['maprace/no-unguarded-map-in-timer', 17],
      ['maprace/no-unguarded-map-in-promise-all', 7],
    ]);
  });

  it('is valid with a parse error as a notification and no results', () => {
    const result = sarif(makeProject({ 'broken.ts': 'export const answer = ;\n' }));
    expect(result.status).toBe(0);
    expect(expectValid(result.stdout).runs[0]!.results).toEqual([]);
  });

  it('rejects a log that breaks the schema (the validator is not a rubber stamp)', () => {
    expect(validate({ version: '2.1.0', runs: [{ results: [] }] })).toBe(false);
    expect(validate.errors).toContainEqual(expect.objectContaining({ message: "must have required property 'tool'" }));
  });
});
