// The pure dispatch and end-of-run rules: no processes, no clocks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideDispatch, decideEnd, decideRecovery, ORPHAN_RERUNS, type DispatchState } from '../../../daemon/broker/dispatch.js';

const base: DispatchState = {
  concurrency: 2,
  urgentBypass: false,
  localSlots: undefined,
  running: 0,
  runningLocal: 0,
  pendingUrgent: 0,
  pendingNormal: 0,
  draining: false,
};
const d = (over: Partial<DispatchState>) => decideDispatch({ ...base, ...over });

describe('decideDispatch', () => {
  it('fills the free slots of the limit, no more than there are pending jobs', () => {
    assert.deepEqual(d({ pendingNormal: 5 }), { claimAny: 2, claimUrgentBeyond: 0 });
    assert.deepEqual(d({ pendingNormal: 1 }), { claimAny: 1, claimUrgentBeyond: 0 });
    assert.deepEqual(d({ pendingNormal: 5, running: 1, runningLocal: 1 }), { claimAny: 1, claimUrgentBeyond: 0 });
  });

  it('counts jobs on every launcher against the one limit', () => {
    assert.deepEqual(d({ pendingNormal: 5, running: 2, runningLocal: 0 }), { claimAny: 0, claimUrgentBeyond: 0 });
  });

  it('starts nothing above the limit, even after the limit was lowered', () => {
    assert.deepEqual(d({ concurrency: 1, running: 3, runningLocal: 3, pendingNormal: 4 }), { claimAny: 0, claimUrgentBeyond: 0 });
  });

  it('pauses at concurrency 0 and while draining, urgent bypass or not', () => {
    assert.deepEqual(d({ concurrency: 0, pendingUrgent: 3, urgentBypass: true }), { claimAny: 0, claimUrgentBeyond: 0 });
    assert.deepEqual(d({ draining: true, pendingUrgent: 3, pendingNormal: 3, urgentBypass: true }), { claimAny: 0, claimUrgentBeyond: 0 });
  });

  it('with urgent bypass starts every pending urgent job beside a full limit', () => {
    assert.deepEqual(d({ urgentBypass: true, running: 2, runningLocal: 2, pendingUrgent: 3, pendingNormal: 9 }), { claimAny: 0, claimUrgentBeyond: 3 });
    // Within the limit first (those claims take urgent jobs first), the rest beyond it.
    assert.deepEqual(d({ urgentBypass: true, running: 1, runningLocal: 1, pendingUrgent: 3 }), { claimAny: 1, claimUrgentBeyond: 2 });
  });

  it('holds the built-in launcher to local_slots, bypass included; 0 = remote launchers only', () => {
    assert.deepEqual(d({ concurrency: 8, localSlots: 3, pendingNormal: 10 }), { claimAny: 3, claimUrgentBeyond: 0 });
    assert.deepEqual(d({ concurrency: 8, localSlots: 0, pendingNormal: 10 }), { claimAny: 0, claimUrgentBeyond: 0 });
    assert.deepEqual(
      d({ concurrency: 1, localSlots: 3, urgentBypass: true, running: 1, runningLocal: 1, pendingUrgent: 5 }),
      { claimAny: 0, claimUrgentBeyond: 2 },
    );
  });
});

describe('decideEnd', () => {
  it('maps exits to succeeded or failed and kills to their own state', () => {
    assert.deepEqual(decideEnd('exited', 0, 1, 0), { kind: 'end', state: 'succeeded' });
    assert.deepEqual(decideEnd('exited', 2, 1, 0), { kind: 'end', state: 'failed' });
    assert.deepEqual(decideEnd('exited', null, 1, 0), { kind: 'end', state: 'failed' });
    assert.deepEqual(decideEnd('timed_out', null, 1, 0), { kind: 'end', state: 'timed_out' });
    assert.deepEqual(decideEnd('dead', null, 1, 0), { kind: 'end', state: 'dead' });
    assert.deepEqual(decideEnd('spawn_error', null, 1, 0), { kind: 'end', state: 'failed' });
    assert.deepEqual(decideEnd('lost', null, 1, 0), { kind: 'end', state: 'lost' });
    assert.deepEqual(decideEnd('lost', null, 1, 1), { kind: 'retry', attempt: 2 });
  });

  it('retries failures while attempts remain, never a success or a cancel', () => {
    assert.deepEqual(decideEnd('exited', 1, 1, 2), { kind: 'retry', attempt: 2 });
    assert.deepEqual(decideEnd('timed_out', null, 2, 2), { kind: 'retry', attempt: 3 });
    assert.deepEqual(decideEnd('exited', 1, 3, 2), { kind: 'end', state: 'failed' });
    assert.deepEqual(decideEnd('exited', 0, 1, 5), { kind: 'end', state: 'succeeded' });
    assert.deepEqual(decideEnd('cancelled', null, 1, 5), { kind: 'end', state: 'cancelled' });
  });

  it('puts a drained run back as the same attempt and an evicted one as the next, whatever the retries', () => {
    assert.deepEqual(decideEnd('drained', null, 1, 0), { kind: 'again', attempt: 1 });
    assert.deepEqual(decideEnd('evicted', null, 1, 0), { kind: 'again', attempt: 2 });
    assert.deepEqual(decideEnd('evicted', null, 7, 2), { kind: 'again', attempt: 8 }, 'past its retries: never lost for an eviction');
    assert.deepEqual(decideEnd('evicted', 0, 1, 0), { kind: 'again', attempt: 2 }, 'stopped by its launcher: an exit code after the SIGTERM says nothing of its work');
  });

  it('runs an orphaned run (its spawn helper died) again first in line as the next attempt, up to ORPHAN_RERUNS beyond its retries, then lost', () => {
    assert.equal(ORPHAN_RERUNS, 2);
    assert.deepEqual(decideEnd('orphaned', null, 1, 0), { kind: 'again', attempt: 2 });
    assert.deepEqual(decideEnd('orphaned', null, 2, 0), { kind: 'again', attempt: 3 });
    assert.deepEqual(decideEnd('orphaned', null, 3, 0), { kind: 'end', state: 'lost', why: 'no run left after attempt 3 (retries 0, and 2 more when a spawn helper dies)' });
    assert.deepEqual(decideEnd('orphaned', null, 4, 2), { kind: 'again', attempt: 5 }, 'its own retries count too');
    assert.deepEqual(decideEnd('orphaned', null, 5, 2).kind, 'end');
  });
});

describe('decideRecovery', () => {
  it('re-queues with the next attempt while retries remain, else lost', () => {
    assert.deepEqual(decideRecovery(1, 1), { kind: 'requeue', attempt: 2 });
    assert.deepEqual(decideRecovery(1, 0), { kind: 'lost' });
    assert.deepEqual(decideRecovery(2, 1), { kind: 'lost' });
  });
});
