// A metrics buffer whose config-reload handler awaits the flush in progress before calling buffer.clear(), so the clear never lands inside the flush loop.
// expect: clean
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const buffer = new GoMap({ race: true, name: 'metrics-buffer' });
buffer.set('http.requests', 120).set('http.errors', 3).set('db.queries', 480).set('db.slow', 2);
let flushing = Promise.resolve([]);

async function send(name, value) {
  await sleep(4); // the statsd socket
  return `${name}:${value}|c`;
}

async function flushLoop() {
  const sent = [];
  for (const [name, value] of buffer.entries()) sent.push(await send(name, value));
  return sent;
}

function flush() {
  flushing = flushLoop();
  return flushing;
}

async function onConfigReload() {
  await flushing;
  buffer.clear();
}

const sent = flush();
const reloaded = new Promise((resolve, reject) => setTimeout(() => onConfigReload().then(resolve, reject), 6));
await Promise.all([sent, reloaded]);
assert.equal((await sent).length, 4);
assert.equal(buffer.size, 0);
console.log(`sent ${(await sent).length} metrics, then cleared`);
