// The ESLint language server (vscode-eslint's server, as vscode-langservers-extracted ships it),
// started over stdio and driven as VS Code's ESLint extension drives it: the settings it answers
// `workspace/configuration` with, pulled diagnostics, code actions run as commands whose edit the
// server sends back with `workspace/applyEdit`.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type ApplyWorkspaceEditParams,
  type CodeAction,
  type Command,
  type ConfigurationParams,
  type Diagnostic,
  type DocumentDiagnosticReport,
  type LogMessageParams,
  type ProtocolConnection,
  type Range,
  type TextEdit,
} from 'vscode-languageserver-protocol/node';

const require = createRequire(import.meta.url);
const serverBin = path.join(
  path.dirname(require.resolve('vscode-langservers-extracted/package.json')),
  'bin/vscode-eslint-language-server',
);

/**
 * The settings the VS Code ESLint extension (3.x) sends for a file, with its defaults:
 * `useFlatConfig` is `eslint.useFlatConfig`, `experimental.useFlatConfig` the old
 * `eslint.experimental.useFlatConfig`.
 */
export function vscodeEslintSettings(workspace: string, overrides: Record<string, unknown> = {}) {
  return {
    validate: 'on',
    packageManager: 'npm',
    useESLintClass: false,
    experimental: { useFlatConfig: false },
    codeAction: {
      disableRuleComment: { enable: true, location: 'separateLine', commentStyle: 'line' },
      showDocumentation: { enable: true },
    },
    codeActionOnSave: { mode: 'all' },
    format: false,
    quiet: false,
    onIgnoredFiles: 'off',
    options: {},
    rulesCustomizations: [],
    run: 'onType',
    problems: { shortenToSingleLine: false },
    nodePath: null,
    workspaceFolder: { name: path.basename(workspace), uri: pathToFileURL(workspace).href },
    ...overrides,
  };
}

/** A position as an offset into `text`. */
function offsetAt(text: string, position: { line: number; character: number }): number {
  let offset = 0;
  for (let line = 0; line < position.line; line++) offset = text.indexOf('\n', offset) + 1;
  return offset + position.character;
}

/** `text` with the edits applied (LSP edits do not overlap and refer to the original text). */
export function applyTextEdits(text: string, edits: readonly TextEdit[]): string {
  const spans = edits
    .map((edit) => ({ start: offsetAt(text, edit.range.start), end: offsetAt(text, edit.range.end), newText: edit.newText }))
    .sort((a, b) => b.start - a.start);
  let result = text;
  for (const span of spans) result = result.slice(0, span.start) + span.newText + result.slice(span.end);
  return result;
}

/** One ESLint language server process and the client side of its connection. */
export class EslintLanguageServer {
  /** What the server logged (`window/logMessage`): where VS Code's ESLint output channel gets it. */
  readonly log: string[] = [];
  /**
   * What VS Code would put in front of the user: messages (`window/showMessage`, and as requests),
   * the ESLint extension's dialogs (no library, no config, probe failed) and a status bar in
   * warning or error (`eslint/status` with a state other than ok).
   */
  readonly shown: string[] = [];
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly connection: ProtocolConnection;
  private readonly versions = new Map<string, number>();
  private appliedEdits: TextEdit[][] = [];

  /** Starts the server in `workspace`, answering every configuration request with `settings`. */
  constructor(readonly workspace: string, settings: Record<string, unknown>) {
    this.child = spawn(process.execPath, [serverBin, '--stdio'], { cwd: workspace, stdio: 'pipe' });
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => this.log.push(chunk));
    this.connection = createProtocolConnection(
      new StreamMessageReader(this.child.stdout),
      new StreamMessageWriter(this.child.stdin),
    );
    this.connection.onRequest('workspace/configuration', (params: ConfigurationParams) => params.items.map(() => settings));
    this.connection.onRequest('workspace/applyEdit', (params: ApplyWorkspaceEditParams) => {
      const edits = (params.edit.documentChanges ?? []).flatMap((change) => ('edits' in change ? change.edits : []));
      this.appliedEdits.push([...edits, ...Object.values(params.edit.changes ?? {}).flat()] as TextEdit[]);
      return { applied: true };
    });
    for (const method of ['client/registerCapability', 'window/workDoneProgress/create', 'workspace/diagnostic/refresh']) {
      this.connection.onRequest(method, () => null);
    }
    this.connection.onNotification('window/logMessage', (params: LogMessageParams) => {
      this.log.push(params.message);
    });
    this.connection.onNotification('window/showMessage', (params: { message: string }) => {
      this.shown.push(params.message);
    });
    this.connection.onRequest('window/showMessageRequest', (params: { message: string }) => {
      this.shown.push(params.message);
      return null;
    });
    for (const method of ['eslint/noLibrary', 'eslint/noConfig', 'eslint/probeFailed']) {
      this.connection.onRequest(method, (params: unknown) => {
        this.shown.push(`${method} ${JSON.stringify(params)}`);
        return {};
      });
    }
    const statusOk = 1;
    this.connection.onNotification('eslint/status', (params: { uri: string; state: number }) => {
      if (params.state !== statusOk) this.shown.push(`eslint/status ${JSON.stringify(params)}`);
    });
    this.connection.listen();
  }

  /** `initialize` and `initialized` with the capabilities of VS Code that the server looks at. */
  async initialize(): Promise<void> {
    await this.connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: pathToFileURL(this.workspace).href,
      workspaceFolders: [{ name: path.basename(this.workspace), uri: pathToFileURL(this.workspace).href }],
      capabilities: {
        workspace: { configuration: true, workspaceFolders: true, applyEdit: true, workspaceEdit: { documentChanges: true } },
        textDocument: {
          diagnostic: { dynamicRegistration: false, relatedDocumentSupport: false },
          codeAction: {
            codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'source', 'source.fixAll', 'source.fixAll.eslint'] } },
            isPreferredSupport: true,
          },
        },
      },
    });
    await this.connection.sendNotification('initialized', {});
  }

  /** The URI of a workspace file. */
  uri(file: string): string {
    return pathToFileURL(path.join(this.workspace, file)).href;
  }

  async open(file: string, text: string): Promise<void> {
    this.versions.set(file, 1);
    await this.connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri: this.uri(file), languageId: 'typescript', version: 1, text },
    });
  }

  /** Sends the file's whole new text, as a full-content change. */
  async change(file: string, text: string): Promise<void> {
    const version = (this.versions.get(file) ?? 0) + 1;
    this.versions.set(file, version);
    await this.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri: this.uri(file), version },
      contentChanges: [{ text }],
    });
  }

  /** Pulls the file's diagnostics (`textDocument/diagnostic`), as VS Code does. */
  async diagnostics(file: string): Promise<Diagnostic[]> {
    const report: DocumentDiagnosticReport = await this.connection.sendRequest('textDocument/diagnostic', {
      textDocument: { uri: this.uri(file) },
    });
    if (report.kind !== 'full') throw new Error(`expected a full diagnostic report for ${file}, got '${report.kind}'`);
    return report.items;
  }

  /** The quick fixes the editor offers at `range` for `diagnostics`. */
  async codeActions(file: string, range: Range, diagnostics: Diagnostic[]): Promise<(CodeAction | Command)[]> {
    return (await this.connection.sendRequest('textDocument/codeAction', {
      textDocument: { uri: this.uri(file) },
      range,
      context: { diagnostics, only: ['quickfix'], triggerKind: 1 },
    })) ?? [];
  }

  /** Runs a code action's command and returns the edits the server asked the editor to apply. */
  async execute(command: Command): Promise<TextEdit[]> {
    this.appliedEdits = [];
    await this.connection.sendRequest('workspace/executeCommand', { command: command.command, arguments: command.arguments });
    const [edits, ...more] = this.appliedEdits;
    if (edits === undefined || more.length > 0) {
      throw new Error(`'${command.command}' should apply one workspace edit, it applied ${this.appliedEdits.length}`);
    }
    return edits;
  }

  /** Shuts the server down as VS Code does, and kills it if it has not exited within a second. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      try {
        await this.connection.sendRequest('shutdown');
        await this.connection.sendNotification('exit');
      } catch {
        // the server already went away: nothing to shut down
      }
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 1000))]);
      this.child.kill('SIGKILL');
    }
    this.connection.dispose();
  }
}
