import path from 'node:path';
import parser from '@typescript-eslint/parser';
import type { TSESLint } from '@typescript-eslint/utils';
import { sourceFiles } from '../configs/index.js';
import type { MapracePlugin } from '../index.js';
import {
  findTsconfigAbove,
  gitignorePatterns,
  loadTypeScript,
  readTypedProject,
  type TypedProject,
} from './project.js';

type FlatConfig = TSESLint.FlatConfig.Config;

export const sourceFilePatterns = sourceFiles;

export interface LintSetup {
  configs: FlatConfig[];
  /** The tsconfig.json files whose programs give the rules type information. */
  typedProjects: TypedProject[];
  /** Things the user should know about how the run was set up (printed to stderr). */
  notices: string[];
}

/**
 * The flat config `maprace` lints with, whatever config the project has: the plugin's
 * recommended rules (strict, whose fixes apply, with --fix) on every JavaScript and TypeScript
 * file, type-aware on the files that a tsconfig.json above the paths contains and syntactic on the rest.
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
  const typedProjects: TypedProject[] = [];
  const ignores = gitignorePatterns(cwd);
  const configs: FlatConfig[] = [
    { name: 'maprace-cli/gitignore', ignores },
    {
      name: 'maprace-cli/sources',
      files: sourceFilePatterns,
      languageOptions: { parser, parserOptions: { ecmaFeatures: { jsx: true } } },
    },
    { ...(options.fix === true ? plugin.configs.strict : plugin.configs.recommended), files: sourceFilePatterns },
  ];

  if (typeCheck) {
    const tsconfigs = new Set<string>();
    for (const target of paths) {
      const found = findTsconfigAbove(path.resolve(cwd, target));
      if (found !== undefined) tsconfigs.add(found);
    }
    const typescript = tsconfigs.size > 0 ? loadTypeScript(cwd) : undefined;
    if (tsconfigs.size > 0 && typescript === undefined) {
      notices.push('typescript is not installed: linting without type information');
    }
    if (typescript !== undefined) {
      for (const tsconfigPath of tsconfigs) {
        const project = readTypedProject(typescript, tsconfigPath);
        typedProjects.push(project);
        configs.push({
          name: `maprace-cli/typed:${path.relative(cwd, tsconfigPath) || 'tsconfig.json'}`,
          files: [(file: string) => project.files.has(path.resolve(file))] as unknown as string[],
          languageOptions: {
            parserOptions: { project: tsconfigPath, tsconfigRootDir: path.dirname(tsconfigPath) },
          },
        });
      }
    }
  }
  return { configs, typedProjects, notices };
}
