// A wallet service moving money between accounts on a SafeMap with withLock([from, to]) around the read, the fraud-check await and both writes; two transfers touch one account.
// expect: clean
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { SafeMap } from 'eslint-plugin-maprace/runtime';

const balances = new SafeMap([['alice', 100], ['bob', 50], ['carol', 0]], { race: true, name: 'balances' });

function transfer(from, to, amount, fraudCheckMs) {
  return balances.withLock([from, to], async (view) => {
    const source = view.get(from);
    if (source < amount) throw new Error(`${from} has ${source}, cannot send ${amount}`);
    await sleep(fraudCheckMs); // the fraud-scoring service
    view.set(from, source - amount);
    view.set(to, view.get(to) + amount);
  });
}

await Promise.all([transfer('alice', 'bob', 30, 15), transfer('bob', 'carol', 60, 2), transfer('alice', 'carol', 10, 4)]);
assert.deepEqual(Object.fromEntries(balances), { alice: 60, bob: 20, carol: 70 });
console.log(JSON.stringify(Object.fromEntries(balances)));
