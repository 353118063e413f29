// A worker's grandchildren do not survive stop, scale-down, stall kill, the worker's own
// death or daemon shutdown. The forking example starts one child in its group and one that
// leaves it with setsid; every process carries BL_TASK, so the test finds them wherever they went.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { repoRoot } from '../../helpers/daemon.js';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { uniq } from '../../helpers/uniq.js';
import { taskProcesses, waitForProcessCount, waitForWorkers } from '../../helpers/tasks.js';
import { waitFor } from '../../helpers/wait.js';

const forker = path.join(repoRoot, 'workers-examples/forking-worker.sh');

// One daemon; each test has a task of its own, at cardinality 0 until the test scales it up.
const T = { stop: uniq('Forker'), scale: uniq('Forker'), stall: uniq('Forker'), dies: uniq('Forker'), shutdown: uniq('Forker') };
let d: InProcessDaemon;
before(async () => {
  const task = (extra: Record<string, unknown> = {}) => ({ cmd: forker, stall_timeout: 0, grace_period: 300, ...extra, cardinality: 0 });
  d = await startInProcess({
    config: { tasks: { [T.stop]: task(), [T.scale]: task(), [T.stall]: task({ stall_timeout: 700 }), [T.dies]: task({ min_uptime: 100 }), [T.shutdown]: task() } },
  });
});
after(() => d?.cleanup());

// worker + in-group child + setsid child (+ the loop's `sleep 1`, now and then)
const PER_WORKER = 3;
const atLeast = (n: number) => (c: number) => c >= n;

function scale(task: string, n: number): Promise<unknown> {
  return d.api('POST', `/tasks/${task}/set/cardinality/${n}`);
}

test('stop leaves no grandchild', async () => {
  await scale(T.stop, 1);
  await waitForProcessCount(T.stop, atLeast(PER_WORKER));
  await d.request('POST', `/tasks/${T.stop}/stop`);
  assert.deepEqual(taskProcesses(T.stop), []);
});

test('scale-down leaves no grandchild of the stopped worker', async () => {
  await scale(T.scale, 2);
  await waitForProcessCount(T.scale, atLeast(2 * PER_WORKER));
  await scale(T.scale, 1);
  await waitForProcessCount(T.scale, (c) => c >= PER_WORKER && c <= PER_WORKER + 1);
  await scale(T.scale, 0);
});

test('a stall kill leaves no grandchild', async () => {
  await scale(T.stall, 1);
  const [w] = await waitForWorkers(d, T.stall, 1);
  const first = await waitForProcessCount(T.stall, atLeast(PER_WORKER));
  // It sends no keep-alives: stalled after 700 ms, killed, replaced.
  await waitFor('the worker to be found stalled', () =>
    d.services.events.since(0).some((e) => e.topic === 'worker.stalled' && e.data.task === T.stall && e.data.pid === w),
  );
  await waitFor('the first worker and its children to be gone', () => !taskProcesses(T.stall).some((p) => first.includes(p)));
  await scale(T.stall, 0);
});

test('a worker that dies by itself takes its children along', async () => {
  await scale(T.dies, 1);
  const [w] = await waitForWorkers(d, T.dies, 1);
  const all = await waitForProcessCount(T.dies, atLeast(PER_WORKER));
  process.kill(w!, 'SIGKILL');
  await waitFor('the orphans to be cleaned up', () => !taskProcesses(T.dies).some((p) => all.includes(p)));
  await scale(T.dies, 0);
});

test('daemon shutdown leaves no grandchild', async () => {
  await scale(T.shutdown, 2);
  await waitForProcessCount(T.shutdown, atLeast(2 * PER_WORKER));
  await d.stop();
  assert.deepEqual(taskProcesses(T.shutdown), []);
});
