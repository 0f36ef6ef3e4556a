import { closeSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import type { TSESLint } from '@typescript-eslint/utils';
import { isSourceFile } from './project.js';

// Git's own test for a binary file: a NUL byte in its first 8000 bytes. No JavaScript or
// TypeScript source holds one (a NUL in a string is written `\0`).
const SNIFF_BYTES = 8192;

/** True when the file has a NUL byte in its first 8 KB (false when it cannot be read: ESLint will say why). */
export function isBinaryFile(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return false;
  }
  try {
    const head = Buffer.alloc(SNIFF_BYTES);
    return head.subarray(0, readSync(fd, head, 0, SNIFF_BYTES, 0)).includes(0);
  } finally {
    closeSync(fd);
  }
}

/**
 * A flat config that keeps ESLint from parsing binary files that have a source extension (a
 * compiled blob named `.js`): they get a processor that hands ESLint no code, and `files`
 * records them so the run can name them and leave them out of its counts. Minified bundles are
 * JavaScript and are linted like any other file.
 */
export function binaryFilesConfig(): { config: TSESLint.FlatConfig.Config; files: ReadonlySet<string> } {
  const binaries = new Set<string>();
  const checked = new Map<string, boolean>();
  const isBinarySource = (file: string): boolean => {
    const absolute = path.resolve(file);
    let binary = checked.get(absolute);
    if (binary === undefined) {
      binary = isSourceFile(absolute) && isBinaryFile(absolute);
      checked.set(absolute, binary);
      if (binary) binaries.add(absolute);
    }
    return binary;
  };
  return {
    config: {
      name: 'maprace-cli/binary-files',
      files: [isBinarySource] as unknown as string[],
      processor: { meta: { name: 'maprace-cli/binary' }, preprocess: () => [], postprocess: () => [] },
    },
    files: binaries,
  };
}
