import { existsSync } from 'node:fs';
import path from 'node:path';
import * as eslintApi from 'eslint';
import type { ESLint as ESLintInstance } from 'eslint';
import plugin from '../index.js';
import { parseCliArgs, usage, UsageError, type CliOptions } from './args.js';
import { sourceExtensions, sourceFiles } from '../configs/index.js';
import { createLintSetup, type LintSetup } from './config.js';
import { ignoredReason } from './ignored.js';
import { Progress } from './progress.js';
import { displayPath, isGlob, TsconfigError } from './project.js';
import { mapraceReportsOf, parseErrorOf } from './reports.js';
import { loadSarifFormatter, missingSarifMessage, type SarifFormatter } from './sarif.js';
import { formatStylish } from './stylish.js';

/** Where the command reads and writes; the real process by default, a fake one in tests. */
export interface CliIo {
  cwd: string;
  stdout: { write(text: string): unknown };
  stderr: NodeJS.WriteStream | { write(text: string): unknown; isTTY?: boolean };
}

// ESLint 8.57 and 9 choose between the flat and the .eslintrc class by this option; ESLint 10 has
// only the flat one and takes no option (its typings say so, hence the wider signature here).
const loadFlatESLint = (cwd: string) =>
  (eslintApi.loadESLint as (options: { useFlatConfig: true; cwd: string }) => Promise<typeof eslintApi.ESLint>)(
    { useFlatConfig: true, cwd },
  );

// ESLint 9 warns through process.emitWarning about the project's own config: a `.eslintignore`
// file, `/* eslint-env */` comments. maprace reads no such config, so they are noise here. ESLint
// takes process.emitWarning when it is constructed: it is wrapped for the construction only.
const projectConfigWarnings = new Set(['ESLintIgnoreWarning', 'ESLintEnvWarning']);
function withoutProjectConfigWarnings<T>(create: () => T): T {
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const [typeOrOptions] = rest;
    const type = typeof typeOrOptions === 'string' ? typeOrOptions : (typeOrOptions as { type?: string } | undefined)?.type;
    if (type !== undefined && projectConfigWarnings.has(type)) return;
    (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return create();
  } finally {
    process.emitWarning = emitWarning;
  }
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** What maprace says when the paths hold nothing it lints (exit code 2). */
const nothingToLint = (targets: readonly string[], explain = true) =>
  `no files to lint in ${targets.join(' ')}` +
  (explain ? ` (maprace lints ${sourceExtensions.map((extension) => `.${extension}`).join(' ')} files outside node_modules and .gitignore)` : '');

async function format(
  eslint: ESLintInstance,
  options: CliOptions,
  results: ESLintInstance.LintResult[],
  cwd: string,
  sarif: SarifFormatter | undefined,
): Promise<string> {
  const rulesMeta = eslint.getRulesMetaForResults(results);
  if (sarif !== undefined) return `${sarif(results, { cwd, rulesMeta })}\n`;
  const formatter = await eslint.loadFormatter(options.format);
  if (options.format === 'stylish') return formatStylish(formatter, results, { cwd, rulesMeta });
  return `${await formatter.format(results, { cwd, rulesMeta } as never)}\n`;
}

/**
 * How the files were analysed, as the summary says it: "type-aware with tsconfig.json" when a
 * tsconfig's program holds every linted file, "type-aware for N of M files (tsconfig.json);
 * syntactic for the rest" when it holds some of them, and "syntactic" otherwise (with why, when a
 * tsconfig.json was found but holds none of them).
 */
function typeAwareness(setup: LintSetup, results: readonly ESLintInstance.LintResult[], cwd: string): string {
  const name = (tsconfig: string) => displayPath(cwd, tsconfig);
  const owners = results.map((result) => setup.typedBy(result.filePath));
  const used = setup.typedProjects.map((p) => p.tsconfigPath).filter((tsconfig) => owners.includes(tsconfig));
  const typed = owners.filter((owner) => owner !== undefined).length;
  if (typed === 0) {
    return setup.typedProjects.length === 0
      ? 'syntactic'
      : `syntactic: ${setup.tsconfigs.map(name).join(', ')} ${setup.tsconfigs.length === 1 ? 'includes' : 'include'} none of these files`;
  }
  const names = used.map(name).join(', ');
  return typed === results.length
    ? `type-aware with ${names}`
    : `type-aware for ${typed} of ${plural(results.length, 'file')} (${names}); syntactic for the rest`;
}

/** Runs `maprace` with the given arguments; resolves to the process exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let options: CliOptions;
  try {
    options = parseCliArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`maprace: ${error.message} (see maprace --help)\n`);
    return 2;
  }
  if (options.help) {
    io.stdout.write(usage);
    return 0;
  }
  const ESLint = await loadFlatESLint(io.cwd);
  if (options.version) {
    io.stdout.write(`maprace ${plugin.meta.version} (ESLint ${ESLint.version})\n`);
    return 0;
  }
  const missing = options.paths.find(
    (target) => !isGlob(target) && !existsSync(path.resolve(io.cwd, target)),
  );
  if (missing !== undefined) {
    io.stderr.write(`maprace: no such file or directory: ${missing}\n`);
    return 2;
  }
  // The SARIF formatter is an optional peer dependency: loaded only for --format sarif, and
  // checked before the run rather than after it.
  const sarif = options.format === 'sarif' ? loadSarifFormatter(io.cwd) : undefined;
  if (options.format === 'sarif' && sarif === undefined) {
    io.stderr.write(`maprace: ${missingSarifMessage}\n`);
    return 2;
  }

  let setup;
  try {
    setup = createLintSetup({
      cwd: io.cwd,
      paths: options.paths,
      typeCheck: options.typeCheck,
      fix: options.fix,
      plugin,
    });
  } catch (error) {
    if (!(error instanceof TsconfigError)) throw error;
    io.stderr.write(`maprace: ${error.message}\n`);
    return 2;
  }
  for (const notice of setup.notices) io.stderr.write(`maprace: ${notice}\n`);

  const progress = io.stderr.isTTY === true ? new Progress(io.stderr as NodeJS.WriteStream) : undefined;
  const configs = [...setup.configs];
  if (progress !== undefined) {
    configs.push({
      files: sourceFiles,
      plugins: { 'maprace-cli': progress.plugin() },
      rules: { 'maprace-cli/count': 'warn' },
    });
  }
  // ESLint lints no file outside its working directory: it runs in one that holds every path.
  const eslint = withoutProjectConfigWarnings(() => new ESLint({
    cwd: setup.base,
    overrideConfigFile: true,
    overrideConfig: configs as never,
    fix: options.fix,
  }));

  progress?.start();
  let linted: ESLintInstance.LintResult[];
  try {
    linted = await eslint.lintFiles(setup.lintPaths);
  } catch (error) {
    const { messageTemplate, messageData } = error as { messageTemplate?: string; messageData?: { pattern?: string } };
    // ESLint names the path as it was given to it: name it as the user wrote it.
    const asGiven = (text: string) => setup.lintPaths.reduce(
      (named, lintPath, i) => (lintPath === options.paths[i] ? named : named.replaceAll(`'${lintPath}'`, `'${options.paths[i]}'`)),
      text,
    );
    const pattern = messageData?.pattern;
    const message = messageTemplate === 'all-matched-files-ignored'
      ? nothingToLint([pattern === undefined ? options.paths.join(', ') : options.paths[setup.lintPaths.indexOf(pattern)] ?? pattern])
      : asGiven((error as Error).message.split('\n')[0] ?? String(error));
    io.stderr.write(`maprace: ${message}\n`);
    return 2;
  } finally {
    progress?.stop();
  }
  // Files named on the command line that ESLint did not lint, and binary files, are not
  // problems: say why, and leave them out of the output and the counts.
  const results = linted.filter((result) => {
    const reason = setup.binaryFiles.has(result.filePath) ? 'a binary file (NUL bytes in its first 8 KB)' : ignoredReason(result);
    if (reason !== undefined) io.stderr.write(`maprace: skipped ${displayPath(io.cwd, result.filePath)}: ${reason}\n`);
    return reason === undefined;
  });
  if (results.length === 0) {
    // Each path was a file, and each was skipped with its reason just above.
    io.stderr.write(`maprace: ${nothingToLint(options.paths, false)}\n`);
    return 2;
  }
  if (options.fix) await ESLint.outputFixes(results);
  // A file that does not parse is not a race: a warning on stderr, not a problem and not exit 1.
  let unparsed = 0;
  for (const result of results) {
    const parseError = parseErrorOf(result);
    if (parseError === undefined) continue;
    unparsed += 1;
    const where = `${displayPath(io.cwd, result.filePath)}:${parseError.line}:${parseError.column}`;
    io.stderr.write(`maprace: warning: ${where}: ${parseError.message} (not analysed)\n`);
  }
  // Only maprace's own reports are shown and counted (see reports.ts).
  const reports = results.map((result) => mapraceReportsOf(result, options.format !== 'stylish'));
  const shown = options.quiet ? ESLint.getErrorResults(reports) : reports;

  const output = await format(eslint, options, shown, io.cwd, sarif);
  io.stdout.write(output);

  const errors = shown.reduce((sum, result) => sum + result.errorCount - result.fatalErrorCount, 0);
  const warnings = options.quiet ? 0 : shown.reduce((sum, result) => sum + result.warningCount, 0);
  const problems = errors + warnings;
  const withProblems = shown.filter((r) => r.errorCount - r.fatalErrorCount + (options.quiet ? 0 : r.warningCount) > 0);
  const typed = typeAwareness(setup, results, io.cwd);
  const files = plural(results.length, 'file');
  const notParsed = unparsed === 0 ? '' : `; ${plural(unparsed, 'file')} not parsed`;
  const summary = problems === 0
    ? `maprace: no problems in ${files} (${typed})${notParsed}\n`
    : `maprace: ${plural(problems, 'problem')} (${plural(errors, 'error')}, ${plural(warnings, 'warning')}) in ${withProblems.length} of ${files} (${typed})${notParsed}\n`;
  (options.format === 'stylish' ? io.stdout : io.stderr).write(summary);
  return problems > 0 ? 1 : 0;
}
