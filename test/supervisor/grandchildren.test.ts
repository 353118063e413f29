// Must show 5: a worker's grandchild does not survive stop, scale-down, stall kill or
// daemon shutdown. The forking example starts one child in its group and one that leaves it
// with setsid; every process carries BL_TASK, so the test finds them wherever they went.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startDaemon, repoRoot, type TestDaemon } from '../helpers/daemon.js';
import { uniq } from '../helpers/zmq.js';
import { taskProcesses, waitForProcessCount, workerPids } from '../helpers/tasks.js';
import { waitFor } from '../helpers/wait.js';

const forker = path.join(repoRoot, 'workers-examples/forking-worker.sh');
let d: TestDaemon | undefined;
after(async () => {
  await d?.stop();
  d?.cleanup();
});

// worker + in-group child + setsid child (+ the loop's `sleep 1`, now and then)
const PER_WORKER = 3;
const atLeast = (n: number) => (c: number) => c >= n;

async function daemonWith(T: string, extra: Record<string, unknown> = {}) {
  d = await startDaemon({ config: { tasks: { [T]: { cmd: forker, stall_timeout: 0, grace_period: 300, ...extra } } } });
  return d;
}

test('stop leaves no grandchild', async () => {
  const T = uniq('Forker');
  const dd = await daemonWith(T);
  await waitForProcessCount(T, atLeast(PER_WORKER));
  await dd.request('POST', `/tasks/${T}/stop`);
  assert.deepEqual(taskProcesses(T), []);
  await dd.stop();
  dd.cleanup();
  d = undefined;
});

test('scale-down leaves no grandchild of the stopped worker', async () => {
  const T = uniq('Forker');
  const dd = await daemonWith(T, { cardinality: 2 });
  await waitForProcessCount(T, atLeast(2 * PER_WORKER));
  await dd.request('POST', `/tasks/${T}/set/cardinality/1`);
  await waitForProcessCount(T, (c) => c >= PER_WORKER && c <= PER_WORKER + 1);
  await dd.stop();
  dd.cleanup();
  d = undefined;
});

test('a stall kill leaves no grandchild', async () => {
  const T = uniq('Forker');
  const dd = await daemonWith(T, { stall_timeout: 700 });
  const first = await waitForProcessCount(T, atLeast(PER_WORKER));
  // It sends no keep-alives: stalled after 700 ms, killed, replaced.
  await waitFor('the first worker and its children to be gone', () => !taskProcesses(T).some((p) => first.includes(p)));
  const j = await dd.api('GET', `/tasks/${T}`);
  assert.ok(j.counters.stalled >= 1);
  await dd.stop();
  dd.cleanup();
  d = undefined;
});

test('a worker that dies by itself takes its children along', async () => {
  const T = uniq('Forker');
  const dd = await daemonWith(T, { min_uptime: 100 });
  const all = await waitForProcessCount(T, atLeast(PER_WORKER));
  const [w] = await workerPids(dd, T);
  process.kill(w!, 'SIGKILL');
  await waitFor('the orphans to be cleaned up', () => !taskProcesses(T).some((p) => all.includes(p)));
  await dd.stop();
  dd.cleanup();
  d = undefined;
});

test('daemon shutdown leaves no grandchild', async () => {
  const T = uniq('Forker');
  const dd = await daemonWith(T, { cardinality: 2 });
  await waitForProcessCount(T, atLeast(2 * PER_WORKER));
  const r = await dd.stop('SIGINT');
  assert.equal(r.code, 0);
  assert.deepEqual(taskProcesses(T), []);
  dd.cleanup();
  d = undefined;
});
