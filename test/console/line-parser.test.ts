import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quoteWord, restAfterFirstWord, splitStatements, tokenize, wordAtCursor, words } from '../../console/line-parser.js';

test('words: whitespace, quotes and escapes', () => {
  const cases: [string, string[]][] = [
    ['', []],
    ['   ', []],
    ['ls', ['ls']],
    ['  set  Task cardinality 3 ', ['set', 'Task', 'cardinality', '3']],
    [`submit "echo a b" 'c d'`, ['submit', 'echo a b', 'c d']],
    [`a"b c"d`, ['ab cd']],
    [`say \\"hi\\"`, ['say', '"hi"']],
    [`x "a \\" b"`, ['x', 'a " b']],
    [`x 'a \\ b'`, ['x', 'a \\ b']],
    [`x a\\ b`, ['x', 'a b']],
    [`x ""`, ['x', '']],
  ];
  for (const [line, want] of cases) assert.deepEqual(words(line), want, line);
});

test('tokenize: offsets and unterminated quotes', () => {
  assert.deepEqual(tokenize('set "Ta'), [
    { value: 'set', start: 0, end: 3, unterminated: false },
    { value: 'Ta', start: 4, end: 7, unterminated: true },
  ]);
});

test('splitStatements: ; outside quotes, newlines, empties dropped', () => {
  const cases: [string, string[]][] = [
    ['ls; status', ['ls', 'status']],
    ['ls;;  ;status;', ['ls', 'status']],
    [`submit "echo a; echo b"; jobs`, [`submit "echo a; echo b"`, 'jobs']],
    [`submit echo a\\; b`, [`submit echo a\\; b`]],
    ['ls\nstatus', ['ls', 'status']],
    ['', []],
  ];
  for (const [text, want] of cases) assert.deepEqual(splitStatements(text), want, text);
});

test('restAfterFirstWord keeps the command as typed', () => {
  assert.equal(restAfterFirstWord('submit  sleep 1 && echo "a  b"'), 'sleep 1 && echo "a  b"');
  assert.equal(restAfterFirstWord('submit'), '');
  assert.equal(restAfterFirstWord('  urgent x '), 'x');
});

test('wordAtCursor: which word the cursor completes', () => {
  const cases: [string, number | undefined, { index: number; before: string[]; partial: string; start: number }][] = [
    ['', undefined, { index: 0, before: [], partial: '', start: 0 }],
    ['se', undefined, { index: 0, before: [], partial: 'se', start: 0 }],
    ['set ', undefined, { index: 1, before: ['set'], partial: '', start: 4 }],
    ['set Ta', undefined, { index: 1, before: ['set'], partial: 'Ta', start: 4 }],
    ['set Task c', undefined, { index: 2, before: ['set', 'Task'], partial: 'c', start: 9 }],
    ['set "My Ta', undefined, { index: 1, before: ['set'], partial: 'My Ta', start: 4 }],
    // Only the text before the cursor counts.
    ['set Ta cardinality 3', 6, { index: 1, before: ['set'], partial: 'Ta', start: 4 }],
    ['set Task ', 3, { index: 0, before: [], partial: 'set', start: 0 }],
  ];
  for (const [line, cursor, want] of cases) assert.deepEqual(wordAtCursor(line, cursor ?? line.length), want, `${line}@${cursor}`);
});

test('quoteWord quotes only when needed and round-trips', () => {
  for (const w of ['Task', 'a b', `it's`, 'x;y', '']) {
    const q = quoteWord(w);
    assert.deepEqual(words(q), [w], q);
  }
  assert.equal(quoteWord('Task'), 'Task');
});

test('a job command: as typed, but one quoted string is unquoted', async () => {
  const { jobCommandOf } = await import('../../console/commands/submit.js');
  const cases: [string, string][] = [
    ['sleep 1', 'sleep 1'],
    [`echo "a  b" | wc -c`, `echo "a  b" | wc -c`],
    [`'echo hello; echo world >&2'`, 'echo hello; echo world >&2'],
    [`"make all && make test"`, 'make all && make test'],
    [`"unterminated`, `"unterminated`],
    [`'a' 'b'`, `'a' 'b'`],
  ];
  for (const [rest, want] of cases) assert.equal(jobCommandOf(rest), want, rest);
});
