// A batch importer: the caller reads the import status, runs the row imports with Promise.allSettled (each failing or writing its row and bumping 'status' with no await between), then writes the final status.
// expect: clean
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const imports = new GoMap([['status', { state: 'idle', rows: 0 }]], { race: true, name: 'imports' });

async function importRow(row, dbMs) {
  await sleep(dbMs); // INSERT the row
  if (row.email === '') throw new Error(`row ${row.id}: no email`);
  imports.set(`row:${row.id}`, row);
  const status = imports.get('status');
  imports.set('status', { ...status, rows: status.rows + 1 });
}

async function runImport(rows) {
  if (imports.get('status').state === 'running') return 'busy';
  const results = await Promise.allSettled(rows.map((row, i) => importRow(row, [15, 2, 6][i % 3])));
  const failed = results.filter((r) => r.status === 'rejected').length;
  imports.set('status', { ...imports.get('status'), state: failed === 0 ? 'done' : 'partial', failed });
  return imports.get('status').state;
}

const state = await runImport([{ id: 1, email: 'a@x.io' }, { id: 2, email: '' }, { id: 3, email: 'c@x.io' }]);
assert.equal(state, 'partial');
assert.deepEqual(imports.get('status'), { state: 'partial', rows: 2, failed: 1 });
console.log(JSON.stringify(imports.get('status')));
