// The same worker, recording each step in one synchronous step after it ran.
import { parentPort } from 'node:worker_threads';
import { runStep, type Job } from '../services.js';

const jobs = new Map<string, Job>();

parentPort?.on('message', async (message: { jobId: string; step: string }) => {
  await runStep({ id: message.jobId, completedSteps: [] }, message.step);
  const job = jobs.get(message.jobId) ?? { id: message.jobId, completedSteps: [] };
  jobs.set(message.jobId, { ...job, completedSteps: [...job.completedSteps, message.step] });
});
