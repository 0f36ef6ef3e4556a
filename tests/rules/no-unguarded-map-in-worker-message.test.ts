import { describe, expect, it } from 'vitest';
import rule from '../../lib/rules/no-unguarded-map-in-worker-message.js';
import { runBoth } from '../helpers/rule-tester.js';

const workerImport = "import { parentPort, Worker } from 'node:worker_threads';";
const types = `interface Job { id: string; steps: string[] }
declare function runStep(job: Job, step: string): Promise<void>;
`;
const declarations = `${workerImport}\n${types}`;
/** The declarations as a fix leaves them: SafeMap imported after the last import. */
const declarationsWithSafeMap = `${workerImport}\nimport { SafeMap } from 'maprace';\n${types}`;

runBoth('no-unguarded-map-in-worker-message', rule, {
  valid: [
    // a synchronous handler runs each message to the end
    `${declarations}
const jobs = new Map<string, Job>();
parentPort?.on('message', (message: { id: string; step: string }) => {
  const job = jobs.get(message.id) ?? { id: message.id, steps: [] };
  jobs.set(message.id, { ...job, steps: [...job.steps, message.step] });
});`,

    // the handler awaits first, then reads and writes in one step
    `${declarations}
const jobs = new Map<string, Job>();
parentPort?.on('message', async (message: { id: string; step: string }) => {
  await runStep({ id: message.id, steps: [] }, message.step);
  const job = jobs.get(message.id) ?? { id: message.id, steps: [] };
  jobs.set(message.id, { ...job, steps: [...job.steps, message.step] });
});`,

    // once('message'): one run only, and nothing else writes the map
    `${declarations}
const jobs = new Map<string, Job>();
parentPort?.once('message', async (message: { id: string; step: string }) => {
  const job = jobs.get(message.id) ?? { id: message.id, steps: [] };
  await runStep(job, message.step);
  jobs.set(message.id, { ...job, steps: [...job.steps, message.step] });
});`,

    // a fresh object built for the message is a copy on purpose
    `${declarations}
const totals = new Map<string, number>();
export function add(key: string, n: number) { totals.set(key, (totals.get(key) ?? 0) + n); }
export function report(worker: Worker) { worker.postMessage({ totals: Object.fromEntries(totals) }); }`,

    // a map that nobody writes after it is built may be copied
    `${declarations}
const config = new Map<string, string>([['mode', 'fast']]);
export const start = (file: string) => new Worker(file, { workerData: config });`,
  ],
  invalid: [
    // every message starts a run of the async handler: two steps of one job lose one
    {
      code: `${declarations}
const jobs = new Map<string, Job>();
parentPort?.on('message', async (message: { id: string; step: string }) => {
  const job = jobs.get(message.id) ?? { id: message.id, steps: [] };
  await runStep(job, message.step);
  jobs.set(message.id, { ...job, steps: [...job.steps, message.step] });
});`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 7,
          column: 15,
          endLine: 9,
          endColumn: 72,
          data: {
            kind: 'Map',
            name: 'jobs',
            readLine: 7,
            writeLine: 9,
            suspension: 'an await',
            awaitLine: 8,
            source: "a 'message' handler",
            writer: 'while the runs of the handler for other messages write it',
            advice: 'Use SafeMap.update or guard the section.',
          },
          suggestions: [
            {
              messageId: 'useUpdate',
              data: { name: 'jobs' },
              output: `${declarationsWithSafeMap}
const jobs = new SafeMap<string, Job>();
parentPort?.on('message', async (message: { id: string; step: string }) => {
  await jobs.update(message.id, async (old) => {
    const job = old ?? { id: message.id, steps: [] };
    await runStep(job, message.step);
    return { ...job, steps: [...job.steps, message.step] };
  });
});`,
            },
          ],
        },
      ],
    },

    // addEventListener and onmessage on a port or `self`
    {
      code: `${declarations}
declare const port: { addEventListener(type: 'message', fn: (event: { data: string }) => unknown): void };
const seen: Record<string, boolean> = {};
port.addEventListener('message', async (event) => {
  if (!seen[event.data]) {
    await runStep({ id: event.data, steps: [] }, 'first');
    seen[event.data] = true;
  }
});`,
      errors: [{ messageId: 'readWriteRace', line: 8 }],
    },
    {
      code: `${declarations}
declare let onmessage: ((event: { data: string }) => unknown) | null;
const counts = new Map<string, number>();
onmessage = async (event) => {
  const count = counts.get(event.data) ?? 0;
  await runStep({ id: event.data, steps: [] }, 'count');
  counts.set(event.data, count + 1);
};`,
      errors: [
        {
          messageId: 'readWriteRace',
          line: 8,
          data: {
            kind: 'Map',
            name: 'counts',
            readLine: 8,
            writeLine: 10,
            suspension: 'an await',
            awaitLine: 9,
            source: "an 'onmessage' handler",
            writer: 'while the runs of the handler for other messages write it',
            advice: 'Use SafeMap.update or guard the section.',
          },
          suggestions: [
            {
              messageId: 'useUpdate',
              data: { name: 'counts' },
              output: `${declarationsWithSafeMap}
declare let onmessage: ((event: { data: string }) => unknown) | null;
const counts = new SafeMap<string, number>();
onmessage = async (event) => {
  await counts.update(event.data, async (old) => {
    const count = old ?? 0;
    await runStep({ id: event.data, steps: [] }, 'count');
    return count + 1;
  });
};`,
            },
          ],
        },
      ],
    },

    // a long-lived map sent to a worker is copied: the worker never sees later writes
    {
      code: `${declarations}
const totals = new Map<string, number>();
export function add(key: string, n: number) { totals.set(key, (totals.get(key) ?? 0) + n); }
export function share(worker: Worker) { worker.postMessage({ totals }); }
export const start = (file: string) => new Worker(file, { workerData: totals });`,
      errors: [
        {
          messageId: 'clonedMap',
          line: 7,
          column: 62,
          endColumn: 68,
          data: { kind: 'Map', name: 'totals', via: 'postMessage', line: 7, writeLine: 6 },
        },
        {
          messageId: 'clonedMap',
          line: 8,
          data: { kind: 'Map', name: 'totals', via: 'workerData', line: 8, writeLine: 6 },
        },
      ],
    },
  ],
});

describe('clonedMap message', () => {
  it('points to the shared-memory map and how the worker attaches it', () => {
    const text = rule.meta.messages.clonedMap;
    expect(text).toContain("ShardedMap.shared() from 'maprace'");
    expect(text).toContain('ShardedMap.attach(handle) in the worker');
    // the other remedies stay: a message per change, or a snapshot
    expect(text).toContain('Object.fromEntries({{name}})');
  });
});
