// A feature-flag cache whose evaluator reads a flag, awaits the targeting rules, and stores the flag back with its hit count, while an admin "flush all flags" handler clears the cache.
// expect: report
// code: ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const flags = new GoMap([['new-checkout', { enabled: true, hits: 0 }], ['dark-mode', { enabled: false, hits: 0 }]], { race: true, name: 'flags' });

async function evaluate(flagName, user) {
  const flag = flags.get(flagName);
  await sleep(10); // evaluate the targeting rules for the user
  flags.set(flagName, { ...flag, hits: flag.hits + 1 });
  return flag.enabled && user.length > 0;
}

function onAdminFlush() {
  flags.clear(); // the flags changed upstream: drop every cached flag
}

setTimeout(onAdminFlush, 3);
console.log(`new-checkout for ana: ${await evaluate('new-checkout', 'ana')}; cache holds ${flags.size} flags (0 expected after the flush)`);
