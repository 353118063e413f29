// The idle-CPU rule, pure: a job whose tree stays under a CPU share long enough is dead.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { idleStep } from '../../runner/idle-cpu.js';

describe('idleStep', () => {
  const rule = { percent: 5, seconds: 3 };
  it('declares a tree dead after `seconds` below `percent` in a row, counted from the first quiet sample', () => {
    let st = { lowSince: null as number | null };
    let r = idleStep(rule, st, 1, 0, 1000);
    assert.equal(r.dead, false);
    st = r.st;
    r = idleStep(rule, st, 0, 1000, 2000);
    assert.equal(r.dead, false);
    r = idleStep(rule, r.st, 0, 2000, 3000);
    assert.equal(r.dead, true);
  });
  it('starts over when the tree works again', () => {
    let r = idleStep(rule, { lowSince: null }, 0, 0, 2000);
    r = idleStep(rule, r.st, 50, 2000, 3000);
    assert.deepEqual(r, { st: { lowSince: null }, dead: false });
    r = idleStep(rule, r.st, 0, 3000, 5000);
    assert.equal(r.dead, false);
  });
});
