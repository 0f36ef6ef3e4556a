// What the shared-map tests share: the lock module bundled for workers (they cannot import
// TypeScript; the map tests' workers import dist/ instead), and workers that report through messages.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { build } from 'esbuild';

const here = import.meta.dirname;
const root = path.resolve(here, '../../..');

/** Bundles lib/runtime/shared/lock.ts (with what it imports) into an ES module; returns its file URL. */
export async function bundleLockModule(): Promise<string> {
  const outfile = path.join(mkdtempSync(path.join(tmpdir(), 'maprace-lock-')), 'lock.mjs');
  await build({
    entryPoints: [path.join(root, 'lib/runtime/shared/lock.ts')],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outfile,
    logLevel: 'silent',
  });
  return pathToFileURL(outfile).href;
}

/** A worker started on one of tests/runtime/shared/workers, with its messages as promises. */
export class TestWorker {
  readonly worker: Worker;
  private readonly messages: unknown[] = [];
  private readonly waiters: ((message: unknown) => void)[] = [];
  readonly exited: Promise<number>;
  error: Error | undefined;

  constructor(script: string, workerData: unknown) {
    this.worker = new Worker(path.join(here, 'workers', script), { workerData });
    this.worker.on('message', (message: unknown) => {
      const waiter = this.waiters.shift();
      if (waiter !== undefined) waiter(message);
      else this.messages.push(message);
    });
    this.worker.on('error', (error) => {
      this.error = error;
      for (const waiter of this.waiters.splice(0)) waiter({ error });
    });
    this.exited = new Promise((resolve) => this.worker.once('exit', resolve));
  }

  /** The next message (rejects when the worker fails first). */
  async next<T = Record<string, unknown>>(): Promise<T> {
    const message = this.messages.length > 0 ? this.messages.shift() : await new Promise((resolve) => this.waiters.push(resolve));
    if (this.error !== undefined) throw this.error;
    return message as T;
  }

  /** Waits for a message with `field` set. */
  async until<T = Record<string, unknown>>(field: string): Promise<T> {
    for (;;) {
      const message = await this.next<Record<string, unknown>>();
      if (message[field] !== undefined) return message as T;
    }
  }

  get threadId(): number {
    return this.worker.threadId;
  }
}
