// The pure lease rules: expiry of silent launchers' jobs, and whether a report is current.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideLeaseExpiry, judgeReport, launcherState, maxTimeoutNow, type Lease } from '../../../../daemon/broker/remote/lease-rules.js';

const lease = (over: Partial<Lease>): Lease => ({ id: 'J1', launcher: 'a', attempt: 1, retries: 1, lastBeatAt: 0, cancelRequested: false, confirmed: true, ...over });

describe('decideLeaseExpiry', () => {
  it('keeps a lease younger than the ttl and says when it would expire', () => {
    const d = decideLeaseExpiry([lease({ lastBeatAt: 1000 }), lease({ id: 'J2', lastBeatAt: 500 })], 2000, 30_000);
    assert.deepEqual(d.actions, []);
    assert.equal(d.nextCheckAt, 30_500);
  });

  it('re-queues a job whose launcher was silent for the ttl, as the next attempt', () => {
    const d = decideLeaseExpiry([lease({ lastBeatAt: 1000, attempt: 1, retries: 1 })], 31_000, 30_000);
    assert.equal(d.actions.length, 1);
    const a = d.actions[0]!;
    assert.equal(a.kind, 'requeue');
    assert.equal(a.kind === 'requeue' && a.attempt, 2);
    assert.match(a.reason, /no heartbeat from launcher a for 30 s \(lease_ttl 30 s\)/);
    assert.equal(d.nextCheckAt, null);
  });

  it('marks the job lost when its retries are spent', () => {
    const d = decideLeaseExpiry([lease({ attempt: 2, retries: 1 })], 30_000, 30_000);
    assert.deepEqual(
      d.actions.map((a) => [a.kind, a.kind === 'end' && a.state]),
      [['end', 'lost']],
    );
    assert.match(d.actions[0]!.reason, /no retries left/);
  });

  it('ends a job whose cancel was asked as cancelled, never runs it again', () => {
    const d = decideLeaseExpiry([lease({ cancelRequested: true, retries: 5 })], 30_000, 30_000);
    assert.deepEqual(d.actions.map((a) => [a.kind, a.kind === 'end' && a.state]), [['end', 'cancelled']]);
  });

  it('decides each lease on its own: expired ones act, the others set the next check', () => {
    const d = decideLeaseExpiry([lease({ id: 'old', lastBeatAt: 0 }), lease({ id: 'fresh', lastBeatAt: 25_000 }), lease({ id: 'edge', lastBeatAt: 1 })], 30_001, 30_000);
    assert.deepEqual(d.actions.map((a) => a.id), ['old', 'edge']);
    assert.equal(d.nextCheckAt, 55_000);
  });

  it('a job its launcher never confirmed goes back without counting an attempt, retries spent or not', () => {
    const d = decideLeaseExpiry([lease({ confirmed: false, attempt: 1, retries: 0 })], 30_000, 30_000);
    assert.equal(d.actions.length, 1);
    const a = d.actions[0]!;
    assert.deepEqual([a.kind, a.kind === 'requeue' && a.attempt], ['requeue', 1]);
    assert.match(a.reason, /never confirmed attempt 1 .*not counted/);
  });

  it('holds nothing: nothing to do, no timer', () => {
    assert.deepEqual(decideLeaseExpiry([], 5, 1000), { actions: [], nextCheckAt: null });
  });
});

describe('judgeReport', () => {
  const job = (state: string, launcher: string | null, attempt: number) => ({ state, launcher, attempt });

  it('a report about the running attempt on that launcher is current', () => {
    assert.deepEqual(judgeReport(job('running', 'a', 1), 'a', 1), { kind: 'current' });
    assert.deepEqual(judgeReport(job('running', 'a', 1), 'a', undefined), { kind: 'current' });
  });

  it('a report from a launcher whose job was re-queued and runs elsewhere is late', () => {
    const v = judgeReport(job('running', 'b', 2), 'a', 1);
    assert.equal(v.kind, 'late');
    assert.match(v.kind === 'late' ? v.why : '', /attempt 1 on launcher a was given up: attempt 2 runs on launcher b/);
  });

  it('the same launcher running a later attempt does not make an old report current', () => {
    assert.equal(judgeReport(job('running', 'a', 2), 'a', 1).kind, 'late');
  });

  it('late when the job waits again, has ended, or is gone', () => {
    assert.match((judgeReport(job('pending', null, 2), 'a', 1) as { why: string }).why, /re-queued/);
    assert.match((judgeReport(job('succeeded', 'b', 2), 'a', 1) as { why: string }).why, /ended as succeeded \(attempt 2 on b\)/);
    assert.match((judgeReport(job('succeeded', 'a', 1), 'a', 1) as { why: string }).why, /already ended as succeeded/);
    assert.match((judgeReport(undefined, 'a', 1) as { why: string }).why, /purged/);
  });
});

describe('maxTimeoutNow', () => {
  it('is what the launcher said less the time its request waited here, never below 0', () => {
    assert.equal(maxTimeoutNow(undefined, 1000, 50_000), undefined, 'a launcher with no end: any job');
    assert.equal(maxTimeoutNow(600, 10_000, 10_000), 600);
    assert.equal(maxTimeoutNow(600, 10_000, 30_500), 579.5, 'a job given 20.5 s into the long-poll');
    assert.equal(maxTimeoutNow(10, 0, 60_000), 0);
    assert.equal(maxTimeoutNow(10, 5000, 4000), 10, 'a clock that stepped back gives no extra time');
  });
});

describe('launcherState', () => {
  const ttl = 30_000; // bl-launcher beats every 10 s
  const at = (silentMs: number, o: { waiting?: boolean; exiting?: boolean } = {}) => launcherState({ lastSeenAt: 100_000 - silentMs, waiting: o.waiting ?? false, exiting: o.exiting ?? false }, 100_000, ttl);

  it('working while heard within its heartbeat interval (and a second of slack), exiting if asked to', () => {
    assert.deepEqual(at(0), { state: 'working', silentMs: 0 });
    assert.deepEqual(at(11_000), { state: 'working', silentMs: 11_000 });
    assert.deepEqual(at(5000, { exiting: true }), { state: 'exiting', silentMs: 5000 });
  });

  it('silent past its heartbeat interval, gone past the lease', () => {
    assert.deepEqual(at(11_001), { state: 'silent', silentMs: 11_001 });
    assert.deepEqual(at(30_000), { state: 'silent', silentMs: 30_000 });
    assert.deepEqual(at(30_001), { state: 'gone', silentMs: 30_001 });
    assert.deepEqual(at(9 * 60_000, { exiting: true }), { state: 'gone', silentMs: 9 * 60_000 }, 'an exiting launcher goes too');
  });

  it('a launcher waiting in a lease request is heard now', () => {
    assert.deepEqual(at(60_000, { waiting: true }), { state: 'working', silentMs: 0 });
  });
});
