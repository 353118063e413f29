// A keeper's end file: its name says the job and attempt, its body the end; anything else is
// not an end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endFileName, parseEnd, parseEndFileName } from '../../../runner/spawn-helpers/end-file.js';

test('an end file is named by job and attempt, and only such names parse', () => {
  assert.equal(endFileName('01JABC', 3), '01JABC.3.end');
  assert.deepEqual(parseEndFileName('01JABC.3.end'), { id: '01JABC', attempt: 3 });
  for (const bad of ['01JABC.log', '01JABC.end', '.3.end', '01JABC.x.end', '01JABC.3.end.77.tmp', '01JABC.-1.end']) {
    assert.equal(parseEndFileName(bad), undefined, bad);
  }
});

test('an end parses with its fields checked', () => {
  const end = { pid: 12, code: 0, signal: null, at: 1700000000000, left: false, cpu: 0.5, maxrss: 4096 };
  assert.deepEqual(parseEnd(JSON.stringify(end)), end);
  assert.deepEqual(parseEnd(JSON.stringify({ ...end, code: null, signal: 'SIGKILL', cpu: null, maxrss: null })), { ...end, code: null, signal: 'SIGKILL', cpu: null, maxrss: null });
  for (const bad of ['', '{', 'null', '[]', JSON.stringify({ ...end, pid: 'x' }), JSON.stringify({ ...end, left: 1 }), JSON.stringify({ ...end, signal: 9 }), JSON.stringify({ pid: 1 })]) {
    assert.equal(parseEnd(bad), undefined, bad);
  }
});
