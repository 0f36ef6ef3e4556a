// Starts a lock holder *before* loading the lock module, so that no thread watches the holder's
// 'exit': its death can only be found by its lease. Then terminates it when told to.
import { parentPort, Worker, workerData } from 'node:worker_threads';

const holder = new Worker(new URL('./lock-worker.mjs', import.meta.url), { workerData: { ...workerData, task: 'hold-write' } });
holder.on('message', (message) => parentPort.postMessage(message));
holder.on('error', (error) => parentPort.postMessage({ error: String(error) }));
parentPort.on('message', async (message) => {
  if (message === 'terminate') {
    await holder.terminate();
    parentPort.postMessage({ terminated: true });
  }
});
