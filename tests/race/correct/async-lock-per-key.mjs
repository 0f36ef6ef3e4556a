// A shopping-cart service serializing each cart's read-modify-write across the inventory check with async-lock's `lock.acquire(cartId, fn)`; carts differ, items of one cart race.
// expect: clean
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import AsyncLock from 'async-lock';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const carts = new GoMap({ race: true, name: 'carts' });
const lock = new AsyncLock();

async function addItem(cartId, sku, inventoryMs) {
  await lock.acquire(cartId, async () => {
    const cart = carts.get(cartId) ?? { items: [] };
    await sleep(inventoryMs); // check the warehouse has it
    carts.set(cartId, { items: [...cart.items, sku] });
  });
}

await Promise.all([addItem('cart-1', 'lamp', 15), addItem('cart-1', 'desk', 2), addItem('cart-2', 'chair', 4), addItem('cart-1', 'rug', 1)]);
assert.deepEqual(carts.get('cart-1').items, ['lamp', 'desk', 'rug']);
assert.deepEqual(carts.get('cart-2').items, ['chair']);
console.log(JSON.stringify(Object.fromEntries(carts)));
