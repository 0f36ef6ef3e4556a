import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { convertIgnorePatternToMinimatch } from '@eslint/compat';
import type * as ts from 'typescript';

/** The TypeScript projects found above the paths, and the files each one type-checks. */
export interface TypedProject {
  tsconfigPath: string;
  files: ReadonlySet<string>;
}

/** Returns the nearest tsconfig.json at or above `start`, or undefined. */
export function findTsconfigAbove(start: string): string | undefined {
  let dir = existsSync(start) && statSync(start).isDirectory() ? start : path.dirname(start);
  for (;;) {
    const candidate = path.join(dir, 'tsconfig.json');
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
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

/** Reads a tsconfig.json the way tsc does and lists the files its program contains. */
export function readTypedProject(typescript: typeof ts, tsconfigPath: string): TypedProject {
  const parsed = typescript.getParsedCommandLineOfConfigFile(tsconfigPath, {}, {
    ...typescript.sys,
    onUnRecoverableConfigFileDiagnostic(diagnostic) {
      const text = typescript.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
      throw new Error(`${tsconfigPath}: ${text}`);
    },
  });
  const files = new Set((parsed?.fileNames ?? []).map((file) => path.resolve(file)));
  return { tsconfigPath, files };
}

/** The ignore patterns of the .gitignore in `cwd`, as flat-config `ignores` (empty when none). */
export function gitignorePatterns(cwd: string): string[] {
  const file = path.join(cwd, '.gitignore');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split(/\r?\n/u)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map(convertIgnorePatternToMinimatch);
}
