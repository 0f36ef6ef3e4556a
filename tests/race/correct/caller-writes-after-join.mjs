// A config loader: the caller checks `config.has('merged')`, awaits Promise.all of the loaders (each writes 'merged' as it arrives), then writes the final 'merged' itself.
// expect: clean
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const config = new GoMap({ race: true, name: 'config' });

async function loadLayer(name, values, latencyMs) {
  await sleep(latencyMs); // read the file or the remote store
  config.set(name, values);
  config.set('merged', { ...config.get('merged'), ...values }); // an early view for whoever asks meanwhile
}

async function loadConfig() {
  if (config.has('merged')) return config.get('merged');
  await Promise.all([
    loadLayer('defaults', { port: 80, log: 'info', region: 'eu' }, 12),
    loadLayer('overrides', { port: 8080 }, 3),
  ]);
  // The layers arrive in any order; the final merge puts the overrides last.
  config.set('merged', { ...config.get('defaults'), ...config.get('overrides') });
  return config.get('merged');
}

const merged = await loadConfig();
assert.deepEqual(merged, { port: 8080, log: 'info', region: 'eu' });
assert.deepEqual(await loadConfig(), merged);
console.log(JSON.stringify(merged));
