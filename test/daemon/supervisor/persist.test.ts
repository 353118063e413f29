// Run-time changes to tasks survive a crash of the daemon (kill -9) and a restart: a task
// started at run time comes back started, one stopped stays stopped (autostart or not), a
// cardinality or grace period set over HTTP comes back; a field the config file changed since
// takes the file's value, the others keep theirs. Real daemon processes on one state dir.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { uniq } from '../../helpers/uniq.js';
import { taskJson, taskProcesses, waitForProcessCount } from '../../helpers/tasks.js';

const started: TestDaemon[] = [];
after(async () => {
  for (const d of started) {
    if (!d.exitInfo) await d.stop();
    d.cleanup();
  }
});
/** A new daemon on the same state dir, with this config (the file is written anew). */
async function restarted(d: TestDaemon, config: Record<string, unknown>): Promise<TestDaemon> {
  const d2 = await d.restart({ config });
  started.push(d2);
  return d2;
}

test('after kill -9 the tasks come back as they were left; a field the file changed since takes the file value', async () => {
  const Auto = uniq('Auto'); // autostarted, stopped at run time
  const Later = uniq('Later'); // defined, started at run time and scaled
  const Tuned = uniq('Tuned'); // autostarted, its grace period set at run time
  const sleeper = { cmd: 'sleep', args: ['1000'], stall_timeout: 0 };
  const tasks: Record<string, Record<string, unknown>> = {
    [Auto]: { ...sleeper },
    [Later]: { ...sleeper, autostart: false, cardinality: 1 },
    [Tuned]: { ...sleeper, grace_period: 100 },
  };
  const d = await startDaemon({ config: { tasks } });
  started.push(d);
  await waitForProcessCount(Auto, 1);
  await waitForProcessCount(Tuned, 1);
  await d.api('POST', `/tasks/${Later}/start`);
  await d.api('POST', `/tasks/${Later}/set/cardinality/4`);
  await d.api('POST', `/tasks/${Auto}/stop`);
  await d.api('POST', `/tasks/${Tuned}/set/grace_period/250`);
  await waitForProcessCount(Later, 4);
  await waitForProcessCount(Auto, 0);

  await d.kill9();
  const d2 = await restarted(d, { tasks });
  await waitForProcessCount(Later, 4);
  await waitForProcessCount(Tuned, 1);
  const state = async (dm: TestDaemon) => {
    const [a, l, t] = await Promise.all([Auto, Later, Tuned].map((n) => taskJson(dm, n)));
    return { auto: [a.running, a.active], later: [l.running, l.cardinality], tunedGrace: t.grace_period, tunedRunning: t.running };
  };
  assert.deepEqual(await state(d2), { auto: [false, 0], later: [true, 4], tunedGrace: 250, tunedRunning: true });
  assert.deepEqual(taskProcesses(Auto), [], 'the task stopped at run time stays stopped, autostart or not');

  // The file's cardinality of Later changes (1 → 3) and Tuned leaves the file: the file wins
  // for that field only, and Tuned's run-time grace period is forgotten.
  const { [Tuned]: tuned, ...without } = tasks;
  without[Later] = { ...tasks[Later], cardinality: 3 };
  assert.equal((await d2.stop()).code, 0);
  const d3 = await restarted(d2, { tasks: without });
  await waitForProcessCount(Later, 3);
  const [a3, l3] = await Promise.all([taskJson(d3, Auto), taskJson(d3, Later)]);
  assert.deepEqual([a3.running, l3.running, l3.cardinality], [false, true, 3]);
  assert.equal((await d3.request('GET', `/tasks/${Tuned}`)).status, 404);
  const again = { ...without, [Tuned]: tuned! };
  const raw = JSON.parse(readFileSync(d3.configFile!, 'utf8'));
  writeFileSync(d3.configFile!, JSON.stringify({ ...raw, tasks: again }));
  d3.proc.kill('SIGHUP');
  await waitForProcessCount(Tuned, 1);
  assert.equal((await taskJson(d3, Tuned)).grace_period, 100, 'a task the config dropped comes back with the file values');

  // A graceful shutdown is not a stop: every task that ran comes back running.
  assert.equal((await d3.stop()).code, 0);
  const d4 = await restarted(d3, { tasks: again });
  await waitForProcessCount(Later, 3);
  await waitForProcessCount(Tuned, 1);
  assert.deepEqual(await state(d4), { auto: [false, 0], later: [true, 3], tunedGrace: 100, tunedRunning: true });
  await d4.stop();
});
