// A job queue with two workers where each job writes only its own result key; after `await queue.run()` the caller reads every result and writes the summary.
// expect: clean
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

class JobQueue {
  constructor(concurrency) {
    this.concurrency = concurrency;
    this.jobs = [];
  }

  add(job) {
    this.jobs.push(job);
  }

  async run(handler) {
    const worker = async () => {
      for (let job = this.jobs.shift(); job !== undefined; job = this.jobs.shift()) await handler(job);
    };
    await Promise.all(Array.from({ length: this.concurrency }, worker));
  }
}

const results = new GoMap({ race: true, name: 'results' });

async function handle(job) {
  const attempt = (results.get(job.id)?.attempt ?? 0) + 1;
  await sleep(job.ms); // render the thumbnail
  results.set(job.id, { attempt, bytes: job.ms * 1000 });
}

const queue = new JobQueue(2);
for (const [id, ms] of [['img-1', 15], ['img-2', 3], ['img-3', 5], ['img-4', 1]]) queue.add({ id, ms });
await queue.run(handle);

let bytes = 0;
for (const [id, result] of results) if (id !== 'summary') bytes += result.bytes;
results.set('summary', { jobs: results.size, bytes });
assert.deepEqual(results.get('summary'), { jobs: 4, bytes: 24000 });
console.log(`summary ${JSON.stringify(results.get('summary'))}`);
