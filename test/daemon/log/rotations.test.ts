// The writer's record of which log file followed which, and how big each was when rotated out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RotationHistory } from '../../../daemon/log/rotations.js';
import { rotatedPath } from '../../../runner/log-files.js';

test('the files after one, oldest first, with the sizes they were rotated out at; an inode used again counts from its last use', () => {
  const h = new RotationHistory();
  h.opened(10);
  h.closed(10, 100);
  h.opened(11);
  h.closed(11, 200);
  h.opened(12);
  assert.deepEqual(h.after(10), [{ ino: 11, size: 200 }, { ino: 12, size: undefined }]);
  assert.deepEqual(h.after(12), []);
  assert.equal(h.after(99), undefined, 'not known: the reader looks by the names');
  h.opened(12);
  assert.deepEqual(h.after(11), [{ ino: 12, size: undefined }], 'opening the same file again adds nothing');
  h.closed(12, 300);
  h.opened(10); // the file system gave inode 10 again
  assert.deepEqual(h.after(10), []);
  assert.deepEqual(h.after(11), [{ ino: 12, size: 300 }, { ino: 10, size: undefined }]);
  assert.deepEqual([rotatedPath('/l/t.log', 0), rotatedPath('/l/t.log', 2)], ['/l/t.log', '/l/t.log.2']);
});

test('the files opened since a count (a follower that began before the log had a file), with one of unknown size for those forgotten', () => {
  const h = new RotationHistory();
  assert.deepEqual(h.since(0), []);
  h.opened(10);
  h.closed(10, 100);
  h.opened(11);
  assert.equal(h.opens, 2);
  assert.deepEqual(h.since(0), [{ ino: 10, size: 100 }, { ino: 11, size: undefined }]);
  assert.deepEqual(h.since(1), [{ ino: 11, size: undefined }]);
  assert.deepEqual(h.since(2), []);
  // 300 more files: the first ones are no longer remembered.
  for (let i = 0; i < 300; i++) {
    h.closed(1000 + i - 1, 10);
    h.opened(1000 + i);
  }
  const s = h.since(1);
  assert.deepEqual(s[0], { ino: -1, size: undefined }, 'something was there that is not remembered');
  assert.equal(s.at(-1)!.ino, 1299);
});
