// Must show 1 and 2: never more than `concurrency` jobs run, urgent jobs start first, and the
// urgent bypass runs an urgent job beside a full limit.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { pidsWithEnv } from '../../helpers/proc.js';
import { waitFor } from '../../helpers/wait.js';
import { submit, waitState } from '../../helpers/jobs.js';

describe('broker limits', () => {
  let d: TestDaemon;
  let work: string;
  before(async () => {
    d = await startDaemon({ config: { broker: { concurrency: 2 } } });
    work = mkdtempSync(path.join(tmpdir(), 'bl-limits-'));
  });
  after(async () => {
    await d.stop();
    d.cleanup();
  });

  it('runs at most N at once and starts urgent jobs first', async () => {
    await d.api('PUT', '/broker/concurrency/0');
    const order = path.join(work, 'order');
    // `exec` leaves one process a job, so counting marked processes counts running jobs.
    const cmd = (name: string) => `echo ${name} >> ${order}; exec sleep 0.4`;
    const env = { LIMITS_TEST: 'one' };
    const normal = await submit(d, ['n1', 'n2', 'n3', 'n4'].map((n) => ({ command: cmd(n), cwd: work, env })));
    const urgent = await submit(d, ['u1', 'u2', 'u3'].map((n) => ({ command: cmd(n), cwd: work, env, queue: 'urgent' })));
    assert.equal((await d.api('GET', '/broker')).pending, 7);
    await d.api('PUT', '/broker/concurrency/2');
    let maxSeen = 0;
    let maxReported = 0;
    const ids = [...normal, ...urgent].map((j) => j.id);
    await waitFor('all 7 jobs to end', async () => {
      const b = await d.api('GET', '/broker');
      maxReported = Math.max(maxReported, b.running);
      maxSeen = Math.max(maxSeen, pidsWithEnv('LIMITS_TEST', 'one').length);
      return b.counts.succeeded === ids.length;
    }, { timeout: 20000 });
    assert.ok(maxSeen <= 2 && maxReported <= 2, `at most 2 at once, saw ${maxSeen} processes and ${maxReported} reported`);
    assert.equal(maxSeen, 2, 'the limit was used');
    assert.deepEqual(readFileSync(order, 'utf8').trim().split('\n').sort(), ['n1', 'n2', 'n3', 'n4', 'u1', 'u2', 'u3'], 'each ran once');
    // The claim times order the starts (two processes started in the same millisecond may
    // print in either order): urgent FIFO, then normal FIFO.
    const started = [...urgent, ...normal].map((j) => d.api('GET', `/jobs/${j.id}`));
    const times = (await Promise.all(started)).map((j: { started_at: string }) => Date.parse(j.started_at));
    for (let i = 1; i < times.length; i++) assert.ok(times[i - 1]! <= times[i]!, `start ${i} (${times.join(', ')})`);
  });

  it('with urgent bypass starts an urgent job beside a full limit, and not a normal one', async () => {
    await d.api('PUT', '/broker/concurrency/1');
    const [long] = await submit(d, { command: 'exec sleep 30', cwd: work });
    await waitState(d, long!.id, 'running');
    const [waiting] = await submit(d, { command: 'true', cwd: work });
    const [u1] = await submit(d, { command: 'echo early', cwd: work, queue: 'urgent' });
    await d.api('POST', '/broker/urgent-concurrent/enable');
    assert.equal((await d.api('GET', '/broker')).urgent_bypass, true);
    const done = await waitState(d, u1!.id, 'succeeded');
    assert.ok(done.started_at, 'the urgent job ran');
    assert.equal((await d.api('GET', `/jobs/${long!.id}`)).state, 'running', 'beside the job that fills the limit');
    assert.equal((await d.api('GET', `/jobs/${waiting!.id}`)).state, 'pending', 'a normal job still waits');
    await d.api('POST', '/broker/urgent-concurrent/disable');
    const [u2] = await submit(d, { command: 'true', cwd: work, queue: 'urgent' });
    // Without the bypass the urgent job waits, but ahead of the normal one.
    const pending = await d.api('GET', '/jobs?state=pending');
    assert.deepEqual(pending.jobs.map((j: { id: string }) => j.id), [u2!.id, waiting!.id]);
    const cancel = await d.request('DELETE', `/jobs/${long!.id}`);
    assert.equal(cancel.status, 202);
    const killed = await waitState(d, long!.id, 'cancelled');
    assert.equal(killed.signal, 'SIGTERM');
    await waitState(d, waiting!.id, 'succeeded');
    await waitState(d, u2!.id, 'succeeded');
  });
});

describe('broker local_slots', () => {
  it('holds the built-in launcher to local_slots below the concurrency', async () => {
    const d = await startDaemon({ config: { broker: { concurrency: 4, local_slots: 1 } } });
    try {
      const jobs = await submit(d, [1, 2, 3].map(() => ({ command: 'exec sleep 0.3', cwd: '/' })));
      let most = 0;
      await waitFor('the 3 jobs to end', async () => {
        const b = await d.api('GET', '/broker');
        most = Math.max(most, b.running);
        return b.counts.succeeded === 3;
      });
      assert.equal(most, 1);
      const st = await d.api('GET', '/broker');
      assert.deepEqual([st.local_slots, st.launchers[0].slots], [1, 1]);
      assert.equal(jobs.length, 3);
    } finally {
      await d.stop();
      d.cleanup();
    }
  });
});
