// One fixture project linted by every ESLint the plugin supports, with the configs a user writes:
// eslint.config.mjs for flat config, .eslintrc.cjs for the legacy loader.
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/run.js';

const require = createRequire(import.meta.url);
const fixture = path.join(repoRoot, 'tests/fixtures/compat');

interface Diagnostic {
  file: string;
  ruleId: string | null;
  line: number;
  column: number;
  endLine: number | undefined;
  endColumn: number | undefined;
  severity: number;
  message: string;
}

type LintResult = { filePath: string; messages: Omit<Diagnostic, 'file'>[] };
interface ESLintLike {
  version: string;
  new (options: { cwd: string }): { lintFiles(patterns: string[]): Promise<LintResult[]> };
}

async function lintFixture(eslintModule: string, useFlatConfig: boolean) {
  const { loadESLint } = require(eslintModule) as {
    loadESLint(options: { useFlatConfig: boolean; cwd: string }): Promise<ESLintLike>;
  };
  const ESLint = await loadESLint({ useFlatConfig, cwd: fixture });
  const results = await new ESLint({ cwd: fixture }).lintFiles(['src']);
  const diagnostics: Diagnostic[] = results.flatMap((result) =>
    result.messages.map((m) => ({
      file: path.relative(fixture, result.filePath),
      ruleId: m.ruleId,
      line: m.line,
      column: m.column,
      endLine: m.endLine,
      endColumn: m.endColumn,
      severity: m.severity,
      message: m.message,
    })),
  );
  diagnostics.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
  return {
    version: ESLint.version,
    files: results.map((r) => path.relative(fixture, r.filePath)).sort(),
    diagnostics,
  };
}

const setups = [
  { name: 'ESLint 10, flat config', module: 'eslint', flat: true, major: '10' },
  { name: 'ESLint 9, flat config', module: 'eslint9', flat: true, major: '9' },
  { name: 'ESLint 9, .eslintrc (ESLINT_USE_FLAT_CONFIG=false)', module: 'eslint9', flat: false, major: '9' },
  { name: 'ESLint 8.57, .eslintrc', module: 'eslint8', flat: false, major: '8' },
] as const;

describe('the same diagnostics under every supported ESLint', () => {
  const runs = new Map<string, Awaited<ReturnType<typeof lintFixture>>>();
  beforeAll(async () => {
    for (const setup of setups) runs.set(setup.name, await lintFixture(setup.module, setup.flat));
  });

  it.each(setups)('$name runs the ESLint it claims', ({ name, major }) => {
    expect(runs.get(name)?.version.split('.')[0]).toBe(major);
  });

  it.each(setups)('$name lints every fixture file', ({ name }) => {
    const sources = readdirSync(path.join(fixture, 'src')).map((f) => path.join('src', f)).sort();
    expect(runs.get(name)?.files).toEqual(sources);
  });

  it('reports the fixture\'s races (the plugin\'s rules and the core rule it is compared with)', () => {
    const reference = runs.get(setups[0].name)!;
    expect(reference.diagnostics.map((d) => d.ruleId)).toContain('require-atomic-updates');
    // Every recommended rule must fire on the fixture, so that its behaviour is compared too.
    const plugin = require('eslint-plugin-maprace') as { rules: Record<string, { meta: { docs: { recommended: string } } }> };
    for (const [name, rule] of Object.entries(plugin.rules)) {
      if (rule.meta.docs.recommended !== 'recommended') continue;
      expect(reference.diagnostics.map((d) => d.ruleId)).toContain(`maprace/${name}`);
    }
  });

  it.each(setups.slice(1))('$name reports exactly what ESLint 10 reports', ({ name }) => {
    expect(runs.get(name)?.diagnostics).toEqual(runs.get(setups[0].name)?.diagnostics);
  });
});
