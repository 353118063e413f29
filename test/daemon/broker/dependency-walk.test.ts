// The dependency walks driven against a store held in two maps (the steps answered in place):
// what a failed job does to a chain waiting on it, what a sweep's last success releases, and
// a dependency that names no job.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JobState } from '../../../contract/types.js';
import { dependencyStatus, drive, settleWaiters, type WalkStep } from '../../../daemon/broker/dependency-walk.js';
import type { JobRecord } from '../../../daemon/broker/types.js';

interface Row {
  phase: number;
  state: JobState;
  afterAny: boolean;
  sweep?: string;
}

/** Jobs by id, and what each waiting job still waits on. */
function memory(jobs: Record<string, Row>, deps: Record<string, string[]>) {
  const settled: [string, JobState, boolean][] = [];
  const record = (id: string) => ({ id, state: jobs[id]!.state, sweep: jobs[id]!.sweep ?? null }) as unknown as JobRecord;
  const answer = (s: WalkStep): unknown => {
    switch (s.op) {
      case 'waitersOf':
        return Object.keys(deps).filter((w) => deps[w]!.includes(s.dep));
      case 'sweepOpen':
        return Object.values(jobs).some((j) => j.sweep === s.sweep && j.phase !== 2);
      case 'sweepFailed': {
        const id = Object.keys(jobs).find((k) => jobs[k]!.sweep === s.sweep && jobs[k]!.phase === 2 && jobs[k]!.state !== 'succeeded');
        return id && { id, state: jobs[id]!.state };
      }
      case 'job':
        return jobs[s.id];
      case 'openDeps':
        return deps[s.id]?.length ?? 0;
      case 'dropDep':
        deps[s.id] = (deps[s.id] ?? []).filter((d) => d !== s.dep);
        return undefined;
      case 'dropDepsOf':
        delete deps[s.id];
        return undefined;
      case 'release':
        Object.assign(jobs[s.id]!, { phase: 0, state: 'pending' });
        return record(s.id);
      case 'cancel':
        Object.assign(jobs[s.id]!, { phase: 2, state: 'cancelled' });
        return record(s.id);
      case 'settled':
        settled.push([s.job.id, s.job.state, s.released]);
        return undefined;
    }
  };
  return { settled, answer, record };
}

const waiting = (afterAny = false): Row => ({ phase: 3, state: 'waiting', afterAny });

describe('dependency walks', () => {
  it('a failed job cancels the chain waiting on it, in order; an after_any waiter is released', () => {
    const jobs: Record<string, Row> = { a: { phase: 2, state: 'failed', afterAny: false }, b: waiting(), c: waiting(), any: waiting(true) };
    const m = memory(jobs, { b: ['a'], c: ['b'], any: ['a'] });
    drive(settleWaiters(m.record('a'), 5), m.answer);
    assert.deepEqual(m.settled, [
      ['b', 'cancelled', false],
      ['any', 'pending', true],
      ['c', 'cancelled', false],
    ]);
  });

  it("a sweep's jobs release its waiter only with the last success", () => {
    const jobs: Record<string, Row> = { s1: { phase: 2, state: 'succeeded', afterAny: false, sweep: 'sweep-x' }, s2: { phase: 1, state: 'running', afterAny: false, sweep: 'sweep-x' }, w: waiting() };
    const m = memory(jobs, { w: ['sweep-x'] });
    drive(settleWaiters(m.record('s1'), 5), m.answer);
    assert.deepEqual(m.settled, [], 's2 still runs');
    Object.assign(jobs.s2!, { phase: 2, state: 'succeeded' });
    drive(settleWaiters(m.record('s2'), 6), m.answer);
    assert.deepEqual(m.settled, [['w', 'pending', true]]);
  });

  it('the status of a job, a sweep, and a name that is no job', () => {
    const jobs: Record<string, Row> = { ok: { phase: 2, state: 'succeeded', afterAny: false }, bad: { phase: 2, state: 'timed_out', afterAny: false, sweep: 'sweep-y' }, run: { phase: 1, state: 'running', afterAny: false, sweep: 'sweep-y' } };
    const m = memory(jobs, {});
    assert.deepEqual(drive(dependencyStatus('ok'), m.answer), { dep: 'ok', open: false });
    assert.deepEqual(drive(dependencyStatus('run'), m.answer), { dep: 'run', open: true });
    assert.deepEqual(drive(dependencyStatus('sweep-y'), m.answer), { dep: 'sweep-y', open: true, failed: { job: 'bad', state: 'timed_out' } });
    assert.throws(() => drive(dependencyStatus('NOPE'), m.answer), /expected `after` to name submitted jobs, found "NOPE" \(no such job\)/);
  });
});
