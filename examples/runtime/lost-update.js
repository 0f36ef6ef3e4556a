// The race the rules report, run for real: 100 Promise.all tasks count hits on one route, each
// reading the count, awaiting an audit, then writing count + 1.
import { setTimeout as sleep } from 'node:timers/promises';
import { ConcurrentMapError, GoMap, SafeMap } from 'maprace';

const tasks = 100;
const audit = () => sleep(Math.random() * 5);

// 1. A plain Map: every task reads 0 before any writes, so nearly every increment is lost.
const hits = new Map();
await Promise.all(
  Array.from({ length: tasks }, async () => {
    const count = hits.get('/home') ?? 0;
    await audit();
    hits.set('/home', count + 1);
  }),
);
console.log(`Map:     ${tasks} increments, final count ${hits.get('/home')}  <- lost updates, and no error`);

// 2. GoMap, Go's map, in race mode (`{ race: true }`, or every map under `MAPRACE=1` or
//    `node --import eslint-plugin-maprace/race`): the same code, unchanged, stops at the first write
//    that would drop another task's update, as Go's runtime stops concurrent map access.
const goHits = new GoMap([['/home', 0]], { name: 'hits', race: true });
try {
  await Promise.all(
    Array.from({ length: tasks }, async () => {
      const count = goHits.get('/home') ?? 0;
      await audit();
      goHits.set('/home', count + 1);
    }),
  );
} catch (error) {
  if (!(error instanceof ConcurrentMapError)) throw error;
  const sides = error.race.others.map((side) => side.role).join(' and ');
  console.log(`GoMap:   race mode throws ${error.name}: fatal error: ${error.message} (${error.code}), naming the ${sides}`);
}

// 3. SafeMap.update: the read-modify-write holds the key's lock across the await.
const safeHits = new SafeMap();
await Promise.all(
  Array.from({ length: tasks }, () =>
    safeHits.update('/home', async (count = 0) => {
      await audit();
      return count + 1;
    }),
  ),
);
console.log(`SafeMap: ${tasks} increments, final count ${safeHits.get('/home')}`);

// 4. Code that still writes behind SafeMap's back fails loudly, with Go's words.
const pending = safeHits.update('/home', async (count = 0) => {
  await audit();
  return count + 1;
});
try {
  safeHits.set('/home', 0);
} catch (error) {
  if (!(error instanceof ConcurrentMapError)) throw error;
  console.log(`SafeMap: a plain set during that update throws ${error.name}: ${error.message} (${error.code})`);
}
await pending;
