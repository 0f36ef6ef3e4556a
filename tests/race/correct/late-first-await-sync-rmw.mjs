// Promise.all branches whose first await comes late: each counts its upload in its synchronous prefix (read and write with no await between), then reads the count again after the await before writing.
// expect: clean
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { GoMap } from 'eslint-plugin-maprace/runtime';

const stats = new GoMap([['started', 0], ['finished', 0]], { race: true, name: 'upload-stats' });

async function upload(file, storageMs) {
  // synchronous validation and bookkeeping first; the first await comes only after it
  if (!/^[\w.-]+$/u.test(file)) throw new Error(`bad file name ${file}`);
  const started = stats.get('started');
  stats.set('started', started + 1);
  const position = started + 1;
  const seenBefore = stats.get('finished');
  await sleep(storageMs); // PUT to object storage
  const finished = stats.get('finished');
  stats.set('finished', finished + 1);
  return { file, position, finishedWhileUploading: finished - seenBefore };
}

const uploads = await Promise.all([upload('a.png', 15), upload('b.png', 2), upload('c.png', 6)]);
assert.equal(stats.get('started'), 3);
assert.equal(stats.get('finished'), 3);
assert.deepEqual(uploads.map((u) => u.position), [1, 2, 3]);
assert.deepEqual(uploads.map((u) => u.finishedWhileUploading), [2, 0, 1]);
console.log(JSON.stringify(uploads));
