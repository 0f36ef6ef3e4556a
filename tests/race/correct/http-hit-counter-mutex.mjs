// An http server counting hits per path, its read-modify-write across the audit await serialized by an async-mutex Mutex; two requests arrive together.
// expect: clean
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Mutex } from 'async-mutex';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const hits = new GoMap({ race: true, name: 'hits' });
const hitsLock = new Mutex();

async function audit(path, delayMs) {
  await sleep(delayMs); // the audit store's latency
  return path;
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const count = await hitsLock.runExclusive(async () => {
    const previous = hits.get(url.pathname) ?? 0;
    await audit(url.pathname, Number(url.searchParams.get('auditMs')));
    hits.set(url.pathname, previous + 1);
    return previous + 1;
  });
  res.end(String(count));
});

await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address();
const base = `http://127.0.0.1:${port}`;
try {
  const bodies = await Promise.all([
    fetch(`${base}/home?auditMs=20`).then((r) => r.text()),
    fetch(`${base}/home?auditMs=1`).then((r) => r.text()),
  ]);
  assert.deepEqual(bodies.map(Number).sort(), [1, 2]);
  assert.equal(hits.get('/home'), 2);
  console.log(`responses ${bodies.join(', ')}; hits /home = ${hits.get('/home')}`);
} finally {
  server.close();
  server.closeAllConnections();
}
