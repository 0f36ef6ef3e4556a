// A job dispatcher that checks the job's entry, hands the job to a worker (a timer callback that updates the entry and emits 'done'), awaits `once(events, 'done')`, then archives the entry.
// expect: clean
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const jobs = new GoMap([['job-1', { state: 'queued', attempts: 0 }]], { race: true, name: 'jobs' });
const events = new EventEmitter();

function startWorker(id, ms) {
  setTimeout(async () => {
    jobs.set(id, { state: 'running', attempts: 1 });
    await sleep(ms); // convert the video
    jobs.set(id, { state: 'done', attempts: 1 });
    events.emit('done', id);
  }, 1);
}

async function dispatch(id) {
  if (jobs.get(id)?.state !== 'queued') return 'skipped';
  startWorker(id, 8);
  const [finished] = await once(events, 'done');
  const job = jobs.get(finished);
  jobs.set(finished, { ...job, state: 'archived' });
  return jobs.get(finished).state;
}

assert.equal(await dispatch('job-1'), 'archived');
assert.deepEqual(jobs.get('job-1'), { state: 'archived', attempts: 1 });
console.log(JSON.stringify(jobs.get('job-1')));
