// A repricing job whose awaited helper currentPrice() reads the price map in its own synchronous prefix; concurrent tasks reprice different SKUs while a report task only reads.
// expect: clean
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const prices = new GoMap([['sku-1', 100], ['sku-2', 40], ['sku-3', 10]], { race: true, name: 'prices' });

async function currentPrice(sku) {
  const price = prices.get(sku);
  await sleep(1); // the audit trail of price reads
  return price;
}

async function reprice(sku, factor, fxMs) {
  const price = await currentPrice(sku);
  await sleep(fxMs); // the FX rate service
  prices.set(sku, Math.round(price * factor));
}

async function priceReport() {
  const lines = [];
  for (const sku of ['sku-1', 'sku-2', 'sku-3']) {
    lines.push(`${sku}=${await currentPrice(sku)}`);
    await sleep(3);
  }
  return lines.join(' ');
}

const [, , , report] = await Promise.all([reprice('sku-1', 1.1, 15), reprice('sku-2', 0.5, 2), reprice('sku-3', 2, 6), priceReport()]);
assert.deepEqual(Object.fromEntries(prices), { 'sku-1': 110, 'sku-2': 20, 'sku-3': 20 });
console.log(`during: ${report}; after: ${JSON.stringify(Object.fromEntries(prices))}`);
