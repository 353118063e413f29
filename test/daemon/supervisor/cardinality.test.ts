// POST /tasks/T/set/cardinality/N moves the real process count both ways: scale-up starts
// workers, scale-down stops the newest and counts them as stopped on purpose, not dead.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { uniq } from '../../helpers/uniq.js';
import { waitForListed, waitForProcessCount, workerPids } from '../../helpers/tasks.js';

const T = uniq('Sleeper');
let d: InProcessDaemon | undefined;
after(() => d?.cleanup());

test('cardinality moves the real process count up and down', async () => {
  d = await startInProcess({ config: { tasks: { [T]: { cmd: 'sleep', args: ['1000'], cardinality: 2, stall_timeout: 0 } } } });
  const two = await waitForProcessCount(T, 2);

  const up = await d.request('POST', `/tasks/${T}/set/cardinality/5`);
  assert.equal(up.status, 200);
  assert.equal(up.text, 'Changed workers cardinality\n');
  const five = await waitForProcessCount(T, 5);
  assert.deepEqual([...five].sort(), [...(await workerPids(d, T))].sort(), 'the API lists exactly the real processes');
  assert.ok(two.every((p) => five.includes(p)), 'scale-up keeps the workers that ran');

  await d.request('PUT', `/tasks/${T}/set/cardinality/1`);
  const one = await waitForProcessCount(T, 1);
  assert.ok(two.includes(one[0]!), 'scale-down keeps one of the oldest workers');

  await d.request('POST', `/tasks/${T}/set/cardinality/0`);
  await waitForProcessCount(T, 0);
  await waitForListed(d, T, 0);
  const status = await d.request('GET', `/tasks/${T}`);
  assert.match(status.text, /^Active Workers:\t0 \/ 0$/m);
  assert.match(status.text, /^Stopped on purpose:\t5$/m);
  assert.match(status.text, /^Dead Workers:\t0$/m, 'scale-down is not death');
  const scaled = d.services.events.since(0).filter((e) => e.topic === 'task.scaled' && e.data.task === T).map((e) => e.data.cardinality);
  assert.deepEqual(scaled, [5, 1, 0]);
});
