// Jobs in cgroups across a kill -9 of the daemon: the next daemon finds each job's cgroup again
// (same state dir, same subtree). A job it follows is cancelled by membership, and the end of
// one that ended while no daemon ran takes with it what the job left in its group; a job
// started with cgroups off is still stopped by its tree. The
// processes left behind here have nothing else tying them to the job: another session, not
// the job's descendants, no BL_ variable. Real daemon processes, real jobs.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { alive, descendants, pidsWithEnv } from '../../helpers/proc.js';
import { Marks, submit, waitState } from '../../helpers/jobs.js';
import { waitFor } from '../../helpers/wait.js';

/** Shell: start a process that leaves everything behind but its cgroup, and write its pid to `file`. */
const escapee = (file: string) => `(env -i /usr/bin/setsid /bin/sh -c "trap '' TERM; echo \\$\\$ > ${file}.tmp; mv ${file}.tmp ${file}; exec sleep 1000" &)`;

const pidIn = (file: string) =>
  waitFor(`the pid in ${path.basename(file)}`, () => {
    try {
      return Number(readFileSync(file, 'utf8')) || undefined;
    } catch {
      return undefined;
    }
  });

describe('jobs in cgroups across a restart of the daemon', () => {
  const daemons: TestDaemon[] = [];
  const strays: number[] = [];
  after(async () => {
    for (const p of strays) if (alive(p)) process.kill(p, 'SIGKILL');
    for (const d of daemons.reverse()) {
      await d.stop();
      for (const k of pidsWithEnv('BL_KEEPER_OF', path.join(d.dir, 'state', 'jobs', 'ends'))) {
        for (const p of [...descendants(k), k]) process.kill(p, 'SIGKILL');
      }
      d.cleanup();
    }
  });

  it('a followed job is cancelled by its cgroup; an end found at the start kills what its job left in its cgroup', async () => {
    const d = await startDaemon({ config: { broker: { concurrency: 2 } } });
    daemons.push(d);
    const root = (await d.api('GET', '/healthz')).cgroups.root as string | null;
    assert.ok(root, 'this machine holds jobs in cgroups');
    const marks = new Marks(path.join(d.dir, 'marks'));
    const [held] = await submit(d, { command: `${escapee(marks.path('held-escapee'))}; trap '' TERM; exec sleep 1000`, cwd: '/' });
    const [ended] = await submit(d, { command: `${escapee(marks.path('ended-escapee'))}; ${marks.awaited('ended-go')}; exit 4`, cwd: '/' });
    const heldStray = await pidIn(marks.path('held-escapee'));
    const endedStray = await pidIn(marks.path('ended-escapee'));
    strays.push(heldStray, endedStray);
    await waitState(d, held!.id, 'running');
    await waitState(d, ended!.id, 'running');

    await d.kill9();
    marks.make('ended-go');
    await waitFor('the keeper to write the end of the job that ended', () => existsSync(path.join(d.dir, 'state', 'jobs', 'ends', `${ended!.id}.1.end`)), { timeout: 30000 });
    assert.ok(alive(endedStray), 'what the ended job left runs on while no daemon runs');
    assert.ok(existsSync(path.join(root, `job-${ended!.id}`)), 'its cgroup outlived the daemon');

    const d2 = await d.restart();
    daemons.push(d2);
    assert.equal((await d2.api('GET', '/healthz')).cgroups.root, root, 'the same state dir finds the same subtree');
    const e = await waitState(d2, ended!.id, 'failed');
    assert.deepEqual([e.exit_code, e.attempt], [4, 1]);
    await waitFor('what the ended job left in its cgroup to be killed', () => !alive(endedStray), { timeout: 30000 });
    await waitFor('its cgroup to be removed', () => !existsSync(path.join(root, `job-${ended!.id}`)), { timeout: 30000 });

    assert.equal((await d2.api('GET', `/jobs/${held!.id}`)).state, 'running', 'the live job is followed');
    assert.ok(alive(heldStray));
    await d2.api('DELETE', `/jobs/${held!.id}`);
    await waitState(d2, held!.id, 'cancelled', 30000);
    assert.equal(alive(heldStray), false, 'the process that escaped all but its cgroup is gone with the cancelled job');
    await waitFor('the cancelled job\'s cgroup to be removed', () => !existsSync(path.join(root, `job-${held!.id}`)), { timeout: 30000 });
  });

  it('a job started without cgroups is followed by a daemon that has them as it was started: by its tree', async () => {
    const d = await startDaemon({ config: { cgroups: false, broker: { concurrency: 1 } } });
    daemons.push(d);
    const marks = new Marks(path.join(d.dir, 'marks'));
    const [j] = await submit(d, { command: `${marks.made('runs')}; exec sleep 1000`, cwd: '/' });
    await marks.waitMade('runs');
    const { pid } = await waitState(d, j!.id, 'running');
    await d.kill9();
    const d2 = await d.restart({ config: { broker: { concurrency: 1 } } });
    daemons.push(d2);
    const root = (await d2.api('GET', '/healthz')).cgroups.root as string | null;
    assert.ok(root, 'the new daemon holds jobs in cgroups');
    assert.equal((await d2.api('GET', `/jobs/${j!.id}`)).state, 'running', 'the live job is followed');
    assert.equal(existsSync(path.join(root, `job-${j!.id}`)), false, 'no cgroup is made for a job that runs outside one');
    await d2.api('DELETE', `/jobs/${j!.id}`);
    await waitState(d2, j!.id, 'cancelled', 30000);
    await waitFor('the cancelled job\'s process to be gone', () => !alive(pid!), { timeout: 30000 });
  });
});
