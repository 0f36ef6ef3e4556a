import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { convertIgnorePatternToMinimatch } from '@eslint/compat';
import type * as ts from 'typescript';
import { sourceExtensions } from '../configs/index.js';

/** A tsconfig.json and the files of its program that maprace lints. */
export interface TypedProject {
  tsconfigPath: string;
  files: ReadonlySet<string>;
}

/** The projects that give type information, and why a tsconfig found on the way gives none. */
export interface TypedProjects {
  projects: TypedProject[];
  /** One line per tsconfig.json left out, naming it and what it lacks (printed to stderr). */
  notices: string[];
}

/** A tsconfig.json the CLI cannot use: reported in one line, exit code 2. */
export class TsconfigError extends Error {
  override readonly name = 'TsconfigError';
}

const isDirectory = (file: string): boolean => {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
};

/**
 * A path as maprace names it: relative to the current directory, unless it is outside it and the
 * absolute path is shorter (`/srv/app/tsconfig.json`, not `../../../srv/app/tsconfig.json`).
 */
export function displayPath(cwd: string, file: string): string {
  const relative = path.relative(cwd, file);
  if (relative === '') return path.basename(file);
  return relative.startsWith('..') && file.length < relative.length ? file : relative;
}

/**
 * True for a file maprace lints: a JavaScript or TypeScript file by its extension, whatever else
 * a tsconfig's program holds (`.json` with `resolveJsonModule`, `.vue`, `.d.ts` of a package…).
 */
export const isSourceFile = (file: string): boolean =>
  (sourceExtensions as readonly string[]).includes(path.extname(file).slice(1));

/** True when a command-line target is a glob rather than a path. */
export const isGlob = (target: string): boolean => /[*?[\]{}]/u.test(target);

/** The nearest directory at or above `start` (a file or a directory) that holds `name`, or undefined. */
function findUp(start: string, name: string): string | undefined {
  let dir = isDirectory(start) ? start : path.dirname(start);
  for (;;) {
    if (existsSync(path.join(dir, name))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Returns the nearest tsconfig.json at or above `start`, or undefined. */
export function findTsconfigAbove(start: string): string | undefined {
  const dir = findUp(start, 'tsconfig.json');
  return dir === undefined ? undefined : path.join(dir, 'tsconfig.json');
}

/** Loads the TypeScript the linted project uses, falling back to ours; undefined when absent. */
export function loadTypeScript(cwd: string): typeof ts | undefined {
  for (const base of [path.join(cwd, 'noop.js'), import.meta.url]) {
    try {
      return createRequire(base)('typescript') as typeof ts;
    } catch {
      // not installed there; try the next place
    }
  }
  return undefined;
}

// "No inputs were found in config file": a tsconfig whose program is empty (a solution-style
// tsconfig, or one whose `include` matches nothing) is usable; it just types no file.
const NO_INPUTS = 18003;
// "File '…' not found" (an `extends` naming a package) and "Cannot read file '…'" (a relative
// one): what the tsconfig extends is not there, typically a package not installed in this
// checkout. typescript-eslint refuses such a tsconfig for every file, yet the project is fine.
const EXTENDS_NOT_FOUND = new Set([6053, 5083]);

/**
 * Reads a tsconfig.json the way tsc does and lists the source files its program contains, then
 * the projects it references (`references`, depth first, each once), the way `tsc --build` finds
 * them: a solution-style tsconfig (`"files": [], "references": [...]`) types nothing itself.
 * What a checkout may lack leaves a project out with a notice, its files linted syntactically: an
 * `extends` that does not resolve (a package not installed) and a reference to a project that does
 * not exist. Throws a TsconfigError, naming the file, for a tsconfig that is wrong in itself (a
 * syntax error, an unknown option).
 */
export function readTypedProjects(typescript: typeof ts, tsconfigPath: string, cwd: string): TypedProjects {
  const projects: TypedProject[] = [];
  const notices: string[] = [];
  const seen = new Set<string>();
  const describe = (file: string) => displayPath(cwd, file);
  const fail = (file: string, diagnostic: ts.Diagnostic): never => {
    // One line: TypeScript's message, where it is, and the way out.
    const text = typescript.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
    let where = describe(file);
    if (diagnostic.file !== undefined && diagnostic.start !== undefined) {
      const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
      where = `${describe(diagnostic.file.fileName)}:${line + 1}:${character + 1}`;
    }
    throw new TsconfigError(`invalid ${where}: ${text} (fix it, or lint without types: --no-type-check)`);
  };
  const visit = (file: string, referencedBy?: string) => {
    const configPath = path.resolve(file);
    if (seen.has(configPath)) return;
    seen.add(configPath);
    if (referencedBy !== undefined && !existsSync(configPath)) {
      notices.push(`${describe(referencedBy)} references ${describe(configPath)}, which does not exist: linting without that project's type information`);
      return;
    }
    const parsed = typescript.getParsedCommandLineOfConfigFile(configPath, {}, {
      ...typescript.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => fail(configPath, diagnostic),
    });
    if (parsed === undefined) throw new TsconfigError(`${describe(configPath)}: cannot be read`);
    // getConfigFileParsingDiagnostics: the JSON syntax errors too, which `errors` leaves out.
    const errors = typescript.getConfigFileParsingDiagnostics(parsed).filter(
      (diagnostic) => diagnostic.category === typescript.DiagnosticCategory.Error && diagnostic.code !== NO_INPUTS,
    );
    const error = errors.find((diagnostic) => !EXTENDS_NOT_FOUND.has(diagnostic.code));
    if (error !== undefined) fail(configPath, error);
    const missingBase = errors[0];
    if (missingBase === undefined) {
      const files = parsed.fileNames.filter(isSourceFile).map((name) => path.resolve(name));
      projects.push({ tsconfigPath: configPath, files: new Set(files) });
    } else {
      // TypeScript's text names what is missing in quotes: as written for a package, absolute for a file.
      const text = typescript.flattenDiagnosticMessageText(missingBase.messageText, ' ');
      const base = /'([^']+)'/u.exec(text)?.[1] ?? text;
      const missing = path.isAbsolute(base) ? `${describe(base)}, which does not exist` : `${base}, which is not installed`;
      notices.push(`${describe(configPath)} extends ${missing}: linting the files it includes without type information`);
    }
    for (const reference of parsed.projectReferences ?? []) visit(typescript.resolveProjectReferencePath(reference), configPath);
  };
  visit(tsconfigPath);
  return { projects, notices };
}

/** The nearest directory at or above `start` that holds `.git` (a repository or a worktree), or undefined. */
export function findGitRoot(start: string): string | undefined {
  return findUp(start, '.git');
}

const isInside = (dir: string, file: string): boolean => {
  const relative = path.relative(dir, file);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
};

/** The directory a path (a file, a directory or a glob) names: a glob's leading part without wildcards. */
export function targetDirectory(cwd: string, target: string): string {
  const segments = target.split(/[\\/]/u);
  const firstGlob = segments.findIndex(isGlob);
  const fixed = path.resolve(cwd, firstGlob === -1 ? target : segments.slice(0, firstGlob).join('/') || '.');
  return isDirectory(fixed) ? fixed : path.dirname(fixed);
}

/**
 * Where the .gitignore files that apply to `dir` start: the root of the git repository holding
 * it. Outside a repository: the current directory when `dir` is inside it, else the outermost
 * directory above `dir` that is not above the current directory (for `../other/src`, `../other`).
 */
export function ignoreRoot(dir: string, cwd: string): string {
  const gitRoot = findGitRoot(dir);
  if (gitRoot !== undefined) return gitRoot;
  if (isInside(cwd, dir)) return cwd;
  const common = commonAncestor([cwd, dir]);
  return path.join(common, path.relative(common, dir).split(path.sep)[0]!);
}

/** The deepest directory that holds every one of `dirs`. */
export function commonAncestor(dirs: readonly string[]): string {
  let common = path.resolve(dirs[0] ?? '.');
  for (const dir of dirs.slice(1)) {
    while (!isInside(common, dir)) common = path.dirname(common);
  }
  return common;
}

/** Escapes what minimatch would read as a wildcard in a directory name (`app/[id]`). */
const escapeGlob = (text: string): string => text.replace(/[*?[\]{}()!+@\\]/gu, '\\$&');

/** Git's lines of an ignore file: no comments or blank lines, trailing blanks dropped. */
function ignoreLines(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split(/\r?\n/u)
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== '' && !line.startsWith('#'));
}

/** The lines of an ignore file in `dir`, as flat-config ignore patterns relative to `base`. */
function rebase(lines: readonly string[], dir: string, base: string): string[] {
  const prefix = path.relative(base, dir).split(path.sep).filter(Boolean).map(escapeGlob).join('/');
  return lines.map((line) => {
    const pattern = convertIgnorePatternToMinimatch(line);
    if (prefix === '') return pattern;
    return pattern.startsWith('!') ? `!${prefix}/${pattern.slice(1)}` : `${prefix}/${pattern}`;
  });
}

// A line naming one directory with no wildcard (`dist/`, `/coverage`, `.venv`): git does not look
// into such a directory, so neither does the search for nested .gitignore files.
const plainName = /^(\/?)([^*?[\]\\!/]+)\/?$/u;

/**
 * The ignore rules of git for the linted paths, as flat-config `ignores` relative to `base` (the
 * ESLint working directory, which holds every path and every directory below). As git does, it
 * reads `.git/info/exclude` of the repository, the `.gitignore` of each directory from the root
 * (see ignoreRoot) down to each path, and every `.gitignore` below a path that is a directory,
 * each applying relative to its own directory; a deeper file's lines come later and so win.
 * `node_modules` is not searched (ESLint always ignores it).
 */
export function gitignorePatterns(
  base: string,
  /**
   * The directory of each path (see targetDirectory), where its ignore files start (see
   * ignoreRoot), and whether the ignore files below it are read too (a directory or a glob).
   */
  targets: readonly { dir: string; root: string; walk: boolean }[],
): string[] {
  const patterns: string[] = [];
  const read = new Set<string>();
  // Directory names the search skips: for each directory read, the plain names its .gitignore
  // excludes, anchored (that directory only) or not (any depth below), and whether it has a
  // negation (`!name`), which could bring an excluded directory back: then nothing below it is
  // skipped.
  const skipped = new Map<string, { anywhere: Set<string>; here: Set<string>; negates: boolean }>();

  const readDir = (dir: string) => {
    if (read.has(dir)) return;
    read.add(dir);
    const lines = ignoreLines(path.join(dir, '.gitignore'));
    if (lines.length === 0) return;
    patterns.push(...rebase(lines, dir, base));
    const names = { anywhere: new Set<string>(), here: new Set<string>(), negates: false };
    for (const line of lines) {
      if (line.startsWith('!')) names.negates = true;
      const match = plainName.exec(line);
      if (match !== null) (match[1] === '/' ? names.here : names.anywhere).add(match[2]!);
    }
    skipped.set(dir, names);
  };
  const isSkipped = (parent: string, name: string): boolean => {
    let excluded = skipped.get(parent)?.here.has(name) === true;
    for (let dir = parent; ; ) {
      const names = skipped.get(dir);
      if (names?.negates === true) return false;
      if (names?.anywhere.has(name) === true) excluded = true;
      const up = path.dirname(dir);
      if (up === dir) return excluded;
      dir = up;
    }
  };
  const walked = new Set<string>();
  const walk = (dir: string) => {
    if (walked.has(dir)) return;
    walked.add(dir);
    readDir(dir);
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (!entry.isDirectory() || entry.name === 'node_modules' || entry.name === '.git') continue;
      if (isSkipped(dir, entry.name)) continue;
      walk(path.join(dir, entry.name));
    }
  };

  // .git/info/exclude ranks below every .gitignore: first.
  for (const root of new Set(targets.map((target) => target.root))) {
    const exclude = path.join(root, '.git', 'info', 'exclude');
    if (isDirectory(path.join(root, '.git'))) patterns.push(...rebase(ignoreLines(exclude), root, base));
  }
  for (const { dir, root } of targets) {
    const chain: string[] = [];
    for (let at = dir; isInside(root, at); at = path.dirname(at)) {
      chain.unshift(at);
      if (at === root) break;
    }
    chain.forEach(readDir);
  }
  for (const target of targets) if (target.walk) walk(target.dir);
  return patterns;
}
