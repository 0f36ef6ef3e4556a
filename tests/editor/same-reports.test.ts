// The racy examples reported the same way whichever road the user takes: the `maprace` command,
// ESLint's Node API, `eslint --concurrency=2` (lint workers, ESLint 10) and the editor's language
// server, in one project with the flat recommended-type-checked config.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRacyWorkspace, racyFiles } from '../helpers/editor-workspace.js';
import { EslintLanguageServer, vscodeEslintSettings } from '../helpers/eslint-language-server.js';
import { repoRoot, run } from '../helpers/run.js';

interface Report {
  file: string;
  ruleId: string | null;
  line: number;
  column: number;
  message: string;
}
interface LintResult {
  filePath: string;
  messages: { ruleId: string | null; line: number; column: number; message: string }[];
}

const workspace = makeRacyWorkspace({ config: 'flat' });
const byPosition = (a: Report, b: Report) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column;

function reportsOf(results: LintResult[]): Report[] {
  return results
    .flatMap((result) =>
      result.messages.map(({ ruleId, line, column, message }) => ({
        file: path.relative(workspace, result.filePath),
        ruleId,
        line,
        column,
        message,
      })),
    )
    .sort(byPosition);
}

/** Runs a command in the workspace that prints ESLint's JSON format, and checks it exits 1 (problems found). */
function jsonReports(args: string[]): Report[] {
  const result = run(process.execPath, args, { cwd: workspace });
  expect(result.status, result.stderr).toBe(1);
  return reportsOf(JSON.parse(result.stdout) as LintResult[]);
}

describe('the racy examples through every road', () => {
  let server: EslintLanguageServer;
  beforeAll(async () => {
    server = new EslintLanguageServer(workspace, vscodeEslintSettings(workspace));
    await server.initialize();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('give identical reports (rule id, line, column, message) through the CLI, the Node API, --concurrency=2 and the language server', async () => {
    const cli = jsonReports([path.join(repoRoot, 'dist/cli/bin.js'), '--format', 'json', 'racy']);
    const nodeApi = reportsOf(await new ESLint({ cwd: workspace }).lintFiles(['racy']));
    const workers = jsonReports([path.join(repoRoot, 'node_modules/eslint/bin/eslint.js'), '--concurrency=2', '--format', 'json', 'racy']);

    const editor: Report[] = [];
    for (const file of racyFiles) {
      await server.open(file, readFileSync(path.join(workspace, file), 'utf8'));
      for (const diagnostic of await server.diagnostics(file)) {
        editor.push({
          file,
          ruleId: typeof diagnostic.code === 'string' ? diagnostic.code : null,
          line: diagnostic.range.start.line + 1,
          column: diagnostic.range.start.character + 1,
          message: typeof diagnostic.message === 'string' ? diagnostic.message : diagnostic.message.value,
        });
      }
    }
    editor.sort(byPosition);

    // One race in each racy example, found by the rule for the task source it uses.
    expect(nodeApi.map(({ file, ruleId, line, column }) => [file, ruleId, `${line}:${column}`])).toEqual([
      ['racy/job-worker.ts', 'maprace/no-unguarded-map-in-worker-message', '8:15'],
      ['racy/route-stats.ts', 'maprace/no-unguarded-map-in-promise-all', '7:16'],
      ['racy/session-sweeper.ts', 'maprace/no-unguarded-map-in-timer', '17:3'],
      ['racy/user-cache.ts', 'maprace/no-unguarded-map-in-promise-all', '7:18'],
    ]);
    expect(cli).toEqual(nodeApi);
    expect(workers).toEqual(nodeApi);
    expect(editor).toEqual(nodeApi);
  });
});
