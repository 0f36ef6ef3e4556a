/**
 * Shapes of the real-shapes corpus the analysis learned after the merge of issue 9, each with the
 * correct twin that must stay silent:
 * - a read-through fill whose gap is a `.then` or a Node.js callback, or whose key is a local built
 *   from the task's inputs, is a duplicate load (the value comes from the key alone), not a lost
 *   update; a `.then` fill that stores something else than the load's result stays a lost update;
 * - a late publication whose request carries the object the key is a field of (`postMessage(job)`
 *   for `job.jobId`), or whose entry is a callback the handler calls (`handlers.get(ch)?.(tick)`).
 */
import asyncEntry from '../../lib/rules/no-unguarded-map-in-async-entry.js';
import promiseAll from '../../lib/rules/no-unguarded-map-in-promise-all.js';
import workerMessage from '../../lib/rules/no-unguarded-map-in-worker-message.js';
import { runBoth } from '../helpers/rule-tester.js';

const avatars = (body: string) => `declare function fetchAvatarUrl(userId: string): Promise<string>;
declare function fetchBadge(userId: string, theme: string): Promise<string>;
const avatarUrls = new Map<string, string | Promise<string>>();

export function prefetchAvatars(participantIds: string[], theme: string) {
  return Promise.all(
    participantIds.map((userId) => {
${body}
    }),
  );
}`;

const templates = (body: string) => `import { readFile } from 'node:fs';
interface Compiled { render(data: unknown): string }
declare function compileTemplate(source: string): Compiled;
const templates = new Map<string, Compiled>();

export function renderBatch(emails: { template: string; data: unknown }[]): Promise<string[]> {
  return Promise.all(
    emails.map(
      (email) =>
        new Promise<string>((resolve, reject) => {
${body}
        }),
    ),
  );
}`;

runBoth('no-unguarded-map-in-promise-all', promiseAll, {
  valid: [
    // the pending fetch is stored at once: a second task for the same user reuses it
    avatars(`      let url = avatarUrls.get(userId);
      if (!url) {
        url = fetchAvatarUrl(userId);
        avatarUrls.set(userId, url);
      }
      return url;`),
    // the template is looked up and stored in one synchronous step, the read comes after the callback
    templates(`          readFile(\`templates/\${email.template}.hbs\`, 'utf8', (error, source) => {
            if (error) return reject(error);
            const template = templates.get(email.template) ?? compileTemplate(source);
            templates.set(email.template, template);
            resolve(template.render(email.data));
          });`),
  ],
  invalid: [
    // the gap is the .then: the URL comes from the user id alone, so two misses fetch it twice
    {
      code: avatars(`      if (avatarUrls.has(userId)) return Promise.resolve();
      return fetchAvatarUrl(userId).then((url) => {
        avatarUrls.set(userId, url);
      });`),
      errors: [{ messageId: 'duplicateLoad', line: 8, column: 11 }],
    },
    // the stored badge depends on the theme as well as the key: the last task's theme wins (a lost update)
    {
      code: avatars(`      if (avatarUrls.has(userId)) return Promise.resolve();
      return fetchBadge(userId, theme).then((badge) => {
        avatarUrls.set(userId, badge);
      });`),
      errors: [{ messageId: 'readWriteRace', line: 8, column: 11 }],
    },
    // the gap is a Node.js callback: its source is read from the template's name alone
    {
      code: templates(`          const compiled = templates.get(email.template);
          if (compiled) return resolve(compiled.render(email.data));
          readFile(\`templates/\${email.template}.hbs\`, 'utf8', (error, source) => {
            if (error) return reject(error);
            const template = compileTemplate(source);
            templates.set(email.template, template);
            resolve(template.render(email.data));
          });`),
      errors: [{ messageId: 'duplicateLoad', line: 11, column: 28 }],
    },
  ],
});

const thumbnails = (body: string) => `declare function renderThumbnail(imageId: string, width: number): Promise<Uint8Array>;
declare function renderWatermarked(imageId: string, width: number, owner: string): Promise<Uint8Array>;
const renders = new Map<string, Uint8Array | Promise<Uint8Array>>();

export async function thumbnail(imageId: string, width: number, owner: string) {
  const key = \`\${imageId}@\${width}\`;
${body}
}`;

/** The getOrCompute suggestion: the whole fill becomes one call that loads with the given expression. */
const renderedBy = (load: string) => `import { SafeMap } from 'maprace';

${thumbnails('  return await renders.getOrCompute(key, () => LOAD);').replace('new Map', 'new SafeMap').replace('LOAD', load)}`;

runBoth('no-unguarded-map-in-async-entry', asyncEntry, {
  valid: [
    // the pending render is stored before anything is awaited
    thumbnails(`  let render = renders.get(key);
  if (!render) {
    render = renderThumbnail(imageId, width);
    renders.set(key, render);
  }
  return render;`),
  ],
  invalid: [
    // the key is built from the image and the width, and the render from the same two: a duplicate load
    {
      code: thumbnails(`  const cached = renders.get(key);
  if (cached) return cached;
  const image = await renderThumbnail(imageId, width);
  renders.set(key, image);
  return image;`),
      errors: [{ messageId: 'duplicateLoad', line: 7, column: 18, suggestions: [{ messageId: 'useGetOrCompute', output: renderedBy('renderThumbnail(imageId, width)') }] }],
    },
    // the owner is not in the key: two owners of one image overwrite each other's watermark
    {
      code: thumbnails(`  const cached = renders.get(key);
  if (cached) return cached;
  const image = await renderWatermarked(imageId, width, owner);
  renders.set(key, image);
  return image;`),
      errors: [{ messageId: 'readWriteRace', line: 7, column: 18, suggestions: [{ messageId: 'useGetOrCompute', output: renderedBy('renderWatermarked(imageId, width, owner)') }] }],
    },
  ],
});

const resizePool = (body: string) => `import { Worker } from 'node:worker_threads';
interface ResizeJob { jobId: string; url: string }
interface ResizeResult { jobId: string; bytes: Uint8Array }
declare function recordJobStarted(jobId: string): Promise<void>;
const worker = new Worker('./resize-worker.js');
const waiting = new Map<string, (result: ResizeResult) => void>();

worker.on('message', (result: ResizeResult) => {
  waiting.get(result.jobId)?.(result);
  waiting.delete(result.jobId);
});

export async function resize(job: ResizeJob): Promise<ResizeResult> {
${body}
}`;

const tickers = (body: string) => `import { WebSocket } from 'ws';
interface Tick { channel: string; price: number }
declare function confirmSubscription(channel: string): Promise<void>;
const socket = new WebSocket('wss://marketdata.example.com/stream');
const handlers = new Map<string, (tick: Tick) => void>();

socket.on('message', (data) => {
  const tick = JSON.parse(String(data)) as Tick;
  handlers.get(tick.channel)?.(tick);
});

export async function subscribe(channel: string, onTick: (tick: Tick) => void): Promise<void> {
${body}
}`;

runBoth('no-unguarded-map-in-worker-message', workerMessage, {
  valid: [
    // the receiver is registered before the job is posted: however fast the worker is, its answer finds it
    resizePool(`  const result = new Promise<ResizeResult>((resolve) => {
    waiting.set(job.jobId, resolve);
  });
  worker.postMessage(job);
  await recordJobStarted(job.jobId);
  return result;`),
    // only the job's URL is posted (an upload of the original), not the job the reply answers
    resizePool(`  worker.postMessage({ upload: job.url });
  await recordJobStarted(job.jobId);
  return new Promise((resolve) => {
    waiting.set(job.jobId, resolve);
  });`),
    // the handler is in place before the request goes out
    tickers(`  handlers.set(channel, onTick);
  socket.send(JSON.stringify({ op: 'subscribe', channel }));
  await confirmSubscription(channel);`),
  ],
  invalid: [
    // the whole job is posted, its id published after an await: a fast result finds nobody waiting
    {
      code: resizePool(`  worker.postMessage(job);
  await recordJobStarted(job.jobId);
  return new Promise((resolve) => {
    waiting.set(job.jobId, resolve);
  });`),
      errors: [{ messageId: 'latePublication', line: 17, column: 5 }],
    },
    // the handler the reply calls is registered after the confirmation: the snapshot tick finds none
    {
      code: tickers(`  socket.send(JSON.stringify({ op: 'subscribe', channel }));
  await confirmSubscription(channel);
  handlers.set(channel, onTick);`),
      errors: [{ messageId: 'latePublication', line: 15, column: 3 }],
    },
  ],
});
