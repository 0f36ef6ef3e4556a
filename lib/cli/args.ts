import { parseArgs } from 'node:util';

export const formats = ['stylish', 'json', 'sarif'] as const;
export type Format = (typeof formats)[number];

export interface CliOptions {
  paths: string[];
  fix: boolean;
  format: Format;
  quiet: boolean;
  typeCheck: boolean;
  help: boolean;
  version: boolean;
}

/** A mistake in how the command was called: reported in one line, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const usage = `Usage: maprace [options] [paths...]

Reports Maps, Sets and records shared by concurrent async code (Promise.all, timers,
worker messages) and updated across an await without a guard.

Paths default to the current directory and may be outside it. What git ignores (every
.gitignore from the repository root down, each relative to its directory) and node_modules
are skipped. Type information is used for the files that a tsconfig.json found above the
paths, or a project it references, includes; the summary says how many files that was. A
tsconfig.json that extends a package not installed, or a reference to a project that does
not exist, leaves those files syntactic, with a notice on stderr.

Your ESLint config is not read: only maprace's own rules run, and only their reports are
printed and counted. Comments naming other rules (eslint-disable react-hooks/...) are left
alone; eslint-disable maprace/<rule> silences a report.

Options:
  --fix                 apply the rules' fixes to the files
  --format <name>       stylish (default), json or sarif (sarif needs
                        @microsoft/eslint-formatter-sarif installed)
  --quiet               report errors only, not warnings
  --no-type-check       never use type information
  -h, --help            show this help
  -v, --version         show the versions of maprace and of the ESLint it runs

Files named on the command line that maprace does not lint (not JavaScript or TypeScript,
ignored by .gitignore, inside node_modules) and binary files (NUL bytes in the first 8 KB)
are named on stderr and skipped. A file that does not parse is a warning on stderr, with the
parser's message; it is not a race and does not change the exit code.

Exit codes:
  0  no maprace reports (notices and warnings on stderr do not count)
  1  maprace reported races
  2  a usage or config error: an unknown flag, a path that does not exist, nothing to lint
     in the paths, a tsconfig.json that is wrong in itself (a syntax error, an unknown
     option), or --format sarif without its formatter
`;

export function parseCliArgs(argv: readonly string[]): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        fix: { type: 'boolean', default: false },
        format: { type: 'string', short: 'f', default: 'stylish' },
        quiet: { type: 'boolean', default: false },
        'no-type-check': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
    });
  } catch (error) {
    // parseArgs explains itself ("Unknown option '--x'…"); keep its first sentence only.
    const message = (error as Error).message.split('. ')[0] ?? String(error);
    throw new UsageError(message.replace(/\.$/, ''));
  }
  const { values, positionals } = parsed;
  const format = values.format;
  if (!(formats as readonly string[]).includes(format)) {
    throw new UsageError(`unknown format '${format}': use ${formats.join(', ')}`);
  }
  return {
    paths: positionals.length > 0 ? positionals : ['.'],
    fix: values.fix,
    format: format as Format,
    quiet: values.quiet,
    typeCheck: !values['no-type-check'],
    help: values.help,
    version: values.version,
  };
}
