// A job queue with two workers; each job reads its tenant's done-count, runs (awaits), then stores done + 1; two jobs of one tenant run at once.
// expect: report
// code: ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE
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

const progress = new GoMap({ race: true, name: 'progress' });

async function handle(job) {
  const done = progress.get(job.tenant) ?? 0;
  await sleep(job.ms); // the job's real work: a render, an upload
  progress.set(job.tenant, done + 1);
}

const queue = new JobQueue(2);
queue.add({ tenant: 'acme', ms: 15 });
queue.add({ tenant: 'acme', ms: 3 });
await queue.run(handle);
console.log(`acme done: ${progress.get('acme')} (2 expected)`);
