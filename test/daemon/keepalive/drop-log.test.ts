// A flood of bad keep-alives becomes a few log lines: the first drop of a quiet spell at once,
// the rest of its window as one summary with the count and the reasons.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DROP_LOG_WINDOW_MS, emptyDropLog, noteDrop, summarise, type DropLogState } from '../../../daemon/keepalive/drop-log.js';

const W = DROP_LOG_WINDOW_MS;

test('the first drop is told at once; the next ones in its window only in the summary at its end', () => {
  let s: DropLogState = emptyDropLog();
  const first = noteDrop(s, 'keep-alive body is not JSON', 1000);
  assert.equal(first.line, 'keep-alive dropped: keep-alive body is not JSON');
  assert.equal(first.summaryAt, 1000 + W);
  s = first.state;
  const lines: string[] = [];
  for (let i = 0; i < 1000; i++) {
    const step = noteDrop(s, i % 4 === 0 ? 'expected 2 frames [taskname, json], got 5' : 'keep-alive body is not JSON', 1001 + i);
    if (step.line) lines.push(step.line);
    assert.equal(step.summaryAt, 1000 + W);
    s = step.state;
  }
  assert.deepEqual(lines, [], 'no line a drop within the window');
  const end = summarise(s, 1000 + W);
  assert.equal(end.line, '1000 more keep-alives dropped in the last 10 s: keep-alive body is not JSON (750); expected 2 frames [taskname, json], got 5 (250)');
  // Right after a summary the window is still open: a drop then is counted, not told alone.
  const after = noteDrop(end.state, 'keep-alive body is not JSON', 1000 + W + 5);
  assert.equal(after.line, undefined);
  assert.equal(summarise(after.state, 1000 + 2 * W).line, '1 more keep-alive dropped in the last 10 s: keep-alive body is not JSON');
});

test('a window with nothing more to tell ends the spell: the next drop is told at once', () => {
  const s = noteDrop(emptyDropLog(), 'a', 0).state;
  const end = summarise(s, W);
  assert.equal(end.line, undefined);
  assert.equal(noteDrop(end.state, 'b', W + 1).line, 'keep-alive dropped: b');
});

test('a drop after an overdue summary tells the summary first, then itself', () => {
  let s = noteDrop(emptyDropLog(), 'a', 0).state;
  s = noteDrop(s, 'a', 10).state;
  const late = noteDrop(s, 'b', 3 * W);
  assert.equal(late.line, '1 more keep-alive dropped in the last 30 s: a\nkeep-alive dropped: b');
});

test('long reasons are cut, and past three reasons the rest are counted', () => {
  let s = noteDrop(emptyDropLog(), 'x'.repeat(500), 0).state;
  assert.ok(noteDrop(emptyDropLog(), 'x'.repeat(500), 0).line!.length < 150);
  for (const r of ['a', 'a', 'b', 'c', 'd', 'e']) s = noteDrop(s, r, 1).state;
  assert.equal(summarise(s, W).line, '6 more keep-alives dropped in the last 10 s: a (2); b (1); c (1); and 2 other reasons');
});
