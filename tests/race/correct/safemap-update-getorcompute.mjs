// An API quota tracker on a SafeMap used through its compound operations: update() for the quota's read-modify-write across the upstream call, getOrCompute() for each team's limit.
// expect: clean
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { SafeMap } from 'eslint-plugin-maprace/runtime';

const quota = new SafeMap([['team-a', 0]], { race: true, name: 'quota' });
const limits = new SafeMap({ race: true, name: 'limits' });
let limitLoads = 0;

async function loadLimit(team) {
  limitLoads++;
  await sleep(3); // the billing service
  return team === 'team-a' ? 100 : 10;
}

async function callUpstream(team, cost, latencyMs) {
  const limit = await limits.getOrCompute(team, loadLimit);
  return quota.update(team, async (used = 0) => {
    if (used + cost > limit) throw new Error(`${team} is over quota`);
    await sleep(latencyMs); // the upstream API
    return used + cost;
  });
}

await Promise.all([callUpstream('team-a', 10, 15), callUpstream('team-a', 5, 2), callUpstream('team-b', 4, 1)]);
assert.equal(quota.get('team-a'), 15);
assert.equal(quota.get('team-b'), 4);
assert.equal(limitLoads, 2, 'one limit load per team');
console.log(`team-a used ${quota.get('team-a')}, team-b used ${quota.get('team-b')}`);
