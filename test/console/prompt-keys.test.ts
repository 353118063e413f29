import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBurst, keyToIntent, splitBurst, type KeyInfo, type KeyIntent } from '../../console/prompt-keys.js';

test('keyToIntent: readline bindings', () => {
  const e = (action: object): KeyIntent => ({ kind: 'edit', action } as KeyIntent);
  const cases: [string, KeyInfo, boolean, KeyIntent][] = [
    ['', { return: true }, false, { kind: 'submit' }],
    ['', { tab: true }, false, { kind: 'complete' }],
    ['', { tab: true, shift: true }, false, { kind: 'none' }],
    ['', { upArrow: true }, false, e({ type: 'history-up' })],
    ['', { downArrow: true }, false, e({ type: 'history-down' })],
    ['', { leftArrow: true }, false, e({ type: 'move', by: -1 })],
    ['', { rightArrow: true }, false, e({ type: 'move', by: 1 })],
    ['', { leftArrow: true, ctrl: true }, false, e({ type: 'move-word', dir: -1 })],
    ['', { home: true }, false, e({ type: 'home' })],
    ['', { end: true }, false, e({ type: 'end' })],
    ['', { delete: true }, false, e({ type: 'delete-back' })],
    ['', { backspace: true }, false, e({ type: 'delete-back' })],
    ['', { backspace: true, meta: true }, false, e({ type: 'delete-word' })],
    ['a', { ctrl: true }, false, e({ type: 'home' })],
    ['e', { ctrl: true }, false, e({ type: 'end' })],
    ['u', { ctrl: true }, false, e({ type: 'kill-line' })],
    ['k', { ctrl: true }, false, e({ type: 'kill-to-end' })],
    ['w', { ctrl: true }, false, e({ type: 'delete-word' })],
    ['c', { ctrl: true }, false, { kind: 'interrupt' }],
    ['d', { ctrl: true }, true, { kind: 'eof' }],
    ['d', { ctrl: true }, false, e({ type: 'delete-forward' })],
    ['z', { ctrl: true }, false, { kind: 'none' }],
    ['b', { meta: true }, false, e({ type: 'move-word', dir: -1 })],
    ['', { escape: true, meta: true }, false, { kind: 'none' }],
    ['x', {}, false, e({ type: 'insert', text: 'x' })],
    ['sleep 1', {}, false, e({ type: 'insert', text: 'sleep 1' })],
    ['', {}, false, { kind: 'none' }],
  ];
  for (const [input, key, empty, want] of cases) assert.deepEqual(keyToIntent(input, key, empty), want, `${JSON.stringify(input)} ${JSON.stringify(key)}`);
});

test('splitBurst: keys that came in one chunk', () => {
  assert.equal(isBurst('ls'), false);
  assert.equal(isBurst('ls\r'), true);
  assert.deepEqual(splitBurst('ls\rset Ta\t'), [
    { input: 'ls', key: {} },
    { input: '', key: { return: true } },
    { input: 'set Ta', key: {} },
    { input: '', key: { tab: true } },
  ]);
  assert.deepEqual(splitBurst('ab\x7f\x15\r\n\x1b[Ac'), [
    { input: 'ab', key: {} },
    { input: '', key: { backspace: true } },
    { input: 'u', key: { ctrl: true } },
    { input: '', key: { return: true } },
    { input: 'c', key: {} },
  ]);
});
