// Must show 2: POST /tasks/T/set/cardinality/N moves the real process count both ways.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { uniq } from '../../helpers/uniq.js';
import { waitForListed, waitForProcessCount, workerPids } from '../../helpers/tasks.js';

const T = uniq('Sleeper');
let d: TestDaemon;
after(async () => {
  await d?.stop();
  d?.cleanup();
});

test('cardinality moves the real process count up and down', async () => {
  d = await startDaemon({ config: { tasks: { [T]: { cmd: 'sleep', args: ['1000'], cardinality: 2, stall_timeout: 0 } } } });
  await waitForProcessCount(T, 2);

  const up = await d.request('POST', `/tasks/${T}/set/cardinality/5`);
  assert.equal(up.status, 200);
  assert.equal(up.text, 'Changed workers cardinality\n');
  const five = await waitForProcessCount(T, 5);
  assert.deepEqual([...five].sort(), [...(await workerPids(d, T))].sort(), 'the API lists exactly the real processes');

  await d.request('PUT', `/tasks/${T}/set/cardinality/1`);
  const one = await waitForProcessCount(T, 1);
  assert.ok(five.includes(one[0]!), 'scale-down keeps a worker that was running');

  await d.request('POST', `/tasks/${T}/set/cardinality/0`);
  await waitForProcessCount(T, 0);
  await waitForListed(d, T, 0);
  const status = await d.request('GET', `/tasks/${T}`);
  assert.match(status.text, /^Active Workers:\t0 \/ 0$/m);
  assert.match(status.text, /^Stopped on purpose:\t5$/m);
  assert.match(status.text, /^Dead Workers:\t0$/m, 'scale-down is not death');
});
