// A repricing job whose awaited helper currentPrice() reads the price map in its own synchronous prefix; the caller awaits it, awaits the FX rate, then stores the new price.
// expect: report
// code: ERR_CONCURRENT_MAP_READ_AND_MAP_WRITE
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const prices = new GoMap([['sku-1', 100]], { race: true, name: 'prices' });

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

await Promise.all([reprice('sku-1', 1.1, 15), reprice('sku-1', 0.5, 2)]);
console.log(`sku-1 price ${prices.get('sku-1')} (both changes expected: 55)`);
