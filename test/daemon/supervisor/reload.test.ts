// A new config (what SIGHUP loads) changes a running task: the fields the file changed are
// taken (the cardinality at once, the command for the next spawn, its workers kept), and what
// was set over HTTP stays where the file did not change it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadConfig } from '../../../daemon/config/load.js';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { uniq } from '../../helpers/uniq.js';
import { taskJson, waitForProcessCount, waitForWorkers } from '../../helpers/tasks.js';

let d: InProcessDaemon | undefined;
after(() => d?.cleanup());

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

  // The file changes the args and the cardinality.
  const r = await edit((t) => Object.assign(t, { args: ['2000'], cardinality: 2 }));
  assert.deepEqual(r, { added: [], removed: [], changed: [K] });
  const both = await waitForProcessCount(K, 2);
  assert.ok(both.includes(first!), 'the running worker is kept');
  const second = both.find((p) => p !== first)!;
  const args = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(1, -1);
  assert.deepEqual([args(first!), args(second)], [['1000'], ['2000']], 'the new worker runs the new command, the old one goes on');
  let j = await taskJson(dm, K);
  assert.deepEqual([j.cardinality, j.args, j.stall_timeout, j.grace_period], [2, ['2000'], 60000, 700], 'the settings made over HTTP stay');
  const scaled = dm.services.events.since(0).filter((e) => e.topic === 'task.scaled' && e.data.task === K).map((e) => e.data.cardinality);
  assert.deepEqual(scaled, [2]);

  // The file changes the grace period: now it is taken, the stall timeout set over HTTP stays.
  await edit((t) => Object.assign(t, { grace_period: 300 }));
  j = await taskJson(dm, K);
  assert.deepEqual([j.cardinality, j.stall_timeout, j.grace_period], [2, 60000, 300]);
  assert.deepEqual((await waitForWorkers(dm, K, 2)).sort(), [...both].sort(), 'no worker restarted by a change of settings');
});
