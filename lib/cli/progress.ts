import type { TSESLint } from '@typescript-eslint/utils';

const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface ProgressOptions {
  /** Nothing is drawn before the run has taken this long (a short run shows no progress line). */
  delayMs?: number;
  /** The line is redrawn at most this often. */
  intervalMs?: number;
  /** The clock (tests pass a fake one). */
  now?: () => number;
}

/**
 * A one-line spinner with the count of files linted so far, for a terminal. ESLint lints the files
 * of a run synchronously one after the other, so a timer would not fire until the run is over;
 * the line is drawn instead from a rule, which ESLint creates when it starts on a file and whose
 * `Program:exit` it calls when the file is done, at most once per `intervalMs`.
 */
export class Progress {
  private readonly linted = new Set<string>();
  private frame = 0;
  private drawn = false;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private started: number;
  private readonly delayMs: number;
  private readonly intervalMs: number;
  private readonly now: () => number;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    options: ProgressOptions = {},
  ) {
    this.delayMs = options.delayMs ?? 500;
    this.intervalMs = options.intervalMs ?? 100;
    this.now = options.now ?? Date.now;
    this.started = this.now();
  }

  /** A plugin whose only rule counts the files it runs on (once each, whatever --fix reruns) and draws the line. */
  plugin(): TSESLint.FlatConfig.Plugin {
    return {
      rules: {
        count: {
          meta: { type: 'suggestion', schema: [], messages: {} },
          defaultOptions: [],
          create: (context: { filename: string }) => {
            this.tick();
            return {
              'Program:exit': () => {
                this.linted.add(context.filename);
                this.tick();
              },
            };
          },
        } as unknown as TSESLint.LooseRuleDefinition,
      },
    };
  }

  /** Starts the clock for `delayMs`. */
  start(): void {
    this.started = this.now();
  }

  /** Clears the line, if one was drawn. */
  stop(): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }

  private tick(): void {
    const now = this.now();
    if (now - this.started < this.delayMs || now - this.lastDraw < this.intervalMs) return;
    this.lastDraw = now;
    this.drawn = true;
    const spinner = frames[this.frame++ % frames.length];
    const count = this.linted.size;
    const files = `${count} file${count === 1 ? '' : 's'}`;
    this.stream.write(`\r\x1b[K${spinner} maprace: linted ${files} (${((now - this.started) / 1000).toFixed(1)}s)`);
  }
}
