import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialPrompt, promptReducer, type PromptAction, type PromptState } from '../../console/prompt-reducer.js';

/** `|` marks the cursor: `se|t` = value 'set', cursor 2. */
function at(marked: string, history: string[] = []): PromptState {
  const cursor = marked.indexOf('|');
  return { ...initialPrompt(history), value: marked.replace('|', ''), cursor };
}
const show = (s: PromptState) => s.value.slice(0, s.cursor) + '|' + s.value.slice(s.cursor);

test('editing actions', () => {
  const cases: [string, PromptAction, string][] = [
    ['|', { type: 'insert', text: 'ls' }, 'ls|'],
    ['s|t', { type: 'insert', text: 'e' }, 'se|t'],
    ['a|', { type: 'insert', text: 'b\nc\td' }, 'ab c d|'],
    ['set|', { type: 'delete-back' }, 'se|'],
    ['|set', { type: 'delete-back' }, '|set'],
    ['s|et', { type: 'delete-forward' }, 's|t'],
    ['set|', { type: 'delete-forward' }, 'set|'],
    ['set|', { type: 'move', by: -1 }, 'se|t'],
    ['|set', { type: 'move', by: -1 }, '|set'],
    ['set|', { type: 'move', by: 1 }, 'set|'],
    ['set Task|', { type: 'move-word', dir: -1 }, 'set |Task'],
    ['|set Task', { type: 'move-word', dir: 1 }, 'set| Task'],
    ['set Ta|sk', { type: 'home' }, '|set Task'],
    ['set Ta|sk', { type: 'end' }, 'set Task|'],
    ['set Ta|sk', { type: 'kill-line' }, '|sk'],
    ['set Ta|sk', { type: 'kill-to-end' }, 'set Ta|'],
    ['set Task|', { type: 'delete-word' }, 'set |'],
    ['set Task  |', { type: 'delete-word' }, 'set |'],
    ['set Ta|sk', { type: 'delete-word' }, 'set |sk'],
    ['|set', { type: 'delete-word' }, '|set'],
    // An emoji is two UTF-16 units: never split it.
    ['a🙂|', { type: 'delete-back' }, 'a|'],
    ['a🙂|', { type: 'move', by: -1 }, 'a|🙂'],
    ['a|🙂b', { type: 'move', by: 1 }, 'a🙂|b'],
    ['a|🙂b', { type: 'delete-forward' }, 'a|b'],
  ];
  for (const [from, action, want] of cases) assert.equal(show(promptReducer(at(from), action)), want, `${from} ${JSON.stringify(action)}`);
});

test('history: up, down, draft kept, bounds', () => {
  let s = at('dra|', ['ls', 'status']);
  s = promptReducer(s, { type: 'history-up' });
  assert.equal(show(s), 'status|');
  s = promptReducer(s, { type: 'history-up' });
  assert.equal(show(s), 'ls|');
  assert.equal(promptReducer(s, { type: 'history-up' }), s, 'stops at the oldest');
  s = promptReducer(s, { type: 'history-down' });
  assert.equal(show(s), 'status|');
  s = promptReducer(s, { type: 'history-down' });
  assert.equal(show(s), 'dra|', 'the line being typed comes back');
  assert.equal(promptReducer(s, { type: 'history-down' }), s);
});

test('submit records the line once, skips blanks and repeats', () => {
  let s = promptReducer(at('ls|'), { type: 'submit' });
  assert.deepEqual(s.history, ['ls']);
  assert.equal(s.value, '');
  s = promptReducer({ ...s, value: 'ls', cursor: 2 }, { type: 'submit' });
  assert.deepEqual(s.history, ['ls']);
  s = promptReducer({ ...s, value: '   ', cursor: 3 }, { type: 'submit' });
  assert.deepEqual(s.history, ['ls']);
  assert.equal(s.historyIndex, 1);
});

test('history-load puts older lines first and keeps the current line', () => {
  let s = promptReducer(at('x|'), { type: 'submit' });
  s = { ...s, value: 'typing', cursor: 6 };
  s = promptReducer(s, { type: 'history-load', lines: ['old1', 'old2'] });
  assert.deepEqual(s.history, ['old1', 'old2', 'x']);
  assert.equal(s.value, 'typing');
  assert.equal(show(promptReducer(s, { type: 'history-up' })), 'x|');
});

test('complete: applies a change; a second Tab with no change lists; stale results ignored', () => {
  const s0 = at('set Ta|');
  const same = { line: 'set Ta', cursor: 6, matches: ['Tally', 'Task'] };
  let s = promptReducer(s0, { type: 'complete', from: { value: 'set Ta', cursor: 6 }, result: same });
  assert.equal(s.listing, null, 'first Tab lists nothing');
  s = promptReducer(s, { type: 'complete', from: { value: 'set Ta', cursor: 6 }, result: same });
  assert.deepEqual(s.listing, [{ value: 'Tally' }, { value: 'Task' }], 'second Tab lists');
  s = promptReducer(s, { type: 'insert', text: 's' });
  assert.equal(s.listing, null, 'an edit clears the listing');

  const grown = promptReducer(at('set Tas|'), { type: 'complete', from: { value: 'set Tas', cursor: 7 }, result: { line: 'set Task', cursor: 8, matches: ['Task', 'Taskforce'] } });
  assert.equal(show(grown), 'set Task|');
  const listed = promptReducer(grown, { type: 'complete', from: { value: 'set Task', cursor: 8 }, result: { line: 'set Task', cursor: 8, matches: ['Task', 'Taskforce'] } });
  assert.deepEqual(listed.listing, [{ value: 'Task' }, { value: 'Taskforce' }], 'after extending, the next Tab lists');

  const jobs = { line: 'log 01J', cursor: 7, matches: ['01JB', '01JA'], notes: ['running  sleep 1', 'succeeded  true'] };
  const twice = [1, 2].reduce((st) => promptReducer(st, { type: 'complete', from: { value: 'log 01J', cursor: 7 }, result: jobs }), at('log 01J|'));
  assert.deepEqual(twice.listing, [{ value: '01JB', note: 'running  sleep 1' }, { value: '01JA', note: 'succeeded  true' }], 'notes are listed beside their ids, in order');

  const stale = promptReducer(at('set Tx|'), { type: 'complete', from: { value: 'set T', cursor: 5 }, result: { line: 'set Task ', cursor: 9, matches: ['Task'] } });
  assert.equal(show(stale), 'set Tx|');
});

test('interrupt clears the line; on an empty line it arms leaving; an edit disarms', () => {
  let s = promptReducer(at('set Ta|sk', ['ls']), { type: 'interrupt' });
  assert.equal(show(s), '|');
  assert.equal(s.armedExit, false);
  s = promptReducer(s, { type: 'interrupt' });
  assert.equal(s.armedExit, true);
  s = promptReducer(s, { type: 'insert', text: 'l' });
  assert.equal(s.armedExit, false);
});
