// The pure dispatch and end-of-run rules: no processes, no clocks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideDispatch, decideEnd, decideHold, decideRecovery, type DispatchState, type HoldState } from '../../../daemon/broker/dispatch.js';
import { idleStep } from '../../../runner/idle-cpu.js';

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
});

describe('decideRecovery', () => {
  it('re-queues with the next attempt while retries remain, else lost', () => {
    assert.deepEqual(decideRecovery(1, 1), { kind: 'requeue', attempt: 2 });
    assert.deepEqual(decideRecovery(1, 0), { kind: 'lost' });
    assert.deepEqual(decideRecovery(2, 1), { kind: 'lost' });
  });
});

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

describe('decideHold (standby)', () => {
  const hold: HoldState = { allowed: true, overLimit: false, urgentBypass: false, freeSlots: 0, runningLocal: 2, slots: 2, heldUrgent: 0, heldNormal: 0, leaving: 0, freeUrgent: 0, freeNormal: 0 };
  // What decideDispatch claims with `free` slots from these free pending counts (no bypass).
  const claimsOf = (s: HoldState) => (free: number) => ({ claimAny: Math.min(free, s.freeUrgent + s.freeNormal), claimUrgentBeyond: 0 });
  const h = (over: Partial<HoldState>) => {
    const s = { ...hold, ...over };
    return decideHold(s, claimsOf(s));
  };

  it('while every slot is taken, holds two jobs per running local job, no more than are pending', () => {
    assert.deepEqual(h({ freeNormal: 5 }), { withdraw: 'none', go: 0, withdrawNewest: 0, claim: true, reserve: 4 });
    assert.deepEqual(h({ freeNormal: 1 }), { withdraw: 'none', go: 0, withdrawNewest: 0, claim: true, reserve: 1 });
  });

  it('tops the holds up only when fewer than one per running job are left: one reserve every few exits', () => {
    // 2 running: 2 or 3 held is enough for the next exits; 1 is topped up to 4.
    assert.equal(h({ freeNormal: 5, heldNormal: 2 }).reserve, 0);
    assert.equal(h({ freeNormal: 5, heldNormal: 3 }).reserve, 0);
    assert.deepEqual(h({ freeNormal: 5, heldNormal: 1 }), { withdraw: 'none', go: 0, withdrawNewest: 0, claim: true, reserve: 3 });
  });

  it('starts held jobs in free slots before claiming others, and holds again for the slots then taken', () => {
    // 1 running, 2 free slots, 1 held: the held one goes, one more is claimed, 3 running: 6 held anew.
    assert.deepEqual(h({ runningLocal: 1, freeSlots: 2, heldNormal: 1, freeNormal: 5 }), { withdraw: 'none', go: 1, withdrawNewest: 0, claim: true, reserve: 4 });
    assert.deepEqual(h({ runningLocal: 1, freeSlots: 2, heldNormal: 1, freeNormal: 9 }).reserve, 6);
  });

  it('holds nothing while a slot stays free (the queue ran dry)', () => {
    assert.deepEqual(h({ runningLocal: 1, freeSlots: 2, freeNormal: 1 }), { withdraw: 'none', go: 0, withdrawNewest: 0, claim: true, reserve: 0 });
  });

  it('sends held normal jobs back when an urgent one waits, and claims nothing until they are back', () => {
    assert.deepEqual(h({ heldNormal: 2, freeUrgent: 1, freeNormal: 3 }), { withdraw: 'normal', go: 0, withdrawNewest: 0, claim: false, reserve: 0 });
    assert.deepEqual(h({ leaving: 2, freeUrgent: 1, freeNormal: 3 }), { withdraw: 'none', go: 0, withdrawNewest: 0, claim: false, reserve: 0 });
  });

  it('sends every held job back when holding is wrong: paused, draining, a remote launcher busy, over the limit', () => {
    assert.deepEqual(h({ allowed: false, heldNormal: 2, freeNormal: 3 }), { withdraw: 'all', go: 0, withdrawNewest: 0, claim: false, reserve: 0 });
    assert.deepEqual(h({ overLimit: true, heldUrgent: 1, heldNormal: 1 }), { withdraw: 'all', go: 0, withdrawNewest: 0, claim: false, reserve: 0 });
    assert.deepEqual(h({ allowed: false, freeNormal: 3 }), { withdraw: 'none', go: 0, withdrawNewest: 0, claim: true, reserve: 0 });
  });

  it('with urgent bypass on, a held urgent job comes back (to start beyond the limit now)', () => {
    assert.equal(h({ urgentBypass: true, heldUrgent: 1, heldNormal: 1 }).withdraw, 'all');
    assert.equal(h({ urgentBypass: true, heldNormal: 1, freeNormal: 2 }).withdraw, 'none');
  });

  it('holds none for an urgent job started beyond the limit: its exit frees no slot', () => {
    const s = { ...hold, freeUrgent: 1, freeNormal: 3 };
    assert.equal(decideHold(s, () => ({ claimAny: 0, claimUrgentBeyond: 1 })).reserve, 0);
  });

  it('gives back the newest held jobs beyond two per slot, not beyond two per running job', () => {
    assert.deepEqual(h({ runningLocal: 1, slots: 1, heldNormal: 5, freeNormal: 3 }), { withdraw: 'none', go: 0, withdrawNewest: 3, claim: true, reserve: 0 });
    assert.equal(h({ runningLocal: 1, slots: 1, heldNormal: 2, freeNormal: 3 }).withdrawNewest, 0);
    // Exits reported together, their ends written one by one: fewer run for a moment.
    assert.equal(h({ runningLocal: 1, slots: 4, heldNormal: 8, freeNormal: 3 }).withdrawNewest, 0);
  });
});
