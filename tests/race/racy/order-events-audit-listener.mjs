// An order service that emits 'stock.read' to an async audit listener (EventEmitter, not awaited) after reading the stock, then awaits the payment and stores stock - qty; two checkouts in Promise.all.
// expect: report
// code: ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const stock = new GoMap([['sku-42', 10]], { race: true, name: 'stock' });
const bus = new EventEmitter();
const auditTrail = [];

bus.on('stock.read', async ({ sku, available }) => {
  await sleep(1); // write to the audit store
  auditTrail.push(`${sku}: ${available}`);
});

async function checkout(sku, qty, paymentMs) {
  const available = stock.get(sku);
  bus.emit('stock.read', { sku, available });
  if (available < qty) throw new Error(`${sku}: only ${available} left`);
  await sleep(paymentMs); // charge the card
  stock.set(sku, available - qty);
}

await Promise.all([checkout('sku-42', 2, 15), checkout('sku-42', 3, 2)]);
console.log(`stock of sku-42: ${stock.get('sku-42')} (5 expected)`);
