// An http server counting hits per path in a module-level map: read the count, await an audit log write, store count + 1; two requests arrive together.
// expect: report-with-import (a plain `new GoMap()`: reports only under --import or MAPRACE=1)
// code: ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const hits = new GoMap({ name: 'hits' });

async function audit(path, delayMs) {
  await sleep(delayMs); // the audit store's latency
  return path;
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const count = hits.get(url.pathname) ?? 0;
  await audit(url.pathname, Number(url.searchParams.get('auditMs')));
  hits.set(url.pathname, count + 1);
  res.end(String(count + 1));
});

await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address();
const base = `http://127.0.0.1:${port}`;
try {
  const bodies = await Promise.all([
    fetch(`${base}/home?auditMs=20`).then((r) => r.text()),
    fetch(`${base}/home?auditMs=1`).then((r) => r.text()),
  ]);
  console.log(`responses ${bodies.join(', ')}; hits /home = ${hits.get('/home')} (2 expected)`);
} finally {
  server.close();
  server.closeAllConnections();
}
