// Race mode on whole programs: every file in tests/race/racy and tests/race/correct runs as a child
// process (the package's dist/, built by the test command), as `node prog.mjs`, as
// `node --import eslint-plugin-maprace/race prog.mjs` and with MAPRACE=1; the racy ones run once more
// with MAPRACE_REPORT=warn. Each program's header says what it expects (see README.md here).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { concurrentMapMessages, type ConcurrentMapErrorCode } from '../../lib/runtime/errors.js';
import { repoRoot, runAsync, type TimedRun } from '../helpers/run.js';

type Expectation = 'report' | 'report-with-import' | 'clean';
type Mode = 'plain' | 'import' | 'env' | 'warn';

interface Program {
  /** `racy/name.mjs` or `correct/name.mjs` */
  name: string;
  file: string;
  standsFor: string;
  expect: Expectation;
  code: ConcurrentMapErrorCode | undefined;
  /** The `name` option of the program's first map: the report names the map by it. */
  mapName: string | undefined;
}

const here = import.meta.dirname;
const childTimeoutMs = 10_000;
const poolSize = 2;

const modes: Record<Mode, { label: string; args: string[]; env: NodeJS.ProcessEnv }> = {
  plain: { label: 'node prog.mjs', args: [], env: {} },
  import: { label: 'node --import eslint-plugin-maprace/race prog.mjs', args: ['--import', 'eslint-plugin-maprace/race'], env: {} },
  env: { label: 'MAPRACE=1 node prog.mjs', args: [], env: { MAPRACE: '1' } },
  warn: {
    label: 'MAPRACE_REPORT=warn node --import eslint-plugin-maprace/race prog.mjs',
    args: ['--import', 'eslint-plugin-maprace/race'],
    env: { MAPRACE_REPORT: 'warn' },
  },
};

/** Reads a program's header: what it stands for, `// expect: ...` and, for a racy one, `// code: ...`. */
function readProgram(kind: 'racy' | 'correct', fileName: string): Program {
  const file = path.join(here, kind, fileName);
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const standsFor = /^\/\/ (.+)$/u.exec(lines[0] ?? '')?.[1];
  const expectation = /^\/\/ expect: (report-with-import|report|clean)\b/u.exec(lines[1] ?? '')?.[1] as Expectation | undefined;
  const code = /^\/\/ code: (ERR_\w+)$/u.exec(lines[2] ?? '')?.[1];
  const name = `${kind}/${fileName}`;
  if (standsFor === undefined || expectation === undefined) {
    throw new Error(`${name}: the header must be a '// what it stands for' line, then '// expect: report|report-with-import|clean'`);
  }
  if ((kind === 'racy') !== (expectation !== 'clean')) throw new Error(`${name}: a ${kind} program cannot expect '${expectation}'`);
  if (code !== undefined && !Object.hasOwn(concurrentMapMessages, code)) throw new Error(`${name}: unknown code ${code}`);
  if ((kind === 'racy') !== (code !== undefined)) throw new Error(`${name}: a '// code: ERR_CONCURRENT_...' line is for racy programs, and each needs one`);
  const mapName = /\{ (?:race: true, )?name: '([^']+)'(?:, race: true)? \}/u.exec(text)?.[1];
  return { name, file, standsFor, expect: expectation, code: code as ConcurrentMapErrorCode | undefined, mapName };
}

const programs = (['racy', 'correct'] as const).flatMap((kind) =>
  readdirSync(path.join(here, kind))
    .filter((fileName) => fileName.endsWith('.mjs'))
    .sort()
    .map((fileName) => readProgram(kind, fileName)),
);
const racy = programs.filter((p) => p.expect !== 'clean');
const correct = programs.filter((p) => p.expect === 'clean');

function modesOf(program: Program): Mode[] {
  return program.expect === 'clean' ? ['plain', 'import', 'env'] : ['plain', 'import', 'env', 'warn'];
}

/** Whether the run in `mode` must find the race. */
function reports(program: Program, mode: Mode): boolean {
  if (program.expect === 'clean') return false;
  return program.expect === 'report' || mode !== 'plain';
}

// Race-mode settings of the shell that started the tests must not leak into the children.
const neutralEnv: NodeJS.ProcessEnv = { MAPRACE: undefined, MAPRACE_REPORT: undefined, MAPRACE_STACKS: undefined, NODE_OPTIONS: undefined };

const runs = new Map<string, TimedRun>();
const runKey = (program: Program, mode: Mode): string => `${program.name} ${mode}`;

/** Runs `jobs` with at most `size` at a time. */
async function inPool(size: number, jobs: (() => Promise<void>)[]): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) await jobs[next++]!();
  };
  await Promise.all(Array.from({ length: size }, worker));
}

beforeAll(async () => {
  const jobs = programs.flatMap((program) =>
    modesOf(program).map((mode) => async () => {
      const { args, env } = modes[mode];
      const result = await runAsync(process.execPath, [...args, program.file], {
        cwd: repoRoot,
        env: { ...neutralEnv, ...env },
        timeoutMs: childTimeoutMs,
      });
      runs.set(runKey(program, mode), result);
    }),
  );
  await inPool(poolSize, jobs);
}, 240_000);

/** The child's output, for assertion messages. */
function transcript(result: TimedRun): string {
  return `exit ${result.status}${result.timedOut ? ' (killed: timed out)' : ''} after ${Math.round(result.ms)} ms\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

function resultOf(program: Program, mode: Mode): TimedRun {
  const result = runs.get(runKey(program, mode));
  if (result === undefined) throw new Error(`${program.name} was not run as ${modes[mode].label}`);
  expect(result.timedOut, `${program.name} must finish (${modes[mode].label})\n${transcript(result)}`).toBe(false);
  return result;
}

describe('the race programs', () => {
  it('has at least 16 racy and 16 correct programs, each with its header', () => {
    expect(racy.length).toBeGreaterThanOrEqual(16);
    expect(correct.length).toBeGreaterThanOrEqual(16);
    expect(racy.some((p) => p.expect === 'report-with-import')).toBe(true);
    expect(new Set(racy.map((p) => p.code))).toEqual(
      new Set(['ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE', 'ERR_CONCURRENT_MAP_ITERATION_AND_MAP_WRITE']),
    );
  });
});

// The report names both sides, each with its task: the stale read (or the loop) and the conflicting write.
const sidesOfReport: Record<ConcurrentMapErrorCode, string[]> = {
  ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE: ['Write by task ', 'Previous write by task ', 'Stale read by task '],
  ERR_CONCURRENT_MAP_ITERATION_AND_MAP_WRITE: ['Loop step by task ', 'Conflicting write by task ', 'Loop by task '],
  ERR_CONCURRENT_MAP_WRITES: [],
};

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');

/** Asserts that stderr holds one race report of the program's kind, naming both sides. */
function expectReport(program: Program, result: TimedRun): void {
  const output = transcript(result);
  const goText = concurrentMapMessages[program.code!];
  expect(result.stderr, output).toContain('WARNING: DATA RACE');
  // Go's text, then the map (`GoMap 'balances'`, `Map 'buckets'`) and the key (`every key (clear)` for a clear)
  expect(result.stderr, output).toContain(`${goText}: `);
  if (program.mapName !== undefined) expect(result.stderr, output).toMatch(new RegExp(`${goText}: \\w+ '${escapeRegExp(program.mapName)}', (?:key |every key \\(clear\\))`, 'u'));
  for (const side of sidesOfReport[program.code!]) expect(result.stderr, output).toContain(side);
}

describe.each(racy.map((p) => [p.name, p] as const))('racy %s', (_name, program) => {
  const goText = concurrentMapMessages[program.code!];

  it.each((['plain', 'import', 'env'] as const).filter((mode) => reports(program, mode)))(
    `throws "${goText}" with the report of both sides (%s)`,
    (mode) => {
      const result = resultOf(program, mode);
      const output = transcript(result);
      expect(result.status, `${modes[mode].label} must fail\n${output}`).not.toBe(0);
      expect(result.stderr, output).toContain(`ConcurrentMapError: ${goText}`);
      expect(result.stderr, output).toContain(program.code);
      expectReport(program, result);
    },
  );

  if (program.expect === 'report-with-import') {
    it('runs to the end without the import (a plain map is not in race mode)', () => {
      const result = resultOf(program, 'plain');
      const output = transcript(result);
      expect(result.status, output).toBe(0);
      expect(result.stderr, output).not.toContain('concurrent map');
    });
  }

  it('with MAPRACE_REPORT=warn, writes the report to stderr and runs to the end', () => {
    const result = resultOf(program, 'warn');
    const output = transcript(result);
    expect(result.status, output).toBe(0);
    expect(result.stderr, output).not.toContain('ConcurrentMapError');
    expectReport(program, result);
  });
});

describe.each(correct.map((p) => [p.name, p] as const))('correct %s', (_name, program) => {
  it.each(['plain', 'import', 'env'] as const)('finishes with the right answer and no report (%s)', (mode) => {
    const result = resultOf(program, mode);
    const output = transcript(result);
    expect(result.status, `${modes[mode].label}\n${output}`).toBe(0);
    expect(result.stderr, output).not.toContain('concurrent map');
    expect(result.stderr, output).not.toContain('DATA RACE');
  });
});
