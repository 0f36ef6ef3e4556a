// How the CLI turns a project's ignore files into flat-config `ignores` (lib/cli/project.ts), and
// where it starts looking for them. The end-to-end behaviour is in projects.test.ts.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commonAncestor, gitignorePatterns, ignoreRoot, targetDirectory } from '../../lib/cli/project.js';
import { makeProject } from '../helpers/run.js';

describe('gitignorePatterns', () => {
  const root = makeProject({
    '.git/HEAD': 'ref: refs/heads/main\n',
    '.git/info/exclude': '/scratch\n',
    '.gitignore': '# build output\ndist/\n*.log\n',
    'dist/.gitignore': '!kept.js\n',
    'pkg/sub/.gitignore': 'out/\n/local.ts\n!keep.log\n',
    'app/[id]/.gitignore': '*.tmp\n',
    'node_modules/dep/.gitignore': 'src/\n',
  });
  const targets = (dirs: string[]) => dirs.map((dir) => ({ dir: path.join(root, dir), root, walk: true }));

  it('rebases each file\'s lines to the ESLint working directory, deeper files last; info/exclude first', () => {
    expect(gitignorePatterns(root, targets(['.']))).toEqual([
      'scratch',
      '**/dist/',
      '**/*.log',
      'app/\\[id\\]/**/*.tmp',
      'pkg/sub/**/out/',
      'pkg/sub/local.ts',
      '!pkg/sub/**/keep.log',
    ]);
  });

  it('reads the .gitignore files above a path, from the root down, and none in node_modules or in a directory git skips', () => {
    const patterns = gitignorePatterns(root, targets(['pkg/sub']));
    expect(patterns).toEqual(['scratch', '**/dist/', '**/*.log', 'pkg/sub/**/out/', 'pkg/sub/local.ts', '!pkg/sub/**/keep.log']);
  });

  it('a path that is a file: the .gitignore files above it only', () => {
    const file = { dir: path.join(root, 'app'), root, walk: false };
    expect(gitignorePatterns(root, [file])).toEqual(['scratch', '**/dist/', '**/*.log']);
  });
});

describe('where the ignore files start and where ESLint runs', () => {
  const root = makeProject({ 'repo/.git/HEAD': '', 'repo/pkg/a.ts': '', 'plain/app/a.ts': '', 'plain/other/src/b.ts': '' });
  const at = (...parts: string[]) => path.join(root, ...parts);

  it('ignoreRoot: the git root; else the current directory; else the top of the path beside it', () => {
    expect(ignoreRoot(at('repo/pkg'), at('repo/pkg'))).toBe(at('repo'));
    expect(ignoreRoot(at('plain/app'), at('plain'))).toBe(at('plain'));
    expect(ignoreRoot(at('plain/other/src'), at('plain/app'))).toBe(at('plain/other'));
  });

  it('commonAncestor and targetDirectory', () => {
    expect(commonAncestor([at('plain/app'), at('plain/other/src')])).toBe(at('plain'));
    expect(commonAncestor([at('plain/app')])).toBe(at('plain/app'));
    expect(targetDirectory(at('plain'), 'other/src/**/*.ts')).toBe(at('plain/other/src'));
    expect(targetDirectory(at('plain'), 'app/a.ts')).toBe(at('plain/app'));
    expect(targetDirectory(at('plain'), '.')).toBe(at('plain'));
  });
});
