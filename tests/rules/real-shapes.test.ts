/**
 * The real-shapes corpus (tests/fixtures/real-shapes, issue 9): for each category of race real
 * programs have, racy files and their fixed twins, written like application code. Checked with and
 * without type information:
 * - every fixed file is silent;
 * - every `// expect: <rule>/<messageId>` line is reported with that rule and message, and nothing
 *   else in a racy file is reported;
 * - a `// miss: <rule>/<messageId> — <why>` line (a real race the rules do not catch yet) is NOT
 *   reported with it: the day it is caught, this test fails until the marker becomes `expect:`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import tsParser from '@typescript-eslint/parser';
import { ESLint, type Linter } from 'eslint';
import { describe, expect, it } from 'vitest';
import plugin from '../../lib/index.js';

const corpus = fileURLToPath(new URL('../fixtures/real-shapes', import.meta.url));
const categories = ['callers', 'foreign-maps', 'then-gaps', 'accessors-fields', 'publish-timers', 'precision'];
const kinds = ['racy', 'fixed'] as const;

/** The `.ts` files of one folder of a category, as paths relative to the corpus. */
function filesOf(category: string, kind: (typeof kinds)[number]): string[] {
  return readdirSync(path.join(corpus, category, kind))
    .filter((name) => name.endsWith('.ts'))
    .sort()
    .map((name) => path.join(category, kind, name));
}

const files = categories.flatMap((category) => kinds.flatMap((kind) => filesOf(category, kind)));

/** `line rule/messageId` of every marker of a kind in a file. */
function markers(file: string, marker: 'expect' | 'miss'): string[] {
  const pattern = new RegExp(`// ${marker}: ([\\w-]+/\\w+)`, 'gu');
  return readFileSync(path.join(corpus, file), 'utf8')
    .split('\n')
    .flatMap((line, index) => [...line.matchAll(pattern)].map((match) => `${index + 1} ${match[1]}`));
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

describe('the real-shapes corpus', () => {
  it.each(categories)('%s has at least four racy files, each with its fixed twin', (category) => {
    const racy = filesOf(category, 'racy').map((file) => path.basename(file));
    const fixed = filesOf(category, 'fixed').map((file) => path.basename(file));
    expect(racy.length).toBeGreaterThanOrEqual(4);
    expect(fixed).toEqual(racy);
  });

  it.each(files.filter((file) => file.includes(`${path.sep}racy${path.sep}`)))('%s marks at least one race', (file) => {
    expect([...markers(file, 'expect'), ...markers(file, 'miss')].length).toBeGreaterThan(0);
  });

  it.each(files.filter((file) => file.includes(`${path.sep}fixed${path.sep}`)))('%s marks no race', (file) => {
    expect([...markers(file, 'expect'), ...markers(file, 'miss')]).toEqual([]);
  });
});

describe.each([
  ['without type information', false],
  ['with type information', true],
])('the rules on the real-shapes corpus %s', (_, typed) => {
  const results = eslintFor(typed).lintFiles(files);

  /** `line rule/messageId` of every report on a file (parse errors fail the test). */
  async function reported(file: string): Promise<string[]> {
    const result = (await results).find((r) => r.filePath === path.join(corpus, file))!;
    expect(result.messages.filter((message) => message.fatal)).toEqual([]);
    return result.messages.map((message) => `${message.line} ${message.ruleId!.replace('maprace/', '')}/${message.messageId}`);
  }

  describe.each(categories)('%s', (category) => {
    it.each(filesOf(category, 'fixed'))('%s is silent', async (file) => {
      expect(await reported(file)).toEqual([]);
    });

    it.each(filesOf(category, 'racy'))('%s reports exactly its expect: lines', async (file) => {
      const reports = await reported(file);
      const misses = markers(file, 'miss');
      expect(
        reports.filter((report) => misses.includes(report)),
        'a race marked miss: is reported now: change its marker to expect:',
      ).toEqual([]);
      expect(reports.sort()).toEqual(markers(file, 'expect').sort());
    });
  });
});
