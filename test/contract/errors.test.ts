// How messages show what came: a JSON value in JSON's notation (its type shows without a
// label), text from a URL as it was typed, counted nouns in the right number.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describe, describeText } from '../../contract/errors.js';
import { plural } from '../../contract/plural.js';

test('describe shows a value in JSON notation, with no type label', () => {
  assert.equal(describe(-1), '-1');
  assert.equal(describe('-1'), '"-1"', 'a string that looks like a number keeps its quotes');
  assert.equal(describe('abc'), '"abc"');
  assert.equal(describe(true), 'true');
  assert.equal(describe(null), 'null');
  assert.equal(describe(undefined), 'nothing');
  assert.equal(describe(Number.NaN), 'NaN');
  assert.equal(describe([1, 2]), '[1,2]');
  assert.equal(describe({ a: 1 }), '{"a":1}');
  assert.equal(describe('x'.repeat(100)), `"${'x'.repeat(58)}…`);
});

test('describeText shows text from a URL as typed: a number bare, anything else quoted', () => {
  assert.equal(describeText('-1'), '-1');
  assert.equal(describeText('2.5'), '2.5');
  assert.equal(describeText('1e3'), '1e3');
  assert.equal(describeText('x'), '"x"');
  assert.equal(describeText('0X1'), '"0X1"');
  assert.equal(describeText(''), '""');
  assert.equal(describeText(undefined), 'nothing');
});

test('plural counts a noun', () => {
  assert.equal(plural(1, 'task'), '1 task');
  assert.equal(plural(0, 'task'), '0 tasks');
  assert.equal(plural(2, 'match', 'matches'), '2 matches');
});
