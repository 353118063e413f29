// Standby (pipelining): while every slot is taken, the built-in launcher's helpers hold the next
// pending jobs and start one the moment a running job exits. A held job is still pending to
// every reader; a cancel, a lower limit or an urgent arrival takes holds back before they run;
// and a job a helper started while the daemon died (its claim never written) does not run on
// beside its re-run after the restart.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { pidsWithEnv, statFields } from '../../helpers/proc.js';
import { waitFor } from '../../helpers/wait.js';
import { job, submit, waitJob, waitState } from '../../helpers/jobs.js';

const standby = async (d: TestDaemon, n: number) =>
  waitFor(`${n} job(s) on standby`, async () => (await d.api('GET', '/broker')).standby === n);

describe('broker standby', () => {
  const daemons: TestDaemon[] = [];
  after(async () => {
    for (const d of daemons) {
      await d.stop();
      d.cleanup();
    }
  });

  it('a held job is pending to readers, a cancel takes it back unrun, and the next ones start as slots free', async () => {
    const d = await startDaemon({ config: { broker: { concurrency: 1 } } });
    daemons.push(d);
    const [long] = await submit(d, { command: 'exec sleep 60', cwd: '/' });
    await waitState(d, long!.id, 'running');
    const [held] = await submit(d, { command: 'echo held', cwd: '/' });
    await standby(d, 1);
    assert.equal((await job(d, held!.id)).state, 'pending');
    assert.equal((await d.api('GET', '/broker')).running, 1);
    await d.api('DELETE', `/jobs/${held!.id}`);
    await standby(d, 0);
    const [next] = await submit(d, { command: 'echo next', cwd: '/' });
    await standby(d, 1);
    await d.api('DELETE', `/jobs/${long!.id}`);
    await waitState(d, long!.id, 'cancelled');
    const ran = await waitState(d, next!.id, 'succeeded');
    assert.equal((await d.request('GET', `/jobs/${next!.id}/log`)).text, 'next\n');
    const gone = await job(d, held!.id);
    assert.deepEqual([gone.state, gone.started_at], ['cancelled', null], 'the cancelled held job never started');
    assert.ok(ran.started_at! >= (await job(d, long!.id)).finished_at!, 'one at a time: it started as the long one ended');
  });

  it('a lower limit takes holds back: an exit then frees a slot that stays free', async () => {
    const d = await startDaemon({ config: { broker: { concurrency: 2 } } });
    daemons.push(d);
    const [a, b] = await submit(d, [
      { command: 'exec sleep 60', cwd: '/' },
      { command: 'exec sleep 60', cwd: '/' },
    ]);
    await waitState(d, a!.id, 'running');
    await waitState(d, b!.id, 'running');
    const waiting = await submit(d, [
      { command: 'exec sleep 60', cwd: '/' },
      { command: 'exec sleep 60', cwd: '/' },
    ]);
    await standby(d, 2);
    await d.api('PUT', '/broker/concurrency/1');
    await standby(d, 0);
    await d.api('DELETE', `/jobs/${a!.id}`);
    await waitState(d, a!.id, 'cancelled');
    // A held job would have started at a's exit, before the daemon even heard of it.
    const s = await d.api('GET', '/broker');
    assert.deepEqual([s.running, s.pending], [1, 2]);
    for (const j of waiting) assert.equal((await job(d, j.id)).state, 'pending');
    await d.api('PUT', '/broker/concurrency/0');
    await d.api('DELETE', `/jobs/${b!.id}`);
  });

  it('an urgent arrival sends held normal jobs back and starts first', async () => {
    const d = await startDaemon({ config: { broker: { concurrency: 1 } } });
    daemons.push(d);
    const [long] = await submit(d, { command: 'exec sleep 60', cwd: '/' });
    await waitState(d, long!.id, 'running');
    const [normal] = await submit(d, { command: 'true', cwd: '/' });
    await standby(d, 1);
    const [urgent] = await submit(d, { command: 'true', cwd: '/', queue: 'urgent' });
    await d.api('DELETE', `/jobs/${long!.id}`);
    const u = await waitState(d, urgent!.id, 'succeeded');
    const n = await waitState(d, normal!.id, 'succeeded');
    assert.ok(n.started_at! >= u.finished_at!, `the urgent job ran first (urgent ${u.started_at}–${u.finished_at}, normal from ${n.started_at})`);
  });

  it('a wave of exits started held jobs in their places: none is sent back, and all run once', async () => {
    const d = await startDaemon({ config: { broker: { concurrency: 4 } } });
    daemons.push(d);
    // Three jobs wait for a shared lock the test holds, so they exit together when it goes: the
    // helper reports three exits and three starts in their places in one message. They start
    // from standby (in the place of three cancelled ones), so they run on the helper that holds.
    const dir = mkdtempSync(path.join(tmpdir(), 'bl-wave-'));
    const lock = path.join(dir, 'lock');
    writeFileSync(lock, '');
    // The holder lives until its stdin closes (cat reads to EOF): nothing of it outlives the test.
    const holder = spawn('flock', [lock, 'cat'], { stdio: ['pipe', 'ignore', 'ignore'] });
    try {
      await waitFor('the test to hold the lock', () => spawnSync('flock', ['-n', lock, 'true']).status === 1);
      const [stay, ...first] = await submit(d, Array.from({ length: 4 }, () => ({ command: 'exec sleep 60', cwd: '/' })));
      for (const j of [stay!, ...first]) await waitState(d, j.id, 'running');
      const wave = await submit(d, Array.from({ length: 3 }, () => ({ argv: ['flock', '-s', lock, 'true'], cwd: '/' })));
      const rest = await submit(d, Array.from({ length: 8 }, (_, i) => ({ command: `echo ${i}`, cwd: '/' })));
      // Two a running job: the wave and five more.
      await standby(d, 8);
      for (const j of first) await d.api('DELETE', `/jobs/${j.id}`);
      for (const j of first) await waitState(d, j.id, 'cancelled');
      // Each of the three is blocked in flock (its process sleeps) before the lock goes.
      for (const w of wave) {
        await waitJob(d, w.id, 'its process to wait for the lock', (j) => j.pid !== null && statFields(j.pid)?.[0] === 'S');
      }
      await standby(d, 5);
      const before = (await d.api('GET', '/broker')).standby_returned;
      holder.stdin!.end();
      for (const j of [...wave, ...rest]) assert.equal((await waitState(d, j.id, ['succeeded', 'failed'])).state, 'succeeded');
      for (const [i, j] of rest.entries()) assert.equal((await d.request('GET', `/jobs/${j.id}/log`)).text, `${i}\n`);
      assert.equal((await d.api('GET', '/broker')).standby_returned, before, 'no held job was sent back');
      await d.api('DELETE', `/jobs/${stay!.id}`);
    } finally {
      holder.stdin!.end();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('at start, a process of a job still pending (started from standby as the daemon died) is killed before the job runs', async () => {
    const d = await startDaemon({ config: { broker: { concurrency: 0 } } });
    daemons.push(d);
    const [j] = await submit(d, { command: 'echo ran', cwd: '/' });
    await d.kill9();
    // What a helper leaves when it starts a held job as the daemon dies: the job's marker, a group of its own.
    const stray = spawn('sleep', ['60'], { detached: true, stdio: 'ignore', env: { ...process.env, BL_JOB_ID: j!.id } });
    stray.unref();
    await waitFor('the stray to run', () => pidsWithEnv('BL_JOB_ID', j!.id).length === 1);
    const d2 = await d.restart();
    daemons.push(d2);
    await waitFor('the stray to be killed', () => pidsWithEnv('BL_JOB_ID', j!.id).length === 0);
    assert.equal((await job(d2, j!.id)).state, 'pending');
    await d2.api('PUT', '/broker/concurrency/1');
    await waitState(d2, j!.id, 'succeeded');
  });
});
