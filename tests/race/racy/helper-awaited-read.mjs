// A loyalty service whose awaited helper loadPoints() reads the points map after its own await; the caller stores points + bonus after awaiting the bonus rules; two purchases overlap.
// expect: report
// code: ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const points = new GoMap([['cust-9', 40]], { race: true, name: 'points' });

async function loadPoints(customer) {
  await sleep(1); // check the customer is active
  return points.get(customer) ?? 0;
}

async function onPurchase(customer, amount, rulesMs) {
  const current = await loadPoints(customer);
  await sleep(rulesMs); // evaluate the bonus rules
  points.set(customer, current + Math.floor(amount / 10));
}

await Promise.all([onPurchase('cust-9', 200, 15), onPurchase('cust-9', 50, 2)]);
console.log(`cust-9 points ${points.get('cust-9')} (65 expected)`);
