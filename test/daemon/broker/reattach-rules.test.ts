// What a restarted daemon does with a job an earlier one left running, and when a followed job
// has ended: an end written by its keeper always wins; a job is never left running once
// neither it nor a keeper that could still write its end is left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideRecoveryOf, followStep, HTTP_GONE, KEEPER_DIED, NO_END } from '../../../daemon/broker/reattach-rules.js';

const end = { pid: 10, code: 3, signal: null, at: 1_700_000_000_000, left: false, cpu: 0.1, maxrss: 1 << 20 };

test('recovery: an end is recorded, a live job followed, a keeper awaited, the rest re-queued or lost', () => {
  const none = { http: false, end: undefined, leaderAlive: false, keepersAlive: false };
  assert.deepEqual(decideRecoveryOf({ ...none, end, leaderAlive: true, keepersAlive: true }), { kind: 'ended', end });
  assert.deepEqual(decideRecoveryOf({ ...none, leaderAlive: true }), { kind: 'attach' });
  assert.deepEqual(decideRecoveryOf({ ...none, leaderAlive: true, keepersAlive: true }), { kind: 'attach' });
  assert.deepEqual(decideRecoveryOf({ ...none, keepersAlive: true }), { kind: 'await' });
  assert.deepEqual(decideRecoveryOf(none), { kind: 'gone', reason: NO_END });
  assert.deepEqual(decideRecoveryOf({ ...none, http: true, keepersAlive: true }), { kind: 'gone', reason: HTTP_GONE });
});

test('following: wait while the job or its keeper lives; its end when written; else lost with the reason', () => {
  const f = { end: undefined, leaderAlive: false, keeperAlive: false, hadLeader: true };
  assert.deepEqual(followStep({ ...f, leaderAlive: true }), { kind: 'wait' });
  assert.deepEqual(followStep({ ...f, leaderAlive: true, keeperAlive: true }), { kind: 'wait' });
  // Its leader gone, its keeper about to write the end.
  assert.deepEqual(followStep({ ...f, keeperAlive: true }), { kind: 'wait' });
  assert.deepEqual(followStep({ ...f, end }), { kind: 'ended', end });
  assert.deepEqual(followStep({ ...f, end, leaderAlive: true }), { kind: 'ended', end });
  assert.deepEqual(followStep(f), { kind: 'lost', reason: KEEPER_DIED });
  assert.deepEqual(followStep({ ...f, hadLeader: false }), { kind: 'lost', reason: NO_END });
});
