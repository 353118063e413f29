// One log entry as a line: human text by default, a JSON object with --log-json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatLine } from '../../../daemon/log/format-line.js';

const time = Date.parse('2026-12-02T16:00:24.718Z');

test('human: time, the level padded to a column, the message', () => {
  assert.equal(
    formatLine({ time, level: 'warn', msg: 'NodeExample[21882] exited with code 1; restarting in 400 ms (backoff)' }, false),
    '2026-12-02T16:00:24.718Z warn  NodeExample[21882] exited with code 1; restarting in 400 ms (backoff)',
  );
  assert.equal(formatLine({ time, level: 'error', msg: 'x' }, false), '2026-12-02T16:00:24.718Z error x');
  assert.equal(formatLine({ time, level: 'info', msg: 'x' }, false), '2026-12-02T16:00:24.718Z info  x');
  assert.equal(formatLine({ time, level: 'debug', msg: 'x' }, false), '2026-12-02T16:00:24.718Z debug x');
});

test('human: a message with a newline stays on its line; a stack follows it, indented', () => {
  assert.equal(formatLine({ time, level: 'warn', msg: 'a\nb' }, false), '2026-12-02T16:00:24.718Z warn  a\\nb');
  const l = formatLine({ time, level: 'error', msg: 'boom', fields: { stack: 'Error: boom\n    at f (x.js:1:1)' } }, false);
  assert.equal(l, '2026-12-02T16:00:24.718Z error boom\n    Error: boom\n    at f (x.js:1:1)');
});

test('JSON: one object a line, time, level, msg and event first, then the event fields', () => {
  const l = formatLine({ time, level: 'warn', msg: 'm', event: 'worker.exited', fields: { task: 'T', pid: 1, code: 1, msg: 'not this', time: 0 } }, true);
  assert.ok(!l.includes('\n'));
  assert.deepEqual(JSON.parse(l), { time: '2026-12-02T16:00:24.718Z', level: 'warn', msg: 'm', event: 'worker.exited', task: 'T', pid: 1, code: 1 });
  assert.deepEqual(Object.keys(JSON.parse(l)).slice(0, 4), ['time', 'level', 'msg', 'event']);
  assert.deepEqual(JSON.parse(formatLine({ time, level: 'info', msg: 'a\nb' }, true)), { time: '2026-12-02T16:00:24.718Z', level: 'info', msg: 'a\nb' });
});
