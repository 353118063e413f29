// bl-launcher's rules against the clock, as numbers: when leasing stops, what a lease asks for,
// whether an arriving job fits, which run ends wait for the allocation's signal.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunResult } from '../../contract/run.js';
import { fitsTimeLeft, idleExitAt, LEASE_ROUND_TRIP_S, leaseTerms, mayBeAllocationEnd, stopAt } from '../../launcher/end-rules.js';

const END = 1_000_000_000;
const clock = { endAt: END, marginMs: 60_000 };
const STOP = END - 60_000;

describe('leasing against the end', () => {
  it('stops at end − margin; no end, no stop', () => {
    assert.equal(stopAt(clock), STOP);
    assert.equal(stopAt({ endAt: null, marginMs: 60_000 }), null);
    assert.equal(stopAt({ endAt: END, marginMs: 0 }), END);
  });

  it('with no end known: the full wait, any job', () => {
    assert.deepEqual(leaseTerms({ endAt: null, marginMs: 60_000 }, END, 25), { waitS: 25, maxTimeoutS: undefined });
  });

  it('asks for jobs that end before the stop, less a round trip, and waits no longer than the stop', () => {
    assert.deepEqual(leaseTerms(clock, STOP - 600_000, 25), { waitS: 25, maxTimeoutS: 600 - LEASE_ROUND_TRIP_S });
    assert.deepEqual(leaseTerms(clock, STOP - 10_500, 25), { waitS: 11, maxTimeoutS: 10 - LEASE_ROUND_TRIP_S });
    assert.deepEqual(leaseTerms(clock, STOP - 300, 25), { waitS: 1, maxTimeoutS: 0 }, 'the last second: only jobs with no timeout, and a wait of a second, not a busy loop');
  });

  it('no lease from the stop on', () => {
    assert.equal(leaseTerms(clock, STOP, 25), null);
    assert.equal(leaseTerms(clock, END + 5000, 25), null);
  });

  it('an arriving job starts only if its timeout ends by the stop; one with no timeout while leasing goes on', () => {
    assert.equal(fitsTimeLeft(600, clock, STOP - 600_000), true, 'exactly to the stop');
    assert.equal(fitsTimeLeft(600, clock, STOP - 599_999), false);
    assert.equal(fitsTimeLeft(null, clock, STOP - 1), true);
    assert.equal(fitsTimeLeft(null, clock, STOP), false, 'nothing starts at the stop');
    assert.equal(fitsTimeLeft(1e9, { endAt: null, marginMs: 60_000 }, END), true, 'no end: everything fits');
  });

  it('--idle-exit counts from the moment nothing runs', () => {
    assert.equal(idleExitAt(5000, 30_000), 35_000);
  });
});

describe('a run end that may be the allocation’s', () => {
  const end = (o: Partial<RunResult>): RunResult => ({ outcome: 'exited', exitCode: null, signal: null, usage: null, reason: null, ...o });
  it('is a job dead of SIGTERM in an allocation, nothing else', () => {
    assert.equal(mayBeAllocationEnd(end({ signal: 'SIGTERM' }), true), true);
    assert.equal(mayBeAllocationEnd(end({ signal: 'SIGTERM' }), false), false, 'outside an allocation a SIGTERM is the job’s own end');
    assert.equal(mayBeAllocationEnd(end({ signal: 'SIGKILL' }), true), false);
    assert.equal(mayBeAllocationEnd(end({ exitCode: 0 }), true), false);
    assert.equal(mayBeAllocationEnd(end({ outcome: 'timed_out', signal: 'SIGTERM' }), true), false, 'killed by this launcher for its own reason');
  });
});
