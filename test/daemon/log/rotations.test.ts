// The writer's record of which log file followed which, and how big each was when rotated out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RotationHistory, rotatedPath } from '../../../daemon/log/rotations.js';

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

test('a reader that came before any file: every file opened since its mark, oldest first', () => {
  const h = new RotationHistory();
  h.opened(10);
  const mark = h.mark();
  assert.deepEqual(h.since(mark), []);
  h.closed(10, 100);
  h.opened(11);
  h.closed(11, 200);
  h.opened(12);
  assert.deepEqual(h.since(mark), [{ ino: 11, size: 200 }, { ino: 12, size: undefined }]);
  assert.deepEqual(h.since(0).map((f) => f.ino), [10, 11, 12]);
});
