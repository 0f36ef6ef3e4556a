import path from 'node:path';
import parser from '@typescript-eslint/parser';
import type { TSESLint } from '@typescript-eslint/utils';
import { sourceFiles } from '../configs/index.js';
import type { MapracePlugin } from '../index.js';
import { binaryFilesConfig } from './binary.js';
import {
  commonAncestor,
  findTsconfigAbove,
  gitignorePatterns,
  isGlob,
  ignoreRoot,
  loadTypeScript,
  readTypedProjects,
  targetDirectory,
  type TypedProject,
} from './project.js';

type FlatConfig = TSESLint.FlatConfig.Config;



export interface LintSetup {
  configs: FlatConfig[];
  /**
   * ESLint's working directory: the directory that holds every path (ESLint lints nothing outside
   * its own), the root of their git repository when they are in one (its .gitignore files apply).
   */
  base: string;
  /** The paths as ESLint takes them: as given when `base` is the current directory, else absolute. */
  lintPaths: string[];
  /** The tsconfig.json files found above the paths (before following their `references`). */
  tsconfigs: string[];
  /** The projects whose programs give the rules type information: the tsconfigs and their references. */
  typedProjects: TypedProject[];
  /** The tsconfig.json that type-checks a file, undefined for a file linted syntactically. */
  typedBy(file: string): string | undefined;
  /** Things the user should know about how the run was set up (printed to stderr). */
  notices: string[];
  /** The binary files with a source extension that the run met and did not lint (filled as ESLint runs). */
  binaryFiles: ReadonlySet<string>;
}

/**
 * The flat config `maprace` lints with, whatever config the project has: the plugin's
 * recommended rules (strict, whose fixes apply, with --fix) on every JavaScript and TypeScript
 * file, type-aware on the files that a tsconfig.json above the paths (or a project it references)
 * contains and syntactic on the rest, skipping what git ignores and binary files. A tsconfig.json
 * that extends what is not installed, or references a project that does not exist, leaves its
 * files syntactic with a notice; one that is wrong in itself throws a TsconfigError.
 */
export function createLintSetup(options: {
  cwd: string;
  paths: readonly string[];
  typeCheck: boolean;
  /** With --fix the rules apply their rewrites (the strict config's `autofix: true`). */
  fix?: boolean;
  plugin: MapracePlugin;
}): LintSetup {
  const { cwd, paths, typeCheck, plugin } = options;
  const notices: string[] = [];

  const targets = paths.map((target) => {
    const dir = targetDirectory(cwd, target);
    const walk = isGlob(target) || dir === path.resolve(cwd, target);
    return { dir, root: ignoreRoot(dir, cwd), walk };
  });
  const base = commonAncestor(targets.map((target) => target.root));
  const lintPaths = base === cwd ? [...paths] : paths.map((target) => path.resolve(cwd, target));

  const binary = binaryFilesConfig();
  const configs: FlatConfig[] = [
    // ESLint ignores node_modules by default, but a later `!node_modules/` would bring it back:
    // node_modules comes last, so that no .gitignore line can.
    { name: 'maprace-cli/gitignore', ignores: [...gitignorePatterns(base, targets), '**/node_modules/'] },
    {
      name: 'maprace-cli/sources',
      files: sourceFiles,
      languageOptions: { parser, parserOptions: { ecmaFeatures: { jsx: true } } },
      // The project's `eslint-disable` comments name rules of its own config, which maprace does
      // not load: reported as unused, they would be noise, and --fix would delete them.
      linterOptions: { reportUnusedDisableDirectives: 'off' },
    },
    { ...(options.fix === true ? plugin.configs.strict : plugin.configs.recommended), files: sourceFiles },
    binary.config,
  ];

  const tsconfigs = new Set<string>();
  const typedProjects: TypedProject[] = [];
  // Each file is type-checked by the first project that contains it: the tsconfig found above
  // it, then the projects that one references.
  const owner = new Map<string, string>();
  if (typeCheck) {
    for (const target of targets) {
      const found = findTsconfigAbove(target.dir);
      if (found !== undefined) tsconfigs.add(found);
    }
    const typescript = tsconfigs.size > 0 ? loadTypeScript(cwd) : undefined;
    if (tsconfigs.size > 0 && typescript === undefined) {
      notices.push('typescript is not installed: linting without type information');
    }
    if (typescript !== undefined) {
      for (const tsconfigPath of tsconfigs) {
        const read = readTypedProjects(typescript, tsconfigPath, cwd);
        notices.push(...read.notices);
        for (const project of read.projects) {
          if (typedProjects.some((known) => known.tsconfigPath === project.tsconfigPath)) continue;
          typedProjects.push(project);
          for (const file of project.files) if (!owner.has(file)) owner.set(file, project.tsconfigPath);
        }
      }
      for (const project of typedProjects) {
        configs.push({
          name: `maprace-cli/typed:${path.relative(cwd, project.tsconfigPath) || 'tsconfig.json'}`,
          files: [(file: string) => owner.get(path.resolve(file)) === project.tsconfigPath] as unknown as string[],
          languageOptions: {
            parserOptions: { project: project.tsconfigPath, tsconfigRootDir: path.dirname(project.tsconfigPath) },
          },
        });
      }
    }
  }
  return {
    configs,
    base,
    lintPaths,
    tsconfigs: [...tsconfigs],
    typedProjects,
    typedBy: (file) => owner.get(path.resolve(file)),
    notices,
    binaryFiles: binary.files,
  };
}
