// A metrics exporter pushing `for (const gauge of gauges.values()) { await push(gauge) }` while a request handler registers a new gauge.
// expect: report-with-import (a plain `new GoMap()`: reports only under --import or MAPRACE=1)
// code: ERR_CONCURRENT_MAP_ITERATION_AND_MAP_WRITE
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const gauges = new GoMap({ name: 'gauges' });
for (const name of ['heap', 'rss', 'eventloop.lag']) gauges.set(name, { name, value: 1 });

async function push(gauge) {
  await sleep(4); // POST to the metrics gateway
  return gauge.name;
}

async function exportAll() {
  const pushed = [];
  for (const gauge of gauges.values()) pushed.push(await push(gauge));
  return pushed;
}

function onFirstRequestToRoute(route) {
  gauges.set(`latency.${route}`, { name: `latency.${route}`, value: 0 });
}

setTimeout(() => onFirstRequestToRoute('/login'), 5);
console.log(`pushed: ${(await exportAll()).join(', ')}`);
