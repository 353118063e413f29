import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cut, renderBlock, paint, visibleLength } from '../../console/render-text.js';

test('tables align on visible width, colour after padding', () => {
  const b = { kind: 'table' as const, headers: ['ID', 'STATE', 'CMD'], rows: [['1', { text: 'running', tone: 'good' as const }, 'sleep 1'], ['22', { text: 'failed', tone: 'bad' as const }, 'x']] };
  assert.deepEqual(renderBlock(b, false), ['ID  STATE    CMD', '1   running  sleep 1', '22  failed   x']);
  const colored = renderBlock(b, true);
  assert.equal(colored[1], `1   ${paint('running', 'good', true)}  sleep 1`);
  assert.equal(colored[2]!.replace(/\u001b\[\d+m/g, ''), '22  failed   x');
});

test('pairs align keys; text splits lines', () => {
  assert.deepEqual(renderBlock({ kind: 'pairs', pairs: [['Task name', 'T'], ['Running', 'true']] }, false), ['Task name:  T', 'Running:    true']);
  assert.deepEqual(renderBlock({ kind: 'text', text: 'a\nb\n' }, false), ['a', 'b']);
  assert.deepEqual(renderBlock({ kind: 'text', text: '' }, false), []);
});

test('a table fits the width: the flex column is cut with …, the others keep theirs', () => {
  const b = { kind: 'table' as const, headers: ['ID', 'STATE', 'COMMAND'], flex: 2, rows: [['1', 'running', 'make -C build all && make test'], ['22', 'failed', 'x']] };
  assert.deepEqual(renderBlock(b, false), ['ID  STATE    COMMAND', '1   running  make -C build all && make test', '22  failed   x'], 'no width: whole');
  assert.deepEqual(renderBlock(b, false, 30), ['ID  STATE    COMMAND', '1   running  make -C build al…', '22  failed   x']);
  for (const w of [30, 24, 19, 12, 5]) for (const l of renderBlock(b, true, w)) assert.ok(visibleLength(l.replace(/\u001b\[\d+m/g, '')) <= w, `${JSON.stringify(l)} in ${w}`);
});

test('cells with a short form use it when the long one leaves the flex column too little room', () => {
  const id = '01M8VSKV9QEGPP2RZQ2EN67ECG';
  const b = { kind: 'table' as const, headers: ['ID', 'COMMAND'], flex: 1, rows: [[{ text: id, short: id.slice(-8) }, 'sleep 1000 && echo done']] };
  assert.deepEqual(renderBlock(b, false, 80), ['ID                          COMMAND', `${id}  sleep 1000 && echo done`]);
  assert.deepEqual(renderBlock(b, false, 40), ['ID        COMMAND', '2EN67ECG  sleep 1000 && echo done']);
  assert.deepEqual(renderBlock(b, false, 25), ['ID        COMMAND', '2EN67ECG  sleep 1000 && …']);
});

test('cut and visibleLength count code points', () => {
  assert.equal(cut('abcdef', 4), 'abc…');
  assert.equal(cut('abc', 3), 'abc');
  assert.equal(cut('🙂🙂🙂', 2), '🙂…');
  assert.equal(visibleLength('🙂é'), 2);
});
