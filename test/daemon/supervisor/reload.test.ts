// A new config (what SIGHUP loads) changes a running task: the fields the file changed are
// taken (a cardinality at once, without a restart), what was set over HTTP stays where the file
// did not change it, and a changed definition (its args) replaces the workers one by one, each
// old one once its replacement sent a keep-alive.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadConfig } from '../../../daemon/config/load.js';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { uniq } from '../../helpers/uniq.js';
import { taskJson, taskProcesses, waitForProcessCount, waitForWorkers } from '../../helpers/tasks.js';
import { waitFor } from '../../helpers/wait.js';

let d: InProcessDaemon | undefined;
after(() => d?.cleanup());

const args = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(1, -1);

test('a reloaded config takes what the file changed and keeps the run-time settings elsewhere', async () => {
  const K = uniq('Kept');
  const dm = (d = await startInProcess({ config: { tasks: { [K]: { cmd: 'sleep', args: ['1000'], cardinality: 1, stall_timeout: 0, grace_period: 100 } } } }));
  const [first] = await waitForWorkers(dm, K, 1);
  assert.equal((await dm.request('POST', `/tasks/${K}/set/stall_timeout/60000`)).text, 'Changed stall_timeout\n');
  assert.equal((await dm.request('POST', `/tasks/${K}/set/grace_period/700`)).text, 'Changed grace_period\n');

  const file = dm.config.file!;
  const edit = (change: (task: Record<string, unknown>) => void) => {
    const raw = JSON.parse(readFileSync(file, 'utf8'));
    change(raw.tasks[K]);
    writeFileSync(file, JSON.stringify(raw));
    return dm.daemon.reload(loadConfig(file));
  };

  // The file changes the cardinality: one more worker, the running one kept.
  let plan = await edit((t) => Object.assign(t, { cardinality: 2 }));
  assert.deepEqual([plan.restart, plan.change], [[], [{ task: K, changes: [{ field: 'cardinality', from: 1, to: 2 }] }]]);
  const both = await waitForProcessCount(K, 2);
  assert.ok(both.includes(first!), 'the running worker is kept');
  let j = await taskJson(dm, K);
  assert.deepEqual([j.cardinality, j.args, j.stall_timeout, j.grace_period], [2, ['1000'], 60000, 700], 'the settings made over HTTP stay');
  const scaled = dm.services.events.since(0).filter((e) => e.topic === 'task.scaled' && e.data.task === K).map((e) => e.data.cardinality);
  assert.deepEqual(scaled, [2]);

  // The file changes the grace period: now it is taken, the stall timeout set over HTTP stays.
  await edit((t) => Object.assign(t, { grace_period: 300 }));
  j = await taskJson(dm, K);
  assert.deepEqual([j.cardinality, j.stall_timeout, j.grace_period], [2, 60000, 300]);
  assert.deepEqual((await waitForWorkers(dm, K, 2)).sort(), [...both].sort(), 'no worker restarted by a change of settings');

  // The file changes the args: a rolling restart. Each replacement sends its keep-alive (stall
  // detection is on, set over HTTP), then the next old worker goes.
  plan = await edit((t) => Object.assign(t, { args: ['2000'] }));
  assert.deepEqual(plan.restart, [{ task: K, changes: [{ field: 'args', from: ['1000'], to: ['2000'] }] }]);
  const fresh = await waitFor('every worker replaced by one with the new args', async () => {
    for (const w of (await taskJson(dm, K)).workers) await dm.request('POST', `/tasks/${K}/workers/${w.pid}/alive`);
    const pids = taskProcesses(K);
    return pids.length === 2 && pids.every((p) => args(p)[0] === '2000') ? pids : undefined;
  }, { interval: 100 });
  assert.ok(!fresh.some((p) => both.includes(p)));
  j = await taskJson(dm, K);
  assert.deepEqual([j.args, j.stall_timeout, j.counters.restarts], [['2000'], 60000, 0], 'a rolling restart is no loss to count');
});

test('a waiting task whose requirement the file drops starts its workers at the reload', async () => {
  const A = uniq('Never');
  const B = uniq('Waits');
  const dm = await startInProcess({
    config: {
      tasks: {
        // A sends no keep-alive with stall detection on: never ready.
        [A]: { cmd: 'sleep', args: ['1000'], stall_timeout: 600000 },
        [B]: { cmd: 'sleep', args: ['1000'], stall_timeout: 0, requires: [A] },
      },
    },
  });
  try {
    await waitForWorkers(dm, A, 1);
    assert.equal((await taskJson(dm, B)).state, 'waiting');
    const file = dm.config.file!;
    const raw = JSON.parse(readFileSync(file, 'utf8'));
    raw.tasks[B].requires = [];
    writeFileSync(file, JSON.stringify(raw));
    const plan = await dm.daemon.reload(loadConfig(file));
    assert.deepEqual(plan.change, [{ task: B, changes: [{ field: 'requires', from: [A], to: [] }] }]);
    await waitForProcessCount(B, 1);
    assert.equal((await taskJson(dm, B)).state, 'running');
  } finally {
    await dm.cleanup();
  }
});
