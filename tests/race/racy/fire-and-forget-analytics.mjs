// A wallet service crediting one account from two webhooks in Promise.all, which fires an analytics event (`void analytics.track(...)`, not awaited) between reading the balance and awaiting the ledger.
// expect: report
// code: ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const balances = new GoMap([['acct-1', 100]], { race: true, name: 'balances' });

const analytics = {
  events: [],
  async track(name, props) {
    await sleep(1); // batch and send; nobody waits for it
    this.events.push({ name, ...props });
  },
};

async function credit(account, amount, ledgerMs) {
  const balance = balances.get(account);
  void analytics.track('balance_read', { account, balance });
  await sleep(ledgerMs); // INSERT INTO ledger
  balances.set(account, balance + amount);
}

await Promise.all([credit('acct-1', 50, 20), credit('acct-1', 30, 1)]);
console.log(`acct-1 balance ${balances.get('acct-1')} (180 expected)`);
