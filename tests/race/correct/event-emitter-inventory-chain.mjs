// An EventEmitter order processor whose 'order' handler chains each order on the previous one (a promise-chain lock) before its read-modify-write of the stock.
// expect: clean
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const stock = new GoMap([['sku-42', 10]], { race: true, name: 'stock' });
const orders = new EventEmitter();
let tail = Promise.resolve();

async function reserve({ sku, qty, paymentMs }) {
  const available = stock.get(sku);
  if (available < qty) return;
  await sleep(paymentMs); // reserve the payment
  stock.set(sku, available - qty);
}

orders.on('order', (order) => {
  tail = tail.then(() => reserve(order));
});

setTimeout(() => orders.emit('order', { sku: 'sku-42', qty: 2, paymentMs: 15 }), 1);
setTimeout(() => orders.emit('order', { sku: 'sku-42', qty: 3, paymentMs: 2 }), 2);
await sleep(10);
await tail;
assert.equal(stock.get('sku-42'), 5);
console.log(`stock of sku-42: ${stock.get('sku-42')}`);
