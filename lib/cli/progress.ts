import type { TSESLint } from '@typescript-eslint/utils';

const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * A one-line spinner with the count of files linted so far, drawn on a terminal only and only
 * once a run has taken long enough to be worth watching. ESLint has no progress events, so a
 * rule that runs once per file does the counting.
 */
export class Progress {
  private count = 0;
  private frame = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly started = Date.now();

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly delayMs = 500,
  ) {}

  /** A plugin whose only rule counts the files it is created for. */
  plugin(): TSESLint.FlatConfig.Plugin {
    return {
      rules: {
        count: {
          meta: { type: 'suggestion', schema: [], messages: {} },
          defaultOptions: [],
          create: () => {
            this.count++;
            return {};
          },
        } as unknown as TSESLint.LooseRuleDefinition,
      },
    };
  }

  start(): void {
    this.timer = setInterval(() => this.draw(), 80);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    if (this.frame > 0) this.stream.write('\r\x1b[K');
  }

  private draw(): void {
    const elapsed = Date.now() - this.started;
    if (elapsed < this.delayMs) return;
    const spinner = frames[this.frame++ % frames.length];
    const files = `${this.count} file${this.count === 1 ? '' : 's'}`;
    this.stream.write(`\r\x1b[K${spinner} maprace: linted ${files} (${(elapsed / 1000).toFixed(1)}s)`);
  }
}
