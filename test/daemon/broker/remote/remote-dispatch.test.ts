// Leases inside one broker, without processes: the one concurrency limit across launchers,
// urgent bypass, waking a waiting lease on submit and on a freed slot, exit-worker, cancel
// through a heartbeat, duplicate and late reports.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { createBroker, type Broker } from '../../../../daemon/broker/broker.js';
import type { LeaseAnswer, LeaseRequest } from '../../../../daemon/broker/remote/remote-launchers.js';
import type { RunResult } from '../../../../contract/run.js';
import type { BrokerSettings } from '../../../../daemon/config/types.js';
import { EventBus } from '../../../../daemon/events/bus.js';
import { openDb, type Db } from '../../../../daemon/state/db.js';
import { job } from '../store/store-contract.js';
import { waitFor } from '../../../helpers/wait.js';

const dirs: string[] = [];
const dbs: Db[] = [];
after(() => {
  for (const d of dbs) d.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function broker(over: Partial<BrokerSettings> = {}, db?: Db): { b: Broker; events: EventBus; db: Db } {
  const dir = mkdtempSync(path.join(tmpdir(), 'bl-remote-'));
  dirs.push(dir);
  if (!db) {
    db = openDb(dir);
    dbs.push(db);
  }
  const events = new EventBus();
  const settings: BrokerSettings = { concurrency: 2, urgentBypass: false, localSlots: 0, leaseTtl: 30, defaultTimeout: 0, idleCpu: undefined, retries: 0, ...over };
  const b = createBroker({ db, settings, events, stateDir: dir });
  b.start();
  return { b, events, db };
}

const req = (name: string, slots: number, waitMs = 5000): LeaseRequest => ({ name, host: 'h', slots, waitMs, untilIdle: false });
const lease = (b: Broker, r: LeaseRequest): Promise<LeaseAnswer> => b.remote.lease(r, new AbortController().signal);
const ids = (a: LeaseAnswer): string[] => (a.kind === 'jobs' ? a.jobs.map((j) => j.id) : []);
const exited = (code: number): RunResult => ({ outcome: 'exited', exitCode: code, signal: null, usage: null, reason: null });
/** Lets setImmediate-scheduled dispatch run. */
const tick = () => new Promise((r) => setImmediate(r));

describe('remote leases in the broker', () => {
  it('hand out jobs within the one limit, and a finish wakes a waiting lease', async () => {
    const { b } = broker({ concurrency: 2 });
    const sub = b.submit([job('a'), job('b'), job('c')]).jobs.map((j) => j.id);
    const first = await lease(b, req('A', 4));
    assert.deepEqual(ids(first), sub.slice(0, 2), 'two of three: the limit is 2 across launchers');
    let got: LeaseAnswer | undefined;
    void lease(b, req('B', 4)).then((a) => (got = a));
    await tick();
    assert.equal(got, undefined, 'the limit is full: B waits');
    const f = b.remote.finish(sub[0]!, { launcher: 'A', attempt: 1, result: exited(0) });
    assert.equal(f.kind, 'recorded');
    assert.equal(b.get(sub[0]!).state, 'succeeded');
    await tick();
    assert.deepEqual(ids(got!), [sub[2]]);
    assert.equal(b.get(sub[2]!).launcher, 'B');
  });

  it("respect a launcher's own slots and wake a waiting lease on submit", async () => {
    const { b } = broker({ concurrency: 10 });
    let got: LeaseAnswer | undefined;
    void lease(b, req('A', 1)).then((a) => (got = a));
    await tick();
    assert.equal(got, undefined);
    b.submit([job('x'), job('y')]);
    await tick();
    await tick();
    assert.equal(ids(got!).length, 1, 'one slot, one job');
    const again = lease(b, req('A', 1, 50));
    assert.equal((await again).kind, 'none', 'its slot is held: nothing more, 204 at the timeout');
  });

  it('urgent bypass: urgent jobs go beyond the limit to a launcher with free slots, normal ones wait', async () => {
    const { b } = broker({ concurrency: 1, urgentBypass: true });
    b.submit([job('n1'), job('n2')]);
    assert.equal(ids(await lease(b, req('A', 1))).length, 1);
    const urgent = b.submit([job('u1', { queue: 'urgent' }), job('u2', { queue: 'urgent' })]).jobs.map((j) => j.id);
    const got = await lease(b, req('B', 3));
    assert.deepEqual(ids(got), urgent);
    assert.equal(b.status().running, 3);
    assert.equal(b.status().pending, 1);
  });

  it('exit-worker answers the waiting leases of known launchers with exit; a launcher seen later keeps working', async () => {
    const { b } = broker();
    const waiting = lease(b, req('A', 1));
    await tick();
    b.exitLaunchers();
    assert.deepEqual(await waiting, { kind: 'exit' });
    assert.deepEqual(await lease(b, req('A', 1)), { kind: 'exit' });
    assert.ok(b.status().launchers.find((l) => l.name === 'A')!.exiting);
    // "Later" is by the millisecond: a launcher first seen in the exit-worker's own millisecond
    // counts as known then. Polls the clock for the next one, no guessed pause.
    const exitAt = Date.parse(b.status().exit_workers_at!);
    await waitFor('the clock to pass the exit-worker call', () => Date.now() > exitAt, { interval: 1 });
    b.submit([job('later')]);
    assert.equal(ids(await lease(b, req('NEW', 1))).length, 1);
  });

  it('a cancel reaches the launcher through its heartbeat (410), and its report ends the job cancelled', async () => {
    const { b } = broker();
    const [id] = b.submit([job('sleep 100')]).jobs.map((j) => j.id);
    await lease(b, req('A', 1));
    b.remote.heartbeat(id!, { launcher: 'A', attempt: 1, usage: { cpu_max: 1, rss_max: 2, cpu_last: 1, rss_last: 2 }, pid: 4242 });
    assert.equal(b.get(id!).pid, 4242);
    assert.equal(b.get(id!).usage?.rss_max, 2);
    b.cancel(id!);
    assert.throws(() => b.remote.heartbeat(id!, { launcher: 'A', attempt: 1, usage: null, pid: 4242 }), (e: Error & { status?: number }) => e.status === 410 && /cancelled by request/.test(e.message));
    b.remote.finish(id!, { launcher: 'A', attempt: 1, result: { outcome: 'cancelled', exitCode: null, signal: 'SIGTERM', usage: null, reason: 'cancelled by request' } });
    assert.equal(b.get(id!).state, 'cancelled');
  });

  it('a repeated report is a duplicate; a report from the wrong launcher or attempt is late, noted, and changes nothing', async () => {
    const { b, events } = broker({ retries: 1 });
    const seen: string[] = [];
    events.subscribe((e) => seen.push(e.topic));
    const [id] = b.submit([job('work')]).jobs.map((j) => j.id);
    await lease(b, req('A', 1));
    assert.throws(() => b.remote.heartbeat(id!, { launcher: 'B', attempt: 1, usage: null, pid: null }), (e: Error & { status?: number }) => e.status === 410);
    assert.throws(() => b.remote.finish(id!, { launcher: 'B', attempt: 1, result: exited(0) }), (e: Error & { status?: number }) => e.status === 409 && /attempt 1 runs on launcher A/.test(e.message));
    assert.equal(b.get(id!).state, 'running');
    b.remote.finish(id!, { launcher: 'A', attempt: 1, result: exited(0) });
    const end = b.get(id!);
    assert.equal(b.remote.finish(id!, { launcher: 'A', attempt: 1, result: exited(0) }).kind, 'duplicate');
    assert.deepEqual(b.get(id!), end);
    assert.equal(b.remote.notesOf(id!).length, 1);
    assert.match(b.remote.notesOf(id!)[0]!.text, /late report from launcher B/);
    assert.equal(seen.filter((t) => t === 'job.finished').length, 1);
    assert.equal(seen.filter((t) => t === 'job.late_report').length, 1);
  });

  it('a failed run is retried like on the built-in launcher', async () => {
    const { b } = broker({ retries: 1 });
    const [id] = b.submit([job('flaky', { retries: 1 })]).jobs.map((j) => j.id);
    await lease(b, req('A', 1));
    b.remote.finish(id!, { launcher: 'A', attempt: 1, result: exited(3) });
    const j = b.get(id!);
    assert.deepEqual([j.state, j.attempt], ['pending', 2]);
  });

  it('a launcher with little time left gets only the jobs that fit it, first come first; another takes the rest', async () => {
    const { b } = broker({ concurrency: 10 });
    const [long, fit, none, urgentLong] = b
      .submit([job('long', { timeout: 3600 }), job('fit', { timeout: 300 }), job('none'), job('urgent-long', { queue: 'urgent', timeout: 7200 })])
      .jobs.map((j) => j.id);
    assert.deepEqual(ids(await lease(b, { ...req('slurm-1', 1), maxTimeoutS: 540 })), [fit], 'the first job that fits, past two that do not');
    assert.deepEqual(ids(await lease(b, { ...req('slurm-2', 4), maxTimeoutS: 540 })), [none], 'a job of unknown length goes to any launcher that leases');
    assert.deepEqual(ids(await lease(b, req('big', 4))), [urgentLong, long], 'a launcher with no end takes what the others could not');
    let got: LeaseAnswer | undefined;
    void lease(b, { ...req('slurm-3', 1), maxTimeoutS: 100 }).then((a) => (got = a));
    b.submit([job('too long', { timeout: 200 })]);
    await tick();
    await tick();
    assert.equal(got, undefined, 'a waiting lease is not given a job that does not fit');
    const [short] = b.submit([job('short', { timeout: 50 })]).jobs.map((j) => j.id);
    await tick();
    await tick();
    assert.deepEqual(ids(got!), [short], 'but wakes for one that does');
  });

  it('an evicted run goes back at once, first in line, as the next attempt, past the job’s retries', async () => {
    const { b, events } = broker({ concurrency: 1 });
    const seen: Record<string, unknown>[] = [];
    events.subscribe((e) => e.topic === 'job.requeued' && seen.push(e.data));
    const [id, next] = b.submit([job('long'), job('next')]).jobs.map((j) => j.id);
    assert.deepEqual(ids(await lease(b, req('slurm-7', 1))), [id]);
    const reason = 'the Slurm allocation of launcher slurm-7 ended';
    const f = b.remote.finish(id!, { launcher: 'slurm-7', attempt: 1, result: { outcome: 'evicted', exitCode: null, signal: 'SIGTERM', usage: null, reason } });
    assert.equal(f.kind, 'recorded');
    const j = b.get(id!);
    assert.deepEqual([j.state, j.attempt, j.launcher, j.reason], ['pending', 2, null, `attempt 1: ${reason}`], 'retries 0, and not lost');
    assert.deepEqual(seen, [{ id, attempt: 2, reason: `attempt 1: ${reason}`, launcher: 'slurm-7' }]);
    assert.deepEqual(ids(await lease(b, req('B', 1))), [id], 'ahead of the job that waited behind it');
    assert.equal(b.get(next!).state, 'pending');
  });

  it('an evicted report answers its launcher’s waiting lease empty: the job it gave back is not handed to it again', async () => {
    const { b } = broker({ concurrency: 2 });
    const [id] = b.submit([job('long')]).jobs.map((j) => j.id);
    await lease(b, req('slurm-8', 2));
    const waiting = lease(b, req('slurm-8', 2));
    await tick();
    b.remote.finish(id!, { launcher: 'slurm-8', attempt: 1, result: { outcome: 'evicted', exitCode: null, signal: null, usage: null, reason: 'the Slurm allocation of launcher slurm-8 ended' } });
    assert.deepEqual(await waiting, { kind: 'none' });
    assert.deepEqual([b.get(id!).state, b.get(id!).attempt], ['pending', 2]);
    assert.deepEqual(ids(await lease(b, req('B', 1))), [id]);
  });

  it('after a daemon restart remote jobs keep a fresh lease: re-reported they count, silent they expire', async () => {
    const first = broker({ concurrency: 10, leaseTtl: 30 });
    const [kept, silent, never] = first.b.submit([job('a', { retries: 1 }), job('b', { retries: 1 }), job('c', { retries: 1 })]).jobs.map((j) => j.id);
    assert.equal(ids(await lease(first.b, req('A', 3))).length, 3);
    first.b.remote.heartbeat(kept!, { launcher: 'A', attempt: 1, usage: null, pid: 11 });
    first.b.remote.heartbeat(silent!, { launcher: 'A', attempt: 1, usage: null, pid: 12 });
    first.b.remote.close();
    // A new broker on the same store: the daemon after a restart, with a short lease.
    const second = broker({ concurrency: 10, leaseTtl: 0.3 }, first.db);
    assert.equal(second.b.get(kept!).state, 'running');
    second.b.remote.heartbeat(kept!, { launcher: 'A', attempt: 1, usage: null, pid: 11 });
    second.b.remote.finish(kept!, { launcher: 'A', attempt: 1, result: exited(0) });
    await waitFor('the silent leases to expire', () => (second.b.get(silent!).state === 'pending' && second.b.get(never!).state === 'pending') || undefined, { timeout: 3000 });
    assert.deepEqual([second.b.get(kept!).state, second.b.get(kept!).attempt], ['succeeded', 1]);
    assert.equal(second.b.get(silent!).attempt, 2, 'it had started (a pid was reported): the attempt counts');
    assert.equal(second.b.get(never!).attempt, 1, 'never confirmed: not counted');
    second.b.remote.close();
  });
});
