/**
 * The corpus (tests/fixtures/rules): application code written the way people write it, racy and
 * correct. Each racy file marks the line where every report must start with
 * `// expect: <rule>/<messageId>`; the safe files must produce no report at all. Checked with
 * and without type information.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import tsParser from '@typescript-eslint/parser';
import { ESLint, type Linter } from 'eslint';
import { describe, expect, it } from 'vitest';
import plugin from '../../lib/index.js';

const corpus = fileURLToPath(new URL('../fixtures/rules', import.meta.url));
const files = ['racy', 'safe'].flatMap((folder) =>
  readdirSync(path.join(corpus, folder))
    .filter((name) => name.endsWith('.ts'))
    .map((name) => path.join(folder, name)),
);

/** `line rule/messageId` for every `// expect:` comment of a file. */
function expected(file: string): string[] {
  const lines = readFileSync(path.join(corpus, file), 'utf8').split('\n');
  return lines.flatMap((line, index) =>
    [...line.matchAll(/\/\/ expect: ([\w-]+\/\w+)/gu)].map((match) => `${index + 1} ${match[1]}`),
  );
}

function eslintFor(typed: boolean): ESLint {
  const rules = Object.fromEntries(Object.keys(plugin.rules).map((name) => [`maprace/${name}`, 'error' as const]));
  const languageOptions: Linter.Config['languageOptions'] = typed
    ? { parser: tsParser, parserOptions: { projectService: true, tsconfigRootDir: corpus } }
    : { parser: tsParser };
  return new ESLint({
    cwd: corpus,
    overrideConfigFile: true,
    overrideConfig: [{ files: ['**/*.ts'], languageOptions, plugins: { maprace: plugin as never }, rules }],
  });
}

describe.each([
  ['without type information', false],
  ['with type information', true],
])('the corpus %s', (_, typed) => {
  const results = eslintFor(typed).lintFiles(files);

  it('has racy and safe files', () => {
    expect(files.filter((file) => file.startsWith('racy/')).length).toBeGreaterThanOrEqual(12);
    expect(files.filter((file) => file.startsWith('safe/')).length).toBeGreaterThanOrEqual(12);
  });

  it.each(files)('%s', async (file) => {
    const result = (await results).find((r) => r.filePath === path.join(corpus, file))!;
    expect(result.messages.filter((message) => message.fatal)).toEqual([]);
    const reported = result.messages.map((message) => `${message.line} ${message.ruleId!.replace('maprace/', '')}/${message.messageId}`);
    expect(reported.sort()).toEqual(expected(file).sort());
  });
});
