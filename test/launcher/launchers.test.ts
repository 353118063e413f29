// bl-launcher against a real daemon (issue 5, must-show 1 and 3): launchers share the jobs, a
// launcher killed with -9 loses no job, exit-worker drains launchers, a wrong token is refused
// with a clear message, and a daemon outage with a launcher restart in it forgets no report.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { freePort } from '../helpers/net.js';
import { pidsWithEnv } from '../helpers/proc.js';
import { waitFor } from '../helpers/wait.js';
import { job, submit, waitJob, waitLaunchers } from '../helpers/jobs.js';
import { startLauncher, type TestLauncher } from './launcher-helpers.js';

const daemons: TestDaemon[] = [];
const launchers: TestLauncher[] = [];
after(() => {
  for (const l of launchers) l.cleanup();
  for (const d of daemons) d.cleanup();
});

async function daemon(broker: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<{ d: TestDaemon; dir: string }> {
  const clientToken = (extra.auth as { token?: string } | undefined)?.token;
  const d = await startDaemon({ config: { broker: { concurrency: 4, local_slots: 0, lease_ttl: 2, ...broker }, ...extra }, clientToken });
  daemons.push(d);
  return { d, dir: d.dir };
}

function launcher(o: Parameters<typeof startLauncher>[0]): TestLauncher {
  const l = startLauncher(o);
  launchers.push(l);
  return l;
}

describe('bl-launcher', () => {
  it('two launchers share the jobs; kill -9 of one mid-job re-queues it after the lease and it finishes once on the other', async () => {
    const { d, dir } = await daemon({ retries: 1 });
    const a = launcher({ url: d.url, name: 'A', slots: 2, stateDir: path.join(dir, 'la') });
    const b = launcher({ url: d.url, name: 'B', slots: 2, stateDir: path.join(dir, 'lb') });
    await waitLaunchers(d, ['A', 'B']);

    // Four jobs, two slots each: both launchers take a share.
    const four = await submit(d, [1, 2, 3, 4].map((i) => ({ command: `sleep 0.5; echo ${i}`, cwd: dir })));
    const done = await Promise.all(four.map((j) => waitJob(d, j.id, 'to succeed', (x) => x.state === 'succeeded')));
    assert.deepEqual([...new Set(done.map((j) => j.launcher))].sort(), ['A', 'B']);
    assert.ok(done.every((j) => j.attempt === 1 && j.host));

    // A job with a side effect after a pause; its launcher dies with -9 before it gets there.
    const side = path.join(dir, 'side.txt');
    const [j] = await submit(d, { command: `sleep 1.5; echo "attempt $BL_JOB_ATTEMPT" >> ${side}`, cwd: dir });
    const running = await waitJob(d, j.id, 'to run with a pid', (x) => x.state === 'running' && x.pid !== null);
    const [victim, other] = running.launcher === 'A' ? [a, 'B'] : [b, 'A'];
    await victim.kill9();
    const killedAt = Date.now();
    // The launcher's guard takes the job's processes with it: nothing of attempt 1 runs on.
    await waitFor('attempt 1 to be gone with its launcher', () => pidsWithEnv('BL_JOB_ID', j.id).length === 0 || undefined, { timeout: 5000 });

    const requeued = await waitJob(d, j.id, 'to be re-queued', (x) => x.attempt === 2);
    const requeueMs = Date.now() - killedAt;
    assert.ok(requeueMs < 2000 + 1500, `re-queued ${requeueMs} ms after the kill (lease_ttl 2 s)`);
    assert.ok(requeued.state === 'pending' || requeued.state === 'running' || requeued.state === 'succeeded');
    const end = await waitJob(d, j.id, 'to succeed', (x) => x.state === 'succeeded');
    assert.equal(end.attempt, 2);
    assert.equal(end.launcher, other);
    assert.equal(readFileSync(side, 'utf8'), 'attempt 2\n', 'the side effect happened once, by the re-queued attempt');
    assert.match(end.reason ?? '', /^$|attempt/);
  });

  it('exit-worker: a busy launcher finishes its job, reports it and exits 0; an idle one exits at once', async () => {
    const { d, dir } = await daemon({});
    const busy = launcher({ url: d.url, name: 'busy', stateDir: path.join(dir, 'l1') });
    const [j] = await submit(d, { command: 'sleep 1', cwd: dir });
    await waitJob(d, j.id, 'to run on busy', (x) => x.state === 'running' && x.launcher === 'busy');
    const idle = launcher({ url: d.url, name: 'idle', stateDir: path.join(dir, 'l2') });
    await waitLaunchers(d, ['busy', 'idle']);

    await d.api('POST', '/broker/exit-workers');
    const b = await d.api('GET', '/broker');
    assert.ok((b.launchers as { name: string; exiting: boolean }[]).filter((l) => l.name !== 'local').every((l) => l.exiting));
    assert.deepEqual(await idle.exited, { code: 0, signal: null });
    assert.equal((await job(d, j.id)).state, 'running', 'the idle launcher left while the job still ran');
    assert.deepEqual(await busy.exited, { code: 0, signal: null });
    const end = await job(d, j.id);
    assert.equal(end.state, 'succeeded');
    assert.equal(end.launcher, 'busy');
    assert.match(busy.err, /asked the launchers to exit/);
    assert.deepEqual(readdirSync(path.join(dir, 'l1', 'outbox')), []);
  });

  it('a wrong or missing token: a one-line 401 message and exit code 1', async () => {
    const { d, dir } = await daemon({}, { auth: { token: 'right-token' } });
    const wrong = launcher({ url: d.url, name: 'w', stateDir: path.join(dir, 'lw'), token: 'wrong-token' });
    assert.equal((await wrong.exited).code, 1);
    assert.match(wrong.err, new RegExp(`the daemon at ${d.url.replace(/[.]/g, '\\.')} refused the token \\(401`));
    const none = launcher({ url: d.url, name: 'n', stateDir: path.join(dir, 'ln') });
    assert.equal((await none.exited).code, 1);
    assert.match(none.err, /refused the token \(401/);
    // The right token works.
    const good = launcher({ url: d.url, name: 'g', stateDir: path.join(dir, 'lg'), token: 'right-token', extra: ['--exit-when-empty'] });
    assert.deepEqual(await good.exited, { code: 0, signal: null });
  });

  it('an unreachable daemon is named in the message; the launcher keeps trying', async () => {
    const port = await freePort();
    const dir = path.join(daemons[0]?.dir ?? '/tmp', 'unreach');
    mkdirSync(dir, { recursive: true });
    const l = launcher({ url: `http://127.0.0.1:${port}`, name: 'u', stateDir: dir });
    await waitFor('the outage message', () => /cannot reach the daemon at http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED.*; retrying/.test(l.err) || undefined);
    assert.equal(l.exitInfo, undefined);
    await l.kill9();
  });

  it('keeps running through a daemon outage; the report waits on disk through a launcher restart and is counted when the daemon is back', async () => {
    const port = await freePort();
    const { d, dir } = await daemon({ lease_ttl: 10 }, { port });
    const stateDir = path.join(dir, 'lo');
    const a = launcher({ url: d.url, name: 'A', stateDir });
    const side = path.join(dir, 'side.txt');
    const [j] = await submit(d, { command: `sleep 1; echo ran >> ${side}`, cwd: dir });
    await waitJob(d, j.id, 'to run on A', (x) => x.state === 'running' && x.launcher === 'A');
    await d.kill9();
    // The job ends while the daemon is away; its report is kept on disk.
    const outbox = path.join(stateDir, 'outbox');
    await waitFor('the report in the outbox', () => (existsSync(side) && readdirSync(outbox).some((f) => f.endsWith('.json'))) || undefined);
    await waitFor('the outage to be noticed', () => /cannot reach the daemon/.test(a.err) || undefined);
    await a.kill9();
    // Another launcher process on the same state dir sends A's report for it.
    const a2 = launcher({ url: d.url, name: 'A2', stateDir });
    await waitFor('the restarted launcher to find the report', () => /1 report of an earlier run to send/.test(a2.err) || undefined);
    const d2 = await d.restart();
    daemons.push(d2);
    const end = await waitJob(d2, j.id, 'to succeed', (x) => x.state === 'succeeded');
    assert.equal(end.attempt, 1);
    assert.equal(end.launcher, 'A');
    assert.equal(readFileSync(side, 'utf8'), 'ran\n');
    await waitFor('the outbox to be empty', () => readdirSync(outbox).filter((f) => f.endsWith('.json')).length === 0 || undefined);
    a2.proc.kill('SIGTERM');
    assert.deepEqual(await a2.exited, { code: 0, signal: null });
  });

  it('SIGTERM: no more jobs, the running one finishes and is reported, then exit 0; a cancel reaches a remote job', async () => {
    const { d, dir } = await daemon({});
    const l = launcher({ url: d.url, name: 'T', slots: 2, stateDir: path.join(dir, 'lt') });
    const [long] = await submit(d, { command: 'sleep 30', cwd: dir });
    const [short] = await submit(d, { command: 'sleep 1', cwd: dir });
    await waitJob(d, long.id, 'to run', (x) => x.state === 'running' && x.pid !== null);
    await waitJob(d, short.id, 'to run', (x) => x.state === 'running');
    const del = await d.request('DELETE', `/jobs/${long.id}`, undefined, { Accept: 'application/json' });
    assert.equal(del.status, 202);
    const c = await waitJob(d, long.id, 'to be cancelled', (x) => x.state === 'cancelled', 5000);
    assert.equal(c.reason, 'cancelled by request');
    l.proc.kill('SIGTERM');
    // Submitted once the launcher has taken the signal: a lease answer that reached it first
    // would be a job taken before the stop, and rightly run.
    await waitFor('the signal to be taken', () => /taking no more jobs/.test(l.err) || undefined);
    const [later] = await submit(d, { command: 'true', cwd: dir });
    assert.deepEqual(await l.exited, { code: 0, signal: null });
    assert.equal((await job(d, short.id)).state, 'succeeded');
    assert.equal((await job(d, later.id)).state, 'pending', 'a stopping launcher takes no new job');
  });

  it('a second SIGTERM kills the running job; it goes back to the head of the queue, this attempt not counted', async () => {
    const { d, dir } = await daemon({});
    const l = launcher({ url: d.url, name: 'K', stateDir: path.join(dir, 'lk') });
    const [j] = await submit(d, { command: 'sleep 30', cwd: dir });
    await waitJob(d, j.id, 'to run', (x) => x.state === 'running' && x.pid !== null);
    l.proc.kill('SIGTERM');
    await waitFor('the first signal to be taken', () => /taking no more jobs/.test(l.err) || undefined);
    l.proc.kill('SIGTERM');
    assert.deepEqual(await l.exited, { code: 0, signal: null });
    const back = await job(d, j.id);
    assert.deepEqual([back.state, back.attempt, back.launcher], ['pending', 1, null]);
    assert.match(back.reason ?? '', /bl-launcher K was stopped/);
    assert.deepEqual(pidsWithEnv('BL_JOB_ID', j.id), []);
  });
});
