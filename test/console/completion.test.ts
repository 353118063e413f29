import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyCompletion, commonPrefix, completeLine } from '../../console/completion.js';
import { wordAtCursor } from '../../console/line-parser.js';

test('commonPrefix', () => {
  const cases: [string[], string][] = [
    [[], ''],
    [['Task'], 'Task'],
    [['Task', 'Tally'], 'Ta'],
    [['cancel', 'cardinality'], 'ca'],
    [['a', 'b'], ''],
  ];
  for (const [ws, want] of cases) assert.equal(commonPrefix(ws), want, ws.join(','));
});

test('applyCompletion: unique completes with a space, several to the common prefix, none leaves the line', () => {
  const cands = ['Task', 'Tally', 'Other', 'Taskforce'];
  const cases: { line: string; cursor?: number; cands?: string[]; want: string; wantCursor?: number; matches: string[] }[] = [
    { line: 'set O', want: 'set Other ', matches: ['Other'] },
    { line: 'set Ta', want: 'set Ta', matches: ['Tally', 'Task', 'Taskforce'] },
    { line: 'set Tas', want: 'set Task', matches: ['Task', 'Taskforce'] },
    { line: 'set Z', want: 'set Z', matches: [] },
    { line: 'set ', want: 'set ', matches: ['Other', 'Tally', 'Task', 'Taskforce'] },
    // Completing in the middle keeps what follows; no double space.
    { line: 'set O cardinality 3', cursor: 5, want: 'set Other cardinality 3', wantCursor: 9, matches: ['Other'] },
    { line: 'set Ot', cands: ['Other', 'Other'], want: 'set Other ', matches: ['Other'] },
    { line: 'connect my', cands: ['my host'], want: `connect 'my host' `, matches: ['my host'] },
  ];
  for (const c of cases) {
    const cursor = c.cursor ?? c.line.length;
    const r = applyCompletion(c.line, cursor, wordAtCursor(c.line, cursor), c.cands ?? cands);
    assert.equal(r.line, c.want, c.line);
    assert.deepEqual(r.matches, c.matches, c.line);
    assert.equal(r.cursor, c.wantCursor ?? r.line.length, c.line);
  }
});

test('completeLine: a failing source offers nothing and keeps the line', async () => {
  const r = await completeLine('set Ta', 6, () => Promise.reject(new Error('down')));
  assert.deepEqual(r, { line: 'set Ta', cursor: 6, matches: [] });
});

test('candidates with notes: listed after the plain ones, in the order given, with their notes', () => {
  const cands = [
    { value: '01JB', note: 'running    sleep 1' },
    'Task',
    { value: '01JA', note: 'succeeded  true' },
    'Other',
    { value: '01JB', note: 'a second note is dropped' },
  ];
  const all = applyCompletion('log ', 4, wordAtCursor('log ', 4), cands);
  assert.deepEqual(all.matches, ['Other', 'Task', '01JB', '01JA']);
  assert.deepEqual(all.notes, ['', '', 'running    sleep 1', 'succeeded  true']);
  const one = applyCompletion('log 01JA', 8, wordAtCursor('log 01JA', 8), cands);
  assert.equal(one.line, 'log 01JA ', 'the id is inserted, not its note');
  const plain = applyCompletion('set T', 5, wordAtCursor('set T', 5), ['Task', 'Tally']);
  assert.equal('notes' in plain, false);
});
