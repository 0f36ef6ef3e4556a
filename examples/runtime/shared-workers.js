// Two worker threads count hits on one route, 1,000 each, the way the worker-message rule's
// advice says: a Map posted to a worker is a copy; a GoMap.shared written by both threads without
// a lock stops with Go's panic; a ShardedMap.shared (lock per shard, in a SharedArrayBuffer)
// counts every hit.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { GoMap, ShardedMap } from 'maprace';

const perWorker = 1000;

if (isMainThread) {
  const run = (job, map) =>
    Promise.all(
      [1, 2].map(
        () =>
          new Promise((resolve, reject) => {
            const worker = new Worker(new URL(import.meta.url), { workerData: { job, map } });
            worker.once('message', resolve).once('error', reject);
          }),
      ),
    );

  // 1. A plain Map: postMessage / workerData copy it, so each worker counts into its own copy.
  const hits = new Map([['/home', 0]]);
  await run('plain', hits);
  console.log(`Map:              2 workers × ${perWorker} hits, main thread sees ${hits.get('/home')}  <- each worker got a copy`);

  // 2. GoMap.shared: one map in shared memory, unguarded like a Go map.
  const goHits = GoMap.shared({ name: 'hits' });
  const errors = (await run('go', { handle: goHits.handle, stop: new SharedArrayBuffer(4) })).filter(Boolean);
  console.log(`GoMap.shared:     two unguarded threads -> ${errors[0] ?? 'no collision this time (it is a race: run again)'}`);

  // 3. ShardedMap.shared: the same memory, a lock per shard, update() is atomic across threads.
  const safeHits = ShardedMap.shared({ name: 'hits' });
  await run('sharded', safeHits.handle);
  console.log(`ShardedMap.shared: 2 workers × ${perWorker} hits, main thread sees ${safeHits.get('/home')}`);
} else {
  const { job, map } = workerData;
  if (job === 'plain') {
    for (let i = 0; i < perWorker; i++) map.set('/home', map.get('/home') + 1);
    parentPort.postMessage(null);
  } else if (job === 'go') {
    const hits = GoMap.attach(map.handle);
    const stop = new Int32Array(map.stop);
    const deadline = Date.now() + 10_000; // the threads overlap within milliseconds; this bounds it
    let error = null;
    try {
      // sooner or later one thread's access finds the other's hashWriting flag set
      for (let i = 0; Atomics.load(stop, 0) === 0 && (i % 1024 !== 0 || Date.now() < deadline); i++) {
        hits.set(`/page/${i % 5000}`, (hits.get('/home') ?? 0) + 1);
      }
    } catch (caught) {
      error = `${caught.name}: ${caught.message} (${caught.code})`;
    }
    Atomics.store(stop, 0, 1); // the other thread stops too
    parentPort.postMessage(error);
  } else {
    const hits = ShardedMap.attach(map);
    for (let i = 0; i < perWorker; i++) await hits.update('/home', (count = 0) => count + 1);
    parentPort.postMessage(null);
  }
}
