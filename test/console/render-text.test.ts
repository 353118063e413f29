import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderBlock, paint } from '../../console/render-text.js';

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
