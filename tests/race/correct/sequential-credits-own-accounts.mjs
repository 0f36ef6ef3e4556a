// A wallet service crediting one account from two webhooks one after the other (sequential awaits), and crediting different accounts in Promise.all (each task its own key).
// expect: clean
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const balances = new GoMap([['acct-1', 100], ['acct-2', 0], ['acct-3', 7]], { race: true, name: 'balances' });

async function credit(account, amount, ledgerMs) {
  const balance = balances.get(account);
  await sleep(ledgerMs); // INSERT INTO ledger
  balances.set(account, balance + amount);
}

await credit('acct-1', 50, 20);
await credit('acct-1', 30, 1);
await Promise.all([credit('acct-2', 50, 20), credit('acct-3', 30, 1)]);
assert.deepEqual(Object.fromEntries(balances), { 'acct-1': 180, 'acct-2': 50, 'acct-3': 37 });
console.log(JSON.stringify(Object.fromEntries(balances)));
