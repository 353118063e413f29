// Workers and jobs held by cgroups on this machine (cgroup v2 beside v1 controllers): a
// process that calls setsid(), drops bl's marker from its environment, leaves its parent and
// ignores SIGTERM is found by membership alone and does not survive a stop or a cancel; a job
// past its memory_max ends `oom` with its peak; a worker the OOM killer ends says so in its
// exit line. Real processes, a daemon in this process.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { alive, statFields } from '../../helpers/proc.js';
import { Marks, submit, waitState } from '../../helpers/jobs.js';
import { waitForWorkers } from '../../helpers/tasks.js';
import { waitFor } from '../../helpers/wait.js';

/** Shell: start a process that leaves everything behind but its cgroup, and write its pid to `file`. */
const escapee = (file: string) => `(env -i /usr/bin/setsid /bin/sh -c "trap '' TERM; echo \\$\\$ > ${file}.tmp; mv ${file}.tmp ${file}; exec sleep 1000" &)`;

// The interpreter itself: a version manager's `python3` may be a shell script that takes seconds.
const python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
const hog = `import time\nb = b'x' * (200 << 20)\ntime.sleep(60)\n`;

/** The pid an escapee wrote, once written. */
const pidIn = (file: string) => waitFor(`the pid in ${path.basename(file)}`, () => {
  try {
    return Number(readFileSync(file, 'utf8')) || undefined;
  } catch {
    return undefined;
  }
});

/** Nothing but its cgroup ties it to bl: another session, not bl's child, no BL_ variable. */
function assertEscaped(pid: number, leader: number | null): void {
  const f = statFields(pid)!;
  assert.notEqual(Number(f[1]), leader, 'reparented away from the leader');
  assert.equal(Number(f[3]), pid, 'a session of its own');
  assert.doesNotMatch(readFileSync(`/proc/${pid}/environ`, 'latin1'), /BL_/, 'no marker to be found by');
}

describe('cgroups', () => {
  let d: InProcessDaemon;
  let marks: Marks;
  const strays: number[] = [];
  before(async () => {
    const dir = (await import('node:fs')).mkdtempSync('/tmp/bl-cg-');
    marks = new Marks(path.join(dir, 'marks'));
    const worker = path.join(dir, 'escaping-worker.sh');
    writeFileSync(worker, `#!/bin/sh\n${escapee(marks.path('worker-escapee'))}\ntrap '' TERM\nexec sleep 1000\n`);
    chmodSync(worker, 0o755);
    const hogFile = path.join(dir, 'hog.py');
    writeFileSync(hogFile, hog);
    d = await startInProcess({
      config: {
        broker: { concurrency: 4 },
        tasks: {
          escaper: { cmd: worker, stall_timeout: 0, grace_period: 300, cardinality: 0 },
          hog: { cmd: python, args: [hogFile], stall_timeout: 0, memory_max: '50M', cardinality: 0, backoff: { initial: 60000, max: 60000 } },
        },
      },
    });
  });
  after(async () => {
    for (const p of strays) if (alive(p)) process.kill(p, 'SIGKILL');
    await d?.cleanup();
  });

  it('says in /healthz that cgroups hold the processes, and through which controllers', async () => {
    const h = await d.api('GET', '/healthz');
    assert.equal(h.cgroups.mode, 'cgroup', `this machine has cgroup v2; the daemon said: ${h.cgroups.reason}`);
    assert.equal(h.cgroups.controllers.memory !== null, true);
    const text = (await d.request('GET', '/healthz')).text;
    assert.match(text, /Processes held by:\s+cgroups under \/sys\/fs\/cgroup\/\S*bl-[0-9a-f]{12} \(memory via v[12]/);
  });

  it('a cancel kills a job process that escaped its session, parent and marker and ignores SIGTERM', async () => {
    const file = marks.path('job-escapee');
    const [j] = await submit(d, { command: `${escapee(file)}; trap '' TERM; exec sleep 1000`, cwd: '/' });
    const pid = await pidIn(file);
    strays.push(pid);
    const running = await waitState(d, j!.id, 'running');
    assertEscaped(pid, running.pid);
    assert.match(readFileSync(`/proc/${pid}/cgroup`, 'utf8'), new RegExp(`^0::/.*bl-[0-9a-f]+/job-${j!.id}$`, 'm'), 'it is in the job\'s cgroup');
    await d.request('DELETE', `/jobs/${j!.id}`);
    await waitState(d, j!.id, 'cancelled');
    assert.equal(alive(pid), false, 'the escapee is gone with the job');
  });

  it('a job that ends leaves nothing behind in its cgroup, escapee or not', async () => {
    const file = marks.path('left-escapee');
    const [j] = await submit(d, { command: `${escapee(file)}; while [ ! -s ${file} ]; do sleep 0.02; done`, cwd: '/' });
    await waitState(d, j!.id, 'succeeded');
    const pid = Number(readFileSync(file, 'utf8'));
    strays.push(pid);
    await waitFor('the escapee the job left to be killed', () => !alive(pid));
  });

  it('a job past its memory_max ends oom, with the limit and its peak in the reason', async () => {
    const [j] = await submit(d, { argv: [python, '-c', hog], cwd: '/', memory_max: '50M' });
    assert.deepEqual(j!.limits, { memory_max: 50 * 1024 * 1024 });
    const done = await waitState(d, j!.id, 'oom', 30000);
    assert.match(done.reason!, /^memory_max of 50 MiB reached \(peak \d+(\.\d)? MiB; the kernel's OOM killer ended 1 process\)$/);
    assert.equal(done.signal, 'SIGKILL');
    assert.ok(done.usage!.rss_max >= 40 * 1024 * 1024, `the peak is in its usage: ${JSON.stringify(done.usage)}`);
  });

  it('a stop kills a worker\'s escaped child that ignores SIGTERM', async () => {
    const file = marks.path('worker-escapee');
    await d.request('POST', '/tasks/escaper/set/cardinality/1');
    const [worker] = await waitForWorkers(d, 'escaper', 1);
    const pid = await pidIn(file);
    strays.push(pid);
    assertEscaped(pid, worker!);
    assert.match(readFileSync(`/proc/${pid}/cgroup`, 'utf8'), /^0::\/.*bl-[0-9a-f]+\/task-escaper\/worker-[0-9a-f]{12}$/m);
    await d.request('POST', '/tasks/escaper/stop');
    assert.equal(alive(pid), false, 'the stop returned with the escapee gone');
    assert.equal(alive(worker!), false);
  });

  it('a worker ended by the OOM killer says so in its exit line', async () => {
    await d.request('POST', '/tasks/hog/set/cardinality/1');
    const line = await waitFor('the hog worker\'s exit line', () => d.log.find((l) => /hog/.test(l) && /killed by SIGKILL after [^:]+: memory_max of 50 MiB reached \(peak/.test(l)), { timeout: 30000 }).catch((e) => { throw new Error(`${e.message}; the log: ${d.log.filter((l) => /hog/.test(l)).join(' // ')}`); });
    assert.match(line, /the kernel's OOM killer ended 1 process/);
    await d.request('POST', '/tasks/hog/stop');
  });
});
