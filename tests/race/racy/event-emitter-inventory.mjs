// An EventEmitter order processor: each 'order' event reads the SKU's stock, awaits the payment reservation, then stores stock - qty; two orders arrive 1 ms apart.
// expect: report
// code: ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const stock = new GoMap([['sku-42', 10]], { race: true, name: 'stock' });
const orders = new EventEmitter();
let handled = 0;

orders.on('order', async ({ sku, qty, paymentMs }) => {
  const available = stock.get(sku);
  if (available < qty) return;
  await sleep(paymentMs); // reserve the payment
  stock.set(sku, available - qty);
  if (++handled === 2) console.log(`stock of ${sku}: ${stock.get(sku)} (5 expected)`);
});

// Orders come in from the network, one per tick of the socket.
setTimeout(() => orders.emit('order', { sku: 'sku-42', qty: 2, paymentMs: 15 }), 1);
setTimeout(() => orders.emit('order', { sku: 'sku-42', qty: 3, paymentMs: 2 }), 2);
