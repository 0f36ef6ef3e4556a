// An API quota tracker that holds a SafeMap but uses only its plain get/set: read the used quota, await the upstream call, store used + cost.
// expect: report-with-import (a SafeMap made without the race option: reports only under --import or MAPRACE=1)
// code: ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE
import { setTimeout as sleep } from 'node:timers/promises';
import { SafeMap } from 'eslint-plugin-maprace/runtime';

const quota = new SafeMap([['team-a', 0]], { name: 'quota' });

async function callUpstream(team, cost, latencyMs) {
  const used = quota.get(team);
  if (used + cost > 100) throw new Error(`${team} is over quota`);
  await sleep(latencyMs); // the upstream API
  quota.set(team, used + cost);
}

await Promise.all([callUpstream('team-a', 10, 15), callUpstream('team-a', 5, 2)]);
console.log(`team-a used ${quota.get('team-a')} (15 expected)`);
