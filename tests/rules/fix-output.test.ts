/**
 * Every fix the rules make, on realistic racy files (examples/racy, the compat fixture and the
 * corpus), parses, type-checks under `strict`, and is not reported again: applied all together
 * (`eslint --fix` with the strict config) and each suggestion on its own.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import tsParser from '@typescript-eslint/parser';
import { Linter } from 'eslint';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import plugin from '../../lib/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

function racyFiles(): string[] {
  const folders = ['examples/racy', 'tests/fixtures/compat/src', 'tests/fixtures/rules/racy'];
  return folders.flatMap((folder) => {
    try {
      return readdirSync(path.join(root, folder))
        .filter((name) => name.endsWith('.ts'))
        .map((name) => path.join(root, folder, name));
    } catch {
      return [];
    }
  });
}

const strict = [
  { files: ['**/*.ts'], languageOptions: { parser: tsParser } },
  plugin.configs.strict as Linter.Config,
];

const linter = new Linter({ configType: 'flat', cwd: root });

/** Type-checks files (some replaced by new text) and returns the diagnostics of those files. */
function typeErrors(replaced: ReadonlyMap<string, string>): string[] {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
    types: ['node'],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    paths: { 'eslint-plugin-maprace/runtime': [path.join(root, 'lib/runtime/index.ts')] },
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  host.readFile = (file) => replaced.get(path.resolve(file)) ?? readFile(file);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (file, language, onError, create) => {
    const text = replaced.get(path.resolve(file));
    return text === undefined ? getSourceFile(file, language, onError, create) : ts.createSourceFile(file, text, language);
  };
  const program = ts.createProgram([...replaced.keys()], options, host);
  return [...replaced.keys()].flatMap((file) =>
    ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((diagnostic) => {
      const where = diagnostic.file && diagnostic.start !== undefined ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start) : null;
      return `${path.relative(root, file)}:${where ? where.line + 1 : '?'} ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
    }),
  );
}

const files = racyFiles();

describe('fix output', () => {
  it('has racy files to fix, and a type-check that sees errors', () => {
    expect(files.length).toBeGreaterThanOrEqual(6);
    const broken = "import { SafeMap } from 'eslint-plugin-maprace/runtime';\nexport const m = new SafeMap<string, number>();\nm.update('k', async (old) => `${old}`);\n";
    expect(typeErrors(new Map([[files[0]!, broken]]))).toHaveLength(1);
  });

  it.each(files.map((file) => [path.relative(root, file), file]))('%s: eslint --fix output type-checks and is not reported again', (_, file) => {
    const source = readFileSync(file, 'utf8');
    const before = linter.verify(source, strict, file).filter((message) => message.ruleId?.startsWith('maprace/'));
    expect(before.length).toBeGreaterThan(0);
    const fixed = linter.verifyAndFix(source, strict, file);
    expect(fixed.messages.filter((message) => message.fatal)).toEqual([]);
    // what remains is what has no safe rewrite (and says so)
    for (const message of fixed.messages.filter((m) => m.ruleId?.startsWith('maprace/'))) {
      expect(message.suggestions ?? []).toEqual([]);
    }
    expect(typeErrors(new Map([[file, fixed.output]]))).toEqual([]);
  });

  it.each(files.map((file) => [path.relative(root, file), file]))('%s: each suggestion on its own type-checks and removes its report', (_, file) => {
    const source = readFileSync(file, 'utf8');
    const messages = linter.verify(source, strict, file).filter((message) => message.ruleId?.startsWith('maprace/'));
    for (const message of messages) {
      for (const suggestion of message.suggestions ?? []) {
        const output = source.slice(0, suggestion.fix.range[0]) + suggestion.fix.text + source.slice(suggestion.fix.range[1]);
        const after = linter.verify(output, strict, file);
        expect(after.filter((m) => m.fatal)).toEqual([]);
        expect(after.filter((m) => m.ruleId === message.ruleId).length).toBe(
          messages.filter((m) => m.ruleId === message.ruleId).length - 1,
        );
        expect(typeErrors(new Map([[file, output]]))).toEqual([]);
      }
    }
  });
});
