import { main } from './main.js';

main(process.argv.slice(2), { cwd: process.cwd(), stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // An unexpected failure: one line for the user, the stack only when asked for.
    const err = error instanceof Error ? error : new Error(String(error));
    process.stderr.write(`maprace: ${err.message.split('\n')[0]}\n`);
    if (process.env.MAPRACE_DEBUG) process.stderr.write(`${err.stack}\n`);
    process.exitCode = 2;
  },
);
