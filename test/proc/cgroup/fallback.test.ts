// Where bl holds no cgroup (`cgroups: false` here; a host without cgroup v2 alike): process
// groups hold workers and jobs as before, /healthz and the start-up line say so and why, and a
// limit is refused with that reason, never ignored: a submit with a 400, a config by stopping
// the start naming the field. The start-up line of a real daemon process says which way.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it, test } from 'node:test';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { startDaemon } from '../../helpers/daemon.js';
import { Marks, submit, waitState } from '../../helpers/jobs.js';
import { pidsWithEnv } from '../../helpers/proc.js';
import { waitFor } from '../../helpers/wait.js';

const NOT_ENFORCED = 'cannot be enforced on this host: bl is not using cgroups (cgroups: false in the config)';

describe('cgroups: false', () => {
  let d: InProcessDaemon;
  let marks: Marks;
  before(async () => {
    d = await startInProcess({ config: { cgroups: false, broker: { concurrency: 2 } } });
    marks = new Marks(path.join(d.dir, 'marks'));
  });
  after(() => d?.cleanup());

  it('/healthz says process groups hold the processes, and why', async () => {
    const h = await d.api('GET', '/healthz');
    assert.deepEqual(h.cgroups, { mode: 'process-group', reason: 'cgroups: false in the config', root: null, controllers: { memory: null, cpu: null, pids: null }, kill: null });
    assert.match((await d.request('GET', '/healthz')).text, /^Processes held by:\s+process groups \(cgroups: false in the config\)$/m);
  });

  it('a cancel still stops a job and the child in its group that ignores SIGTERM', async () => {
    const [j] = await submit(d, { command: `sh -c "trap '' TERM; exec sleep 1000" & trap '' TERM; ${marks.made('up')}; sleep 1000`, cwd: '/' });
    await marks.waitMade('up');
    await waitFor('the job and its child', () => pidsWithEnv('BL_JOB_ID', j!.id).length >= 2);
    await d.request('DELETE', `/jobs/${j!.id}`);
    await waitState(d, j!.id, 'cancelled');
    assert.deepEqual(pidsWithEnv('BL_JOB_ID', j!.id), []);
  });

  it('refuses a submit with a limit, with the reason', async () => {
    for (const [field, value] of [['memory_max', '64M'], ['cpu_max', '50%'], ['pids_max', 10]] as const) {
      const r = await d.request('POST', '/jobs', { command: 'true', cwd: '/', [field]: value }, { accept: 'application/json' });
      assert.equal(r.status, 400);
      assert.equal(JSON.parse(r.text).error.message, `job: ${field} ${NOT_ENFORCED}`);
    }
    const badValue = await d.request('POST', '/jobs', { command: 'true', cwd: '/', memory_max: 'lots' }, { accept: 'application/json' });
    assert.equal(badValue.status, 400);
    assert.match(JSON.parse(badValue.text).error.message, /^job: `memory_max`: expected bytes/);
  });
});

test('a task limit the host cannot enforce stops the start, naming the field', async () => {
  await assert.rejects(
    startInProcess({ config: { cgroups: false, tasks: { capped: { cmd: 'sleep', args: ['100'], memory_max: '1G' } } } }),
    (e: Error) => {
      assert.match(e.message, new RegExp(`: tasks\\.capped\\.memory_max: memory_max ${NOT_ENFORCED.replace(/[()]/g, '\\$&')}$`));
      return true;
    },
  );
});

test('the start-up line says which way processes are held: cgroups here, process groups when off', async () => {
  const on = await startDaemon({});
  try {
    const line = await waitFor('the listening line', () => on.err.split('\n').find((l) => l.includes('listening on')));
    assert.match(line, /workers and jobs held by cgroups under \/sys\/fs\/cgroup\/\S+ \(memory via v[12], cpu via v[12], pids via v[12]\)$/);
  } finally {
    await on.stop();
    on.cleanup();
  }
  const off = await startDaemon({ config: { cgroups: false } });
  try {
    const line = await waitFor('the listening line', () => off.err.split('\n').find((l) => l.includes('listening on')));
    assert.match(line, /workers and jobs held by process groups \(cgroups: false in the config\)$/);
  } finally {
    await off.stop();
    off.cleanup();
  }
});
