// A token manager that reads the token entry, fires a background refresh it never awaits (which rewrites the entry), awaits an audit, then writes the entry from its stale read.
// expect: report
// code: ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const tokens = new GoMap([['github', { token: 'old', uses: 0 }]], { race: true, name: 'tokens' });

async function refreshInBackground(service) {
  await sleep(2); // POST /oauth/token
  tokens.set(service, { token: 'new', uses: 0 });
}

async function useToken(service) {
  const entry = tokens.get(service);
  if (entry.uses >= 0) void refreshInBackground(service); // rotate early, do not wait
  await sleep(10); // write the usage to the audit log
  tokens.set(service, { ...entry, uses: entry.uses + 1 });
  return entry.token;
}

console.log(`used ${await useToken('github')}; now ${JSON.stringify(tokens.get('github'))} (token new expected)`);
