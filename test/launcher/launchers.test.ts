// bl-launcher processes against a daemon: launchers share the jobs, a launcher killed with -9
// loses no job, exit-worker drains launchers, a wrong token is refused with a clear message, a
// stopping launcher finishes its job and takes no other, and a daemon outage with a launcher
// restart in it forgets no report. The daemon runs in this process, except where it is killed.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { startInProcess, type InProcessDaemon } from '../helpers/in-process.js';
import { freePort } from '../helpers/net.js';
import { pidsWithEnv } from '../helpers/proc.js';
import { waitFor } from '../helpers/wait.js';
import { job, Marks, submit, waitJob, waitLaunchers } from '../helpers/jobs.js';
import { exitOf, startLauncher, type TestLauncher } from './launcher-helpers.js';

const inProcess: InProcessDaemon[] = [];
const processes: TestDaemon[] = [];
const launchers: TestLauncher[] = [];
const dirs: string[] = [];
after(async () => {
  for (const l of launchers) l.cleanup();
  for (const d of processes) d.cleanup();
  for (const d of inProcess) await d.cleanup();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const BROKER = { concurrency: 4, local_slots: 0, lease_ttl: 2 };

async function daemon(broker: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<{ d: InProcessDaemon; marks: Marks }> {
  const clientToken = (extra.auth as { token?: string } | undefined)?.token;
  const d = await startInProcess({ config: { broker: { ...BROKER, ...broker }, ...extra }, ...(clientToken ? { clientToken } : {}) });
  inProcess.push(d);
  return { d, marks: new Marks(path.join(d.dir, 'marks')) };
}

function launcher(o: Parameters<typeof startLauncher>[0]): TestLauncher {
  const l = startLauncher(o);
  launchers.push(l);
  return l;
}

/** A job that makes the mark `name` when it starts, then waits for `name-go`; then runs `then`. */
const held = (marks: Marks, name: string, then = 'true') => `${marks.made(name)}; ${marks.awaited(`${name}-go`)}; ${then}`;

describe('bl-launcher', () => {
  it('two launchers share the jobs; kill -9 of one mid-job re-queues it after the lease and it finishes once on the other', async () => {
    const { d, marks } = await daemon({ retries: 1 });
    const a = launcher({ url: d.url, name: 'A', slots: 2, stateDir: path.join(d.dir, 'la') });
    const b = launcher({ url: d.url, name: 'B', slots: 2, stateDir: path.join(d.dir, 'lb') });
    await waitLaunchers(d, ['A', 'B']);

    // Four jobs held running at once, two slots each: each launcher holds two.
    const four = await submit(d, [1, 2, 3, 4].map((i) => ({ command: held(marks, `share${i}`, `echo ${i}`), cwd: d.dir })));
    for (const i of [1, 2, 3, 4]) await marks.waitMade(`share${i}`);
    const running = await Promise.all(four.map((j) => waitJob(d, j.id, 'to run', (x) => x.state === 'running')));
    assert.deepEqual(running.map((j) => j.launcher).sort(), ['A', 'A', 'B', 'B']);
    for (const i of [1, 2, 3, 4]) marks.make(`share${i}-go`);
    const done = await Promise.all(four.map((j) => waitJob(d, j.id, 'to succeed', (x) => x.state === 'succeeded')));
    assert.deepEqual(done.map((j) => j.launcher), running.map((j) => j.launcher), 'each ended where it ran');
    assert.ok(done.every((j) => j.attempt === 1 && j.host), JSON.stringify(done));

    // A job with a side effect at its end; its launcher dies with -9 before it gets there.
    const side = path.join(d.dir, 'side.txt');
    const [j] = await submit(d, { command: held(marks, 'victim-$BL_JOB_ATTEMPT', `echo "attempt $BL_JOB_ATTEMPT" >> ${side}`), cwd: d.dir });
    await marks.waitMade('victim-1');
    // With a pid, its launcher has confirmed it: the attempt counts.
    const first = await waitJob(d, j!.id, 'to run with a pid', (x) => x.state === 'running' && x.pid !== null);
    const [victim, other] = first.launcher === 'A' ? [a, 'B'] : [b, 'A'];
    await victim.kill9();
    // The launcher's guard takes the job's processes with it: nothing of attempt 1 runs on.
    await waitFor('attempt 1 to be gone with its launcher', () => pidsWithEnv('BL_JOB_ID', j!.id).length === 0, { timeout: 5000 });
    marks.make('victim-1-go');

    await waitJob(d, j!.id, 'to be re-queued', (x) => x.attempt === 2);
    const requeued = d.services.events.since(0).find((e) => e.topic === 'job.requeued' && e.data.id === j!.id)!;
    const silent = new RegExp(`^attempt 1: no heartbeat from launcher ${first.launcher} for ([\\d.]+) s \\(lease_ttl 2 s\\)`).exec(String(requeued.data.reason));
    assert.ok(silent && Number(silent[1]) >= 2, `re-queued for its lease: ${String(requeued.data.reason)}`);
    await marks.waitMade('victim-2');
    marks.make('victim-2-go');
    const end = await waitJob(d, j!.id, 'to succeed', (x) => x.state === 'succeeded');
    assert.deepEqual([end.attempt, end.launcher, end.reason], [2, other, null]);
    assert.equal(readFileSync(side, 'utf8'), 'attempt 2\n', 'the side effect happened once, by the re-queued attempt');
  });

  it('a launcher killed with -9 is listed silent after its heartbeat interval, gone after the lease', async () => {
    // Heartbeats every 2 s: silent after 3 s without a word, gone after 6 s.
    const { d, marks } = await daemon({ lease_ttl: 6 });
    const l = launcher({ url: d.url, name: 'K', stateDir: path.join(d.dir, 'lk') });
    await waitLaunchers(d, ['K']);
    const [j] = await submit(d, { command: held(marks, 'k-job'), cwd: d.dir });
    await waitJob(d, j!.id, 'to run on K with a pid', (x) => x.state === 'running' && x.launcher === 'K' && x.pid !== null);
    const line = async () => (await d.request('GET', '/launchers')).text.split('\n').find((x) => x.startsWith('K\t')) ?? '';
    assert.match(await line(), /\tworking$/);
    await l.kill9();
    const silent = await waitFor('K listed silent', async () => /\tsilent for (\d+) s$/.exec(await line()));
    assert.ok(Number(silent[1]) >= 3, silent[0]);
    const gone = await waitFor('K listed gone', async () => /\tgone \(silent for (\d+) s\)$/.exec(await line()));
    assert.ok(Number(gone[1]) >= 6, gone[0]);
    const k = ((await d.api('GET', '/broker')).launchers as { name: string; state: string; silent_s: number }[]).find((x) => x.name === 'K')!;
    assert.equal(k.state, 'gone');
    await waitJob(d, j!.id, 'to be re-queued', (x) => x.attempt === 2 || x.state !== 'running');
  });

  it('exit-worker: a busy launcher finishes its job, reports it and exits 0; an idle one exits at once', async () => {
    const { d, marks } = await daemon({});
    const busy = launcher({ url: d.url, name: 'busy', stateDir: path.join(d.dir, 'l1') });
    const [j] = await submit(d, { command: held(marks, 'busy-job'), cwd: d.dir });
    await marks.waitMade('busy-job');
    await waitJob(d, j!.id, 'to run on busy', (x) => x.state === 'running' && x.launcher === 'busy');
    const idle = launcher({ url: d.url, name: 'idle', stateDir: path.join(d.dir, 'l2') });
    await waitLaunchers(d, ['busy', 'idle']);

    const listed = async () => ((await d.api('GET', '/broker')).launchers as { name: string; exiting: boolean }[]).filter((l) => l.name !== 'local').map((l) => [l.name, l.exiting]);
    await d.api('POST', '/broker/exit-workers');
    // The idle one may have said goodbye already; a launcher still listed is exiting.
    const now = await listed();
    assert.ok(now.some(([n]) => n === 'busy') && now.every(([, exiting]) => exiting), JSON.stringify(now));
    assert.deepEqual(await exitOf(idle), { code: 0, signal: null });
    assert.deepEqual(await listed(), [['busy', true]], 'the idle one left the list as it went');
    assert.equal((await job(d, j!.id)).state, 'running', 'the idle launcher left while the job still ran');
    marks.make('busy-job-go');
    assert.deepEqual(await exitOf(busy), { code: 0, signal: null });
    const end = await job(d, j!.id);
    assert.equal(end.state, 'succeeded');
    assert.equal(end.launcher, 'busy');
    assert.match(busy.err, /asked the launchers to exit/);
    assert.deepEqual(readdirSync(path.join(d.dir, 'l1', 'outbox')), []);
  });

  it('a job with log_max_bytes and log_timestamps: its helper on the launcher\'s host rotates and stamps its log there', async () => {
    const { d } = await daemon({});
    const dir = path.join(d.dir, 'rot');
    launcher({ url: d.url, name: 'rot', stateDir: dir });
    const [j] = await submit(d, { command: 'i=0; while [ $i -lt 500 ]; do i=$((i+1)); echo "line $i"; done', cwd: d.dir, log_max_bytes: 1024, log_keep: 100, log_timestamps: true });
    const end = await waitJob(d, j!.id, 'to end', (x) => x.state === 'succeeded' || x.state === 'failed');
    assert.deepEqual([end.state, end.launcher], ['succeeded', 'rot']);
    const file = path.join(dir, 'logs', `${j!.id}.log`);
    const files = [];
    for (let i = 100; i >= 1; i--) if (existsSync(`${file}.${i}`)) files.push(`${file}.${i}`);
    files.push(file);
    assert.ok(files.length > 5, `rotated ${files.length - 1} times`);
    const lines = files.map((f) => readFileSync(f, 'utf8')).join('').split('\n').slice(0, -1);
    const stamp = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /;
    assert.ok(lines.every((l) => stamp.test(l)));
    assert.deepEqual(lines.map((l) => l.replace(stamp, '')), Array.from({ length: 500 }, (_, i) => `line ${i + 1}`));
    // The daemon keeps the end the report carried, read across the last rotation.
    const kept = (await d.request('GET', `/jobs/${j!.id}/log`)).text.split('\n').filter((l) => stamp.test(l));
    const count = (f: string) => readFileSync(f, 'utf8').split('\n').length - 1;
    assert.equal(kept.length, count(`${file}.1`) + count(file), 'the newest file and the one before it');
    assert.deepEqual(kept.slice(-2).map((l) => l.replace(stamp, '')), ['line 499', 'line 500']);
  });

  it('a wrong or missing token: a one-line 401 message and exit code 1', async () => {
    const { d } = await daemon({}, { auth: { token: 'right-token' } });
    const wrong = launcher({ url: d.url, name: 'w', stateDir: path.join(d.dir, 'lw'), token: 'wrong-token' });
    assert.equal((await exitOf(wrong)).code, 1);
    assert.match(wrong.err, new RegExp(`the daemon at ${d.url.replace(/[.]/g, '\\.')} refused the token \\(401`));
    const none = launcher({ url: d.url, name: 'n', stateDir: path.join(d.dir, 'ln') });
    assert.equal((await exitOf(none)).code, 1);
    assert.match(none.err, /refused the token \(401/);
    // The right token works.
    const good = launcher({ url: d.url, name: 'g', stateDir: path.join(d.dir, 'lg'), token: 'right-token', extra: ['--exit-when-empty'] });
    assert.deepEqual(await exitOf(good), { code: 0, signal: null });
  });

  it('an unreachable daemon is named in the message; the launcher keeps trying', async () => {
    const port = await freePort();
    const dir = mkdtempSync(path.join(tmpdir(), 'bl-unreach-'));
    dirs.push(dir);
    const l = launcher({ url: `http://127.0.0.1:${port}`, name: 'u', stateDir: dir });
    await waitFor('the outage message', () => /cannot reach the daemon at http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED.*; retrying/.test(l.err));
    assert.equal(l.exitInfo, undefined);
    await l.kill9();
  });

  it('keeps running through a daemon outage (kill -9); the report waits on disk through a launcher restart and is counted when the daemon is back', async () => {
    // A daemon process, killed and started again at the same address.
    const port = await freePort();
    const d = await startDaemon({ config: { port, broker: { ...BROKER, lease_ttl: 10 } } });
    processes.push(d);
    const marks = new Marks(path.join(d.dir, 'marks'));
    const stateDir = path.join(d.dir, 'lo');
    const a = launcher({ url: d.url, name: 'A', stateDir });
    const side = path.join(d.dir, 'side.txt');
    const [j] = await submit(d, { command: held(marks, 'outage', `echo ran >> ${side}`), cwd: d.dir });
    await marks.waitMade('outage');
    await waitJob(d, j!.id, 'to run on A', (x) => x.state === 'running' && x.launcher === 'A');
    await d.kill9();
    // The job ends while the daemon is away; its report is kept on disk.
    marks.make('outage-go');
    const outbox = path.join(stateDir, 'outbox');
    await waitFor('the report in the outbox', () => existsSync(side) && readdirSync(outbox).some((f) => f.endsWith('.json')));
    await waitFor('the outage to be noticed', () => /cannot reach the daemon/.test(a.err));
    await a.kill9();
    // Another launcher process on the same state dir sends A's report for it.
    const a2 = launcher({ url: d.url, name: 'A2', stateDir });
    await waitFor('the restarted launcher to find the report', () => /1 report of an earlier run to send/.test(a2.err));
    const d2 = await d.restart();
    processes.push(d2);
    const end = await waitJob(d2, j!.id, 'to succeed', (x) => x.state === 'succeeded');
    assert.equal(end.attempt, 1);
    assert.equal(end.launcher, 'A');
    assert.equal(readFileSync(side, 'utf8'), 'ran\n');
    await waitFor('the outbox to be empty', () => readdirSync(outbox).filter((f) => f.endsWith('.json')).length === 0);
    a2.proc.kill('SIGTERM');
    assert.deepEqual(await exitOf(a2), { code: 0, signal: null });
    await d2.stop();
  });

  it('SIGTERM: no more jobs, the running one finishes and is reported, then exit 0; a cancel reaches a remote job', async () => {
    const { d, marks } = await daemon({});
    const l = launcher({ url: d.url, name: 'T', slots: 2, stateDir: path.join(d.dir, 'lt') });
    const [long] = await submit(d, { command: 'exec sleep 30', cwd: d.dir });
    const [short] = await submit(d, { command: held(marks, 'short'), cwd: d.dir });
    await waitJob(d, long!.id, 'to run', (x) => x.state === 'running' && x.pid !== null);
    await marks.waitMade('short');
    const del = await d.request('DELETE', `/jobs/${long!.id}`, undefined, { Accept: 'application/json' });
    assert.equal(del.status, 202);
    const c = await waitJob(d, long!.id, 'to be cancelled', (x) => x.state === 'cancelled', 5000);
    assert.equal(c.reason, 'cancelled by request');
    assert.deepEqual(pidsWithEnv('BL_JOB_ID', long!.id), [], 'the cancelled job’s process is gone');
    l.proc.kill('SIGTERM');
    // Submitted once the launcher has taken the signal: a lease answer that reached it first
    // would be a job taken before the stop, and rightly run.
    await waitFor('the signal to be taken', () => /taking no more jobs/.test(l.err));
    const [later] = await submit(d, { command: 'true', cwd: d.dir });
    assert.equal((await job(d, short!.id)).state, 'running', 'the short job still runs after the signal');
    marks.make('short-go');
    assert.deepEqual(await exitOf(l), { code: 0, signal: null });
    assert.equal((await job(d, short!.id)).state, 'succeeded');
    assert.equal((await job(d, later!.id)).state, 'pending', 'a stopping launcher takes no new job');
  });

  it('a second SIGTERM kills the running job; it goes back to the head of the queue, this attempt not counted', async () => {
    const { d } = await daemon({});
    const l = launcher({ url: d.url, name: 'K', stateDir: path.join(d.dir, 'lk') });
    const [j] = await submit(d, { command: 'exec sleep 30', cwd: d.dir });
    await waitJob(d, j!.id, 'to run', (x) => x.state === 'running' && x.pid !== null);
    l.proc.kill('SIGTERM');
    await waitFor('the first signal to be taken', () => /taking no more jobs/.test(l.err));
    l.proc.kill('SIGTERM');
    assert.deepEqual(await exitOf(l), { code: 0, signal: null });
    const back = await job(d, j!.id);
    assert.deepEqual([back.state, back.attempt, back.launcher], ['pending', 1, null]);
    assert.match(back.reason ?? '', /bl-launcher K was stopped/);
    assert.deepEqual(pidsWithEnv('BL_JOB_ID', j!.id), []);
  });
});
