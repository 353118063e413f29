// Rolling restart: workers are replaced one by one, an old one stopped only after its
// replacement sent a keep-alive; the task never drops below its cardinality.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { liveWorkers } from '../../../daemon/supervisor/decide.js';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { uniq } from '../../helpers/uniq.js';
import { waitForListed, waitForWorkers, workerPids } from '../../helpers/tasks.js';
import { waitFor } from '../../helpers/wait.js';

let d: InProcessDaemon | undefined;
after(() => d?.cleanup());

test('POST /tasks/T/restart replaces every worker, never going below the cardinality', async () => {
  const T = uniq('Rolling');
  // Each worker says it is alive over HTTP 300 ms after it starts, then every 200 ms.
  const script = 'sleep 0.3; while :; do curl -s -o /dev/null -X POST "$BL_KEEPALIVE_URL"; sleep 0.2; done';
  const dm = (d = await startInProcess({ config: { tasks: { [T]: { cmd: 'sh', args: ['-c', script], cardinality: 3, stall_timeout: 5000 } } } }));
  const old = await waitForWorkers(dm, T, 3);
  // The live count after every event of the restart, read as the event goes out.
  const m = dm.services.supervisor.get(T);
  const seen: { topic: string; live: number }[] = [];
  dm.services.events.subscribe((e) => {
    if (e.data.task === T) seen.push({ topic: e.topic, live: liveWorkers(m.view).length });
  });
  const r = await dm.request('POST', `/tasks/${T}/restart`);
  assert.equal(r.status, 202);
  assert.match(r.text, new RegExp(`Restarting 3 ${T} workers`));
  await waitFor('task.restarted', () => dm.services.events.since(0).some((e) => e.topic === 'task.restarted' && e.data.task === T), { timeout: 15000 });
  const now = await workerPids(dm, T);
  assert.equal(now.length, 3);
  assert.ok(now.every((p) => !old.includes(p)), 'every old worker replaced');
  // The last old worker may still be on its way out: it is counted when its exit is seen.
  const j = await waitForListed(dm, T, 3);
  assert.equal(j.counters.stopped, 3);
  assert.equal(j.dead, 0);
  const count = (topic: string) => seen.filter((x) => x.topic === topic).length;
  assert.deepEqual(
    ['task.restarting', 'worker.started', 'worker.exited', 'task.restarted'].map(count),
    [1, 3, 3, 1],
    `one new worker for each old one: ${JSON.stringify(seen)}`,
  );
  assert.equal(Math.min(...seen.map((x) => x.live)), 3, `never fewer live workers than the cardinality: ${JSON.stringify(seen)}`);
});
