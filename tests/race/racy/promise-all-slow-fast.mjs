// A wallet service crediting one account from two webhooks in Promise.all: read the balance, await the ledger insert, store balance + amount; the first insert is slow, the second fast.
// expect: report
// code: ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const balances = new GoMap([['acct-1', 100]], { race: true, name: 'balances' });

async function credit(account, amount, ledgerMs) {
  const balance = balances.get(account);
  await sleep(ledgerMs); // INSERT INTO ledger
  balances.set(account, balance + amount);
}

await Promise.all([credit('acct-1', 50, 20), credit('acct-1', 30, 1)]);
console.log(`acct-1 balance ${balances.get('acct-1')} (180 expected)`);
