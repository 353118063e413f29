// The pure parts of a piped job log: a stamp before each line that starts in a read (a line
// split over two reads keeps the stamp of its start), and where a write is cut for a rotation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rotationCut, stampLines, stampText } from '../../../runner/spawn-helpers/line-stamps.js';

const T = Buffer.from('T ');
const stamp = (s: string, atStart: boolean) => {
  const r = stampLines(Buffer.from(s), T, atStart);
  return [r.out.toString(), r.atLineStart] as const;
};

test('a stamp starts each line that starts in the data, and nothing else', () => {
  assert.deepEqual(stamp('a\nb\n', true), ['T a\nT b\n', true]);
  assert.deepEqual(stamp('a\nb', true), ['T a\nT b', false]);
  assert.deepEqual(stamp('rest\nnext\n', false), ['rest\nT next\n', true]);
  assert.deepEqual(stamp('\n\n', true), ['T \nT \n', true]);
  assert.deepEqual(stamp('', true), ['', true]);
  assert.deepEqual(stamp('', false), ['', false]);
  assert.deepEqual(stamp('x', false), ['x', false]);
});

test('a stamp is the time in ISO 8601 with milliseconds, UTC, then a space (as task logs)', () => {
  assert.equal(stampText(Date.UTC(2026, 0, 2, 3, 4, 5, 6)), '2026-01-02T03:04:05.006Z ');
});

test('a rotation comes at the first line end at or past the limit; a line running far past it is cut', () => {
  const b = (s: string) => Buffer.from(s);
  assert.deepEqual(rotationCut(0, null, b('x\n'.repeat(100)), 10), { write: 200, rotate: false });
  assert.deepEqual(rotationCut(0, 10, b('abc\n'), 10), { write: 4, rotate: false });
  // 8 bytes in, the limit 10: the line that reaches byte 10 ends the file.
  assert.deepEqual(rotationCut(8, 10, b('abc\ndef\n'), 10), { write: 4, rotate: true });
  assert.deepEqual(rotationCut(8, 10, b('a\nbcdef\n'), 10), { write: 2, rotate: true });
  assert.deepEqual(rotationCut(8, 10, b('ab\ncd\n'), 10), { write: 3, rotate: true });
  // Past the limit already (a long line went on): its end ends the file.
  assert.deepEqual(rotationCut(15, 10, b('xy\nz\n'), 10), { write: 3, rotate: true });
  // No line end: written whole, the file rotated only once the line runs `slack` past the limit.
  assert.deepEqual(rotationCut(8, 10, b('abcdef'), 10), { write: 6, rotate: false });
  assert.deepEqual(rotationCut(15, 10, b('abcdef'), 10), { write: 6, rotate: true });
});
