// When the daemon asks Slurm for allocations, and when it stops asking: the pure rules, without
// Slurm or clocks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decideSubmit,
  diedAtStart,
  initialRules,
  reduceRules,
  usableDemand,
  type AllocCounts,
  type AllocLimits,
  type Demand,
  type EndFacts,
  type RulesState,
} from '../../../../daemon/broker/slurm/alloc-rules.js';

const LIMITS: AllocLimits = { slotsPerLauncher: 4, maxLaunchers: 4, maxPendingAllocations: 1, pollIntervalMs: 10_000 };
const NONE: AllocCounts = { pending: 0, alive: 0, unconnectedSlots: 0 };
const demand = (o: Partial<Demand> = {}): Demand => ({ pendingNormal: 0, pendingUrgent: 0, running: 0, concurrency: 8, urgentBypass: false, freeSlots: 0, ...o });
const T = 1_000_000;

describe('allocation rules: how many to submit', () => {
  it('nothing waits, nothing is submitted', () => {
    assert.equal(decideSubmit(initialRules(), NONE, demand(), LIMITS, T), 0);
  });

  it('waiting jobs within the limit, at most max_pending_allocations queued in Slurm at once', () => {
    assert.equal(decideSubmit(initialRules(), NONE, demand({ pendingNormal: 50 }), LIMITS, T), 1);
    assert.equal(decideSubmit(initialRules(), NONE, demand({ pendingNormal: 50 }), { ...LIMITS, maxPendingAllocations: 5 }, T), 2, '8 slots wanted: two of 4');
    assert.equal(decideSubmit(initialRules(), { pending: 1, alive: 1, unconnectedSlots: 4 }, demand({ pendingNormal: 50 }), LIMITS, T), 0, 'one already waits in Slurm');
  });

  it('the slots on their way and free slots of connected launchers count before a new allocation', () => {
    const started: AllocCounts = { pending: 0, alive: 1, unconnectedSlots: 4 };
    assert.equal(decideSubmit(initialRules(), started, demand({ pendingNormal: 4 }), LIMITS, T), 0, 'a started pilot not connected yet brings 4');
    assert.equal(decideSubmit(initialRules(), started, demand({ pendingNormal: 5 }), LIMITS, T), 1);
    assert.equal(decideSubmit(initialRules(), NONE, demand({ pendingNormal: 3, freeSlots: 3 }), LIMITS, T), 0);
    assert.equal(decideSubmit(initialRules(), NONE, demand({ pendingNormal: 3, freeSlots: 2 }), LIMITS, T), 1);
  });

  it('max_launchers caps the allocations alive', () => {
    const many: AllocCounts = { pending: 0, alive: 4, unconnectedSlots: 0 };
    assert.equal(decideSubmit(initialRules(), many, demand({ pendingNormal: 100, concurrency: 100 }), { ...LIMITS, maxPendingAllocations: 10 }, T), 0);
    const three: AllocCounts = { pending: 0, alive: 3, unconnectedSlots: 0 };
    assert.equal(decideSubmit(initialRules(), three, demand({ pendingNormal: 100, concurrency: 100 }), { ...LIMITS, maxPendingAllocations: 10 }, T), 1);
  });

  it('the concurrency limit bounds the demand; 0 pauses it; urgent jobs beside a full limit with urgent bypass', () => {
    assert.equal(usableDemand(demand({ pendingNormal: 50, running: 8 })), 0);
    assert.equal(usableDemand(demand({ pendingNormal: 50, running: 6 })), 2);
    assert.equal(usableDemand(demand({ pendingNormal: 50, concurrency: 0 })), 0);
    assert.equal(usableDemand(demand({ pendingNormal: 5, pendingUrgent: 3, running: 8, urgentBypass: true })), 3);
    assert.equal(usableDemand(demand({ pendingNormal: 5, pendingUrgent: 3, running: 4, urgentBypass: true })), 4, '3 urgent, then 1 normal in the room left');
    assert.equal(usableDemand(demand({ pendingNormal: 5, pendingUrgent: 3, running: 4 })), 4);
  });
});

describe('allocation rules: failures', () => {
  const failSbatch = (s: RulesState, at: number) => reduceRules(s, { type: 'sbatch_failed', error: 'sbatch: error: invalid partition specified: nope' }, at, 10_000);

  it('3 sbatch failures in a row pause with the reason; each failure waits a poll interval before the next try', () => {
    let s = initialRules();
    let r = failSbatch(s, T);
    assert.deepEqual(r.actions, [{ type: 'failed', kind: 'sbatch', error: 'sbatch: error: invalid partition specified: nope', failures: 1 }]);
    s = r.state;
    assert.equal(decideSubmit(s, NONE, demand({ pendingNormal: 1 }), LIMITS, T + 9_999), 0, 'no retry within the poll interval');
    assert.equal(decideSubmit(s, NONE, demand({ pendingNormal: 1 }), LIMITS, T + 10_000), 1);
    s = failSbatch(s, T + 10_000).state;
    r = failSbatch(s, T + 20_000);
    assert.deepEqual(r.actions.at(-1), { type: 'paused', reason: 'sbatch failed 3 times in a row: sbatch: error: invalid partition specified: nope' });
    s = r.state;
    assert.equal(decideSubmit(s, NONE, demand({ pendingNormal: 1 }), LIMITS, T + 10 ** 9), 0, 'paused: never');
    assert.deepEqual(failSbatch(s, T + 30_000).actions.map((a) => a.type), ['failed'], 'a 4th failure does not pause twice');
  });

  it('a success resets the count', () => {
    let s = failSbatch(failSbatch(initialRules(), T).state, T).state;
    s = reduceRules(s, { type: 'sbatch_ok' }, T, 10_000).state;
    assert.deepEqual(failSbatch(s, T).actions.map((a) => a.type), ['failed']);
    assert.equal(failSbatch(s, T).state.sbatchFailures, 1);
  });

  const end = (o: Partial<EndFacts> = {}): EndFacts => ({ id: '7', everConnected: true, ranMs: 3_600_000, jobsRun: 10, workPending: false, cancelledByBl: false, how: 'time limit reached (Slurm: TIMEOUT)', ...o });

  it('a pilot died at start: ended without connecting, or under a minute with work pending and no job run', () => {
    assert.equal(diedAtStart(end()), null);
    assert.match(diedAtStart(end({ everConnected: false, ranMs: 1000, jobsRun: 0 }))!, /^allocation 7 ended without its launcher connecting: /);
    assert.match(diedAtStart(end({ ranMs: 20_000, jobsRun: 0, workPending: true }))!, /^allocation 7 ended after 20 s with work pending and no job run: /);
    assert.equal(diedAtStart(end({ ranMs: 20_000, jobsRun: 0, workPending: false })), null, 'nothing to do: an idle exit');
    assert.equal(diedAtStart(end({ ranMs: 20_000, jobsRun: 1, workPending: true })), null);
    assert.equal(diedAtStart(end({ ranMs: 61_000, jobsRun: 0, workPending: true })), null);
    assert.equal(diedAtStart(end({ everConnected: false, cancelledByBl: true })), null, "bl's own cancel");
  });

  it('3 pilots in a row that died at start pause; a healthy one in between resets the count', () => {
    const dead = (id: string) => ({ type: 'ended' as const, end: end({ id, everConnected: false, ranMs: null, jobsRun: 0, how: 'failed (Slurm: FAILED, NonZeroExitCode)' }) });
    let s = reduceRules(initialRules(), dead('1'), T, 10_000).state;
    s = reduceRules(s, dead('2'), T, 10_000).state;
    s = reduceRules(s, { type: 'ended', end: end() }, T, 10_000).state;
    assert.equal(s.startFailures, 0);
    s = reduceRules(s, dead('3'), T, 10_000).state;
    s = reduceRules(s, { type: 'first_job' }, T, 10_000).state;
    assert.equal(s.startFailures, 0, 'a pilot that ran a job is healthy');
    s = reduceRules(s, dead('4'), T, 10_000).state;
    s = reduceRules(s, dead('5'), T, 10_000).state;
    const r = reduceRules(s, dead('6'), T, 10_000);
    assert.deepEqual(r.actions, [
      { type: 'failed', kind: 'start', id: '6', reason: 'allocation 6 ended without its launcher connecting: failed (Slurm: FAILED, NonZeroExitCode)', failures: 3 },
      { type: 'paused', reason: '3 allocations in a row died at start; the last: allocation 6 ended without its launcher connecting: failed (Slurm: FAILED, NonZeroExitCode)' },
    ]);
  });

  it('resume clears a pause and the counts; without a pause it does nothing', () => {
    const paused: RulesState = { sbatchFailures: 3, startFailures: 1, paused: 'sbatch failed 3 times in a row: x', retryAt: T + 10_000 };
    const r = reduceRules(paused, { type: 'resume', by: 'POST /broker/allocations/resume' }, T, 10_000);
    assert.deepEqual(r.state, initialRules());
    assert.deepEqual(r.actions, [{ type: 'resumed', by: 'POST /broker/allocations/resume' }]);
    assert.equal(decideSubmit(r.state, NONE, demand({ pendingNormal: 1 }), LIMITS, T), 1, 'a fresh try at once');
    const running: RulesState = { ...initialRules(), sbatchFailures: 2 };
    assert.deepEqual(reduceRules(running, { type: 'resume', by: 'a config reload' }, T, 10_000), { state: running, actions: [] });
  });
});
