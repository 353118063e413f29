// SIGHUP against a real bl-daemon process: a task whose definition changed (its args) is
// restarted, once, worker by worker; a task that did not change keeps its workers; a
// cardinality alone rescales without a restart. The daemon's log and the `config.reloaded`
// event (ZeroMQ PUB) carry the plan. `bl-daemon --check` prints what the same SIGHUP would do.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { EventWatcher } from '../helpers/zmq.js';
import { uniq } from '../helpers/uniq.js';
import { taskJson, taskProcesses, waitForProcessCount, waitForWorkers } from '../helpers/tasks.js';
import { waitFor } from '../helpers/wait.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const argsOf = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(1, -1);

test('SIGHUP restarts exactly the task whose args changed, once; the other keeps its pids; the log and the event say so', async () => {
  const Changed = uniq('Changed');
  const Kept = uniq('Kept');
  const Scaled = uniq('Scaled');
  const sleeper = (arg: string, cardinality: number) => ({ cmd: 'sleep', args: [arg], cardinality, stall_timeout: 0, min_uptime: 200 });
  const d: TestDaemon = await startDaemon({ config: { tasks: { [Changed]: sleeper('1000', 2), [Kept]: sleeper('1000', 2), [Scaled]: sleeper('1000', 1) } } });
  cleanups.push(async () => {
    if (!d.exitInfo) await d.stop();
    d.cleanup();
  });
  const events = new EventWatcher(d.ready.events);
  cleanups.push(() => events.close());
  const oldChanged = (await waitForWorkers(d, Changed, 2)).sort();
  const oldKept = (await waitForWorkers(d, Kept, 2)).sort();
  const [oldScaled] = await waitForWorkers(d, Scaled, 1);
  // The PUB drops what comes before the subscription: wait until it hears the daemon (a
  // cardinality set to what it is says task.scaled and changes nothing).
  await waitFor('the event subscription', async () => {
    await d.request('POST', `/tasks/${Kept}/set/cardinality/2`);
    return events.got.some((e) => e.topic === 'task.scaled');
  }, { interval: 200 });

  const cfg = JSON.parse(readFileSync(d.configFile!, 'utf8'));
  cfg.tasks[Changed].args = ['2000'];
  cfg.tasks[Scaled].cardinality = 2;
  writeFileSync(d.configFile!, JSON.stringify(cfg));
  d.proc.kill('SIGHUP');

  const line = `info  SIGHUP: reloaded ${d.configFile}: restart ${Changed}: args ["1000"] → ["2000"]; change ${Scaled}: cardinality 1 → 2\n`;
  await waitFor('the reload in the log', () => d.err.includes(line), { timeout: 20000 });
  const ev = await waitFor('the config.reloaded event', () => events.got.find((e) => e.topic === 'config.reloaded'));
  const plan = JSON.parse(ev.body);
  assert.deepEqual([plan.trigger, plan.file], ['SIGHUP', d.configFile]);
  assert.deepEqual(plan.restart, [{ task: Changed, changes: [{ field: 'args', from: ['1000'], to: ['2000'] }] }]);
  assert.deepEqual(plan.change, [{ task: Scaled, changes: [{ field: 'cardinality', from: 1, to: 2 }] }]);
  assert.deepEqual([plan.start, plan.stop, plan.settings], [[], [], []]);

  // Every worker of the changed task replaced by one running the new args; the others untouched.
  const fresh = await waitFor(`${Changed}'s workers all replaced`, async () => {
    const pids = taskProcesses(Changed);
    return pids.length === 2 && pids.every((p) => !oldChanged.includes(p)) && (await taskJson(d, Changed)).workers.length === 2 ? pids : undefined;
  }, { timeout: 20000 });
  assert.deepEqual(fresh.map(argsOf), [['2000'], ['2000']]);
  await waitFor('the rolling restart to end', () => events.got.some((e) => e.topic === 'task.restarted' && JSON.parse(e.body).task === Changed));
  assert.deepEqual(taskProcesses(Kept).sort(), oldKept, 'the unchanged task kept its workers');
  const scaled = await waitForProcessCount(Scaled, 2);
  assert.ok(scaled.includes(oldScaled!), 'a cardinality alone rescales: the running worker stays');
  const restarts = events.got.filter((e) => e.topic === 'task.restarting').map((e) => JSON.parse(e.body).task);
  assert.deepEqual(restarts, [Changed], 'one restart, of the changed task only');

  // The same file again: nothing to do, nothing restarted.
  d.proc.kill('SIGHUP');
  await waitFor('the second reload in the log', () => d.err.includes(`info  SIGHUP: reloaded ${d.configFile}: nothing changed\n`));
  assert.deepEqual(taskProcesses(Changed).sort(), fresh.sort());
});
