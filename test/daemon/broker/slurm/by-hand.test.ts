// Allocations by hand on a real one-node Slurm: POST /broker/allocations submits them now
// (within max_launchers), their pilots connect and show in GET /launchers and GET /broker with
// the allocation's node and time left, each pilot's token opens the launcher protocol for its
// own launcher only, DELETE /broker/allocations/:id cancels one; and a daemon killed with -9
// finds its allocation again at its restart, whose pilot reconnects with its token.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AllocationJson, AllocationsJson } from '../../../../contract/types.js';
import { startDaemon, type TestDaemon } from '../../../helpers/daemon.js';
import { startInProcess, type InProcessDaemon } from '../../../helpers/in-process.js';
import { Marks, submit, waitJob, waitState } from '../../../helpers/jobs.js';
import { freePort } from '../../../helpers/net.js';
import { startSlurm, type Slurm } from '../../../helpers/slurm.js';
import { slurmWrappers } from '../../../helpers/slurm-wrappers.js';
import { waitFor } from '../../../helpers/wait.js';

let slurm: Slurm;
const inProcess: InProcessDaemon[] = [];
const processes: TestDaemon[] = [];
before(async () => {
  slurm = await startSlurm();
});
after(async () => {
  for (const d of processes) d.cleanup();
  for (const d of inProcess) await d.cleanup();
  await slurm?.stop();
});

const SLURM = { slots_per_launcher: 2, cpus_per_launcher: 1, max_launchers: 2, poll_interval: 1, time_limit: '30:00' };

const list = async (d: InProcessDaemon | TestDaemon): Promise<AllocationJson[]> => ((await d.api('GET', '/broker/allocations')) as AllocationsJson).allocations;

/** Our allocations Slurm still has pending or running. */
function aliveInSlurm(ids: string[]): string[] {
  const out = slurm.run('squeue', ['-h', '-t', 'all', '-j', ids.join(','), '-o', '%i %T']);
  return out.split('\n').filter((l) => /\b(PENDING|RUNNING|CONFIGURING)\b/.test(l));
}

/** The token the daemon wrote into an allocation's pilot script. */
function tokenOf(stateDir: string, id: string): string {
  return /^BL_TOKEN=(\S+)$/m.exec(readFileSync(path.join(stateDir, 'slurm', `${id}.sh`), 'utf8'))![1]!;
}

describe('Slurm allocations by hand', () => {
  it('POST submits within max_launchers; pilots show with node and time left; tokens open only their launcher protocol; DELETE cancels', async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bl-test-'));
    const w = slurmWrappers(dir);
    const d = await startInProcess({ dir, config: { broker: { concurrency: 4, local_slots: 0, slurm: { ...SLURM, env: { ...slurm.env, PATH: w.path } } } } });
    inProcess.push(d);

    // The test's daemon listens on loopback: fine on one node, said at start all the same.
    assert.ok(d.log.some((l) => l.includes(`warn  broker.slurm: pilots will reach the daemon at ${d.url}, a loopback address: only pilots on this host can`)));

    const r = await d.request('POST', '/broker/allocations', '2');
    assert.equal(r.status, 201);
    const [, a, b] = /^Submitted 2 allocations: (\d+), (\d+)\n$/.exec(r.text) ?? assert.fail(r.text);
    const over = await d.request('POST', '/broker/allocations', { count: 1 });
    assert.equal(over.status, 409);
    assert.equal(over.text, 'ERROR: expected at most 0 more allocations (max_launchers 2, 2 alive or being submitted), asked for 1\n');
    assert.equal((await d.request('POST', '/broker/allocations', { count: 0 })).status, 400);

    await waitFor('both pilots to connect', async () => (await list(d)).filter((x) => x.connected && x.state === 'running').length === 2 || undefined, { timeout: 60_000 });
    const [x] = (await list(d)).filter((y) => y.id === a);
    assert.equal(x!.launcher, `slurm-${a}`);
    assert.equal(x!.node, slurm.node);
    assert.ok(x!.time_left_s !== null && x!.time_left_s > 25 * 60 && x!.time_left_s <= 30 * 60, String(x!.time_left_s));
    assert.ok(x!.end_at && x!.started_at);

    const launchers = await d.request('GET', '/launchers');
    assert.match(launchers.text, new RegExp(`^slurm-${a}\\t${slurm.node}\\t0/2\\tseen \\S+\\tworking \\(allocation ${a}, (2\\d|30) min left\\)$`, 'm'));
    const lj = (await d.api('GET', '/launchers')).launchers.find((l: { name: string }) => l.name === `slurm-${a}`);
    assert.deepEqual({ ...lj.allocation, time_left_s: typeof lj.allocation.time_left_s }, { id: a, node: slurm.node, time_left_s: 'number' });
    const broker = await d.request('GET', '/broker');
    assert.match(broker.text, /^Allocations:\t0 pending, 2 running, 0 ending \(max_launchers 2, max_pending_allocations 1, 2 slots each\)$/m);
    assert.match(broker.text, new RegExp(`^Launcher slurm-${b}:\\t0 / 2 on ${slurm.node} \\(allocation ${b}, `, 'm'));
    const table = await d.request('GET', '/broker/allocations');
    assert.match(table.text, /^Paused:\tno\nAllocations:\t0 pending, 2 running, 0 ending \(.*\)\nID\tSTATE\tNODE\tLAUNCHER\tCONNECTED\tJOBS\tTIME LEFT\tSUBMITTED\tREASON\n/);
    assert.match(table.text, new RegExp(`^${a}\\trunning\\t${slurm.node}\\tslurm-${a}\\tyes\\t0\\t`, 'm'));

    // A pilot's token: the launcher protocol for its own launcher, nothing else.
    const token = tokenOf(d.config.stateDir, a!);
    const as = (h: string) => ({ Authorization: `Bearer ${h}` });
    assert.equal((await d.request('GET', '/jobs', undefined, as(token))).status, 403);
    assert.equal((await d.request('POST', '/shutdown', undefined, as(token))).status, 403);
    const other = await d.request('POST', `/launchers/slurm-${b}/lease`, { slots: 1, wait: 0 }, as(token));
    assert.equal(other.status, 403);
    assert.equal(other.text, `ERROR: expected this allocation token to speak for launcher slurm-${a} (its allocation's), found launcher slurm-${b}\n`);
    assert.equal((await d.request('POST', `/launchers/slurm-${a}/lease`, { slots: 1, wait: 0 }, as(token))).status, 204);
    assert.equal((await d.request('POST', `/launchers/slurm-${a}/lease`, { slots: 1, wait: 0 }, as('blp_not-a-real-one'))).status, 401);
    // The daemon has no auth, but a live allocation's launcher name still needs its token.
    const bare = await d.request('POST', `/launchers/slurm-${a}/lease`, { slots: 1, wait: 0 });
    assert.equal(bare.status, 401);
    assert.match(bare.text, new RegExp(`launcher slurm-${a} is a Slurm allocation's pilot: expected its token`));
    assert.equal((await d.request('POST', '/launchers/elsewhere/lease', { slots: 1, wait: 0 })).status, 204);

    // A job runs on one of them.
    const [job] = await submit(d, { command: 'echo hi', cwd: dir });
    const ran = await waitState(d, job!.id, ['succeeded', 'failed'], 30_000);
    assert.equal(ran.state, 'succeeded');
    assert.match(ran.launcher!, /^slurm-\d+$/);

    const del = await d.request('DELETE', `/broker/allocations/${a}`);
    assert.equal(del.status, 202);
    assert.equal(del.text, `Cancelling allocation ${a}: scancel sent, it ends when Slurm has stopped it\n`);
    const ended = await waitFor('the cancelled allocation to end', async () => (await list(d)).find((y) => y.id === a && y.state === 'ended'), { timeout: 30_000 });
    assert.equal(ended.reason, `cancelled by DELETE /broker/allocations/${a}`);
    assert.equal((await d.request('DELETE', `/broker/allocations/${a}`)).status, 409);
    const unknown = await d.request('DELETE', '/broker/allocations/999999');
    assert.equal(unknown.status, 404);
    assert.match(unknown.text, /^ERROR: no allocation 999999 \(known: /);
    assert.equal((await d.request('POST', `/launchers/slurm-${a}/lease`, { slots: 1, wait: 0 }, as(token))).status, 401, "an ended allocation's token opens nothing");
    // A cancel is not a failure.
    assert.equal((await d.api('GET', '/broker/allocations')).paused, null);

    const topics = d.services.events.since(0).map((e) => e.topic).filter((tp) => tp.startsWith('alloc.'));
    assert.deepEqual(topics.filter((tp) => tp === 'alloc.submitted').length, 2);
    assert.deepEqual(topics.filter((tp) => tp === 'alloc.started').length, 2);
    assert.deepEqual(topics.filter((tp) => tp === 'alloc.connected').length, 2, 'each pilot connected once');
    assert.deepEqual(topics.filter((tp) => tp === 'alloc.ended').length, 1);
    const metrics = (await d.request('GET', '/metrics')).text;
    assert.match(metrics, /^bl_allocations_submitted_total 2$/m);
    assert.match(metrics, /^bl_allocations\{state="running"\} 1$/m);
    assert.match(metrics, /^bl_allocations\{state="ended"\} 1$/m);
    const lines = d.log.filter((l) => /allocation/.test(l));
    t.diagnostic(lines.join('\n'));
    assert.ok(lines.some((l) => new RegExp(`info  allocation ${a} submitted to Slurm \\(launcher slurm-${a}; by POST /broker/allocations\\)`).test(l)));
    assert.ok(lines.some((l) => new RegExp(`info  allocation ${a} started on ${slurm.node}; its time ends at `).test(l)));
    assert.ok(lines.some((l) => new RegExp(`info  allocation ${a} ended after .*, \\d+ jobs? run: cancelled by DELETE /broker/allocations/${a}`).test(l)));

    await d.stop();
    assert.deepEqual(aliveInSlurm([a!, b!]), []);
    assert.equal(w.count('scontrol'), 0);
  });

  it('a daemon killed with -9 finds its allocation at its restart; the pilot reconnects and its job ends once', async () => {
    const port = await freePort();
    const dir = mkdtempSync(path.join(tmpdir(), 'bl-test-'));
    const marks = new Marks(path.join(dir, 'marks'));
    const config = { port, broker: { concurrency: 2, local_slots: 0, slurm: { ...SLURM, max_launchers: 1, env: { ...slurm.env } } } };
    const first = await startDaemon({ dir, config });
    processes.push(first);
    const [job] = await submit(first, { command: `${marks.made('started')}; ${marks.awaited('go')}`, cwd: dir });
    await marks.waitMade('started', 60_000);
    const [alloc] = await list(first);
    assert.equal(alloc!.state, 'running');
    first.proc.kill('SIGKILL');
    await waitFor('the daemon to die', () => first.exitInfo);

    const second = await first.restart();
    processes.push(second);
    const again = (await list(second)).find((x) => x.id === alloc!.id);
    assert.ok(again && again.state !== 'ended', JSON.stringify(again));
    await waitFor('the pilot to reconnect', async () => (await list(second)).find((x) => x.id === alloc!.id && x.connected) ?? undefined, { timeout: 30_000 });
    marks.make('go');
    const done = await waitJob(second, job!.id, 'to succeed', (j) => j.state === 'succeeded', 30_000);
    assert.equal(done.attempt, 1);
    assert.equal(done.launcher, `slurm-${alloc!.id}`);
    assert.equal((await list(second)).find((x) => x.id === alloc!.id)!.jobs_run, 1);

    const exit = await second.stop();
    assert.equal(exit.code, 0);
    assert.deepEqual(aliveInSlurm([alloc!.id]), []);
  });
});
