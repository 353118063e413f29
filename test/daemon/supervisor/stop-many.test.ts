// Many workers stop as one batch (proc/stop-tree.ts stopTrees), in a real bl-daemon process: a
// task of 300 sleeping workers stops, every process gone when the stop answers; started again,
// a SIGTERM shutdown ends with exit 0 and no worker left. (Its speed is bench/stop-many.ts's.)
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { taskProcesses, waitForProcessCount } from '../../helpers/tasks.js';
import { uniq } from '../../helpers/uniq.js';

const N = 300;
const T = uniq('Many');
let d: TestDaemon | undefined;
// Stopped, not killed: a killed daemon leaves its workers running.
after(async () => {
  await d?.stop();
  d?.cleanup();
});

test(`a task of ${N} workers stops, and a shutdown with ${N} running ends`, async () => {
  d = await startDaemon({ config: { tasks: { [T]: { cmd: 'sleep', args: ['1000'], cardinality: N, max_cardinality: N, stall_timeout: 0 } } } });
  await waitForProcessCount(T, N, 120000);
  const r = await d.request('POST', `/tasks/${T}/stop`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(taskProcesses(T), [], 'nothing left when the stop answers');
  const t = await d.api('GET', `/tasks/${T}`);
  assert.equal(t.counters.stopped, N, 'every worker counted as stopped on purpose');

  await d.request('POST', `/tasks/${T}/start`);
  await waitForProcessCount(T, N, 120000);
  const exit = await d.stop('SIGTERM');
  assert.deepEqual([exit.code, exit.signal], [0, null], d.err);
  assert.deepEqual(taskProcesses(T), [], 'nothing left after the shutdown');
});
