// A metrics buffer flushed by `for (const [k, v] of buffer.entries()) { await send(k, v) }` while a config-reload timer calls buffer.clear().
// expect: report-with-import (a plain `new GoMap()`: reports only under --import or MAPRACE=1)
// code: ERR_CONCURRENT_MAP_ITERATION_AND_MAP_WRITE
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const buffer = new GoMap({ name: 'metrics-buffer' });
buffer.set('http.requests', 120).set('http.errors', 3).set('db.queries', 480).set('db.slow', 2);

async function send(name, value) {
  await sleep(4); // the statsd socket
  return `${name}:${value}|c`;
}

async function flush() {
  const sent = [];
  for (const [name, value] of buffer.entries()) sent.push(await send(name, value));
  return sent;
}

// The config reloads and drops the buffered metrics of the old config.
setTimeout(() => buffer.clear(), 6);
console.log(`sent: ${(await flush()).join(' ')}`);
