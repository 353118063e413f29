// The release rules of `after`, without a store: what a submit starts as, what an end does.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideAtSubmit, decideWaiter, isSweepId } from '../../../daemon/broker/dependencies.js';

test('at submit: open dependencies wait, succeeded ones are done, one ended otherwise cancels unless after_any', () => {
  assert.deepEqual(decideAtSubmit(false, [{ dep: 'A', open: false }]), { kind: 'pending' });
  assert.deepEqual(decideAtSubmit(false, [{ dep: 'A', open: false }, { dep: 'B', open: true }]), { kind: 'waiting', open: ['B'] });
  const failed = { dep: 'A', open: false, failed: { job: 'A', state: 'failed' as const } };
  assert.deepEqual(decideAtSubmit(false, [{ dep: 'B', open: true }, failed]), { kind: 'cancelled', reason: 'waited on job A, which ended failed' });
  assert.deepEqual(decideAtSubmit(true, [failed]), { kind: 'pending' });
  // A sweep with one combination failed and others still running.
  const sweep = { dep: 'sweep-1', open: true, failed: { job: 'J', state: 'lost' as const } };
  assert.deepEqual(decideAtSubmit(false, [sweep]), { kind: 'cancelled', reason: 'waited on job J of sweep sweep-1, which ended lost' });
  assert.deepEqual(decideAtSubmit(true, [sweep]), { kind: 'waiting', open: ['sweep-1'] });
});

test('on an end: release at the last open dependency, cancel on another end unless after_any, wait on a sweep still running', () => {
  const ok = { dep: 'A', job: 'A', state: 'succeeded' as const, depStillOpen: false };
  assert.deepEqual(decideWaiter(false, 1, ok), { kind: 'release' });
  assert.deepEqual(decideWaiter(false, 2, ok), { kind: 'wait', resolved: true });
  const bad = { ...ok, state: 'cancelled' as const };
  assert.deepEqual(decideWaiter(false, 2, bad), { kind: 'cancel', reason: 'waited on job A, which ended cancelled' });
  assert.deepEqual(decideWaiter(true, 1, bad), { kind: 'release' });
  const sweepJob = { dep: 'sweep-9', job: 'J', state: 'succeeded' as const, depStillOpen: true };
  assert.deepEqual(decideWaiter(false, 1, sweepJob), { kind: 'wait', resolved: false });
  assert.deepEqual(decideWaiter(false, 1, { ...sweepJob, state: 'timed_out' }), { kind: 'cancel', reason: 'waited on job J of sweep sweep-9, which ended timed_out' });
  assert.deepEqual(decideWaiter(true, 1, { ...sweepJob, state: 'timed_out' }), { kind: 'wait', resolved: false });
  assert.deepEqual(decideWaiter(true, 1, { ...sweepJob, depStillOpen: false }), { kind: 'release' });
  assert.ok(isSweepId('sweep-01ABC') && !isSweepId('01ABC'));
});
