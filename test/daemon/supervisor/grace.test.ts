// Must show 4: a worker ignoring SIGTERM dies by SIGKILL after grace_period, not before.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startDaemon, repoRoot, type TestDaemon } from '../../helpers/daemon.js';
import { EventWatcher } from '../../helpers/zmq.js';
import { uniq } from '../../helpers/uniq.js';
import { waitForWorkers } from '../../helpers/tasks.js';
import { alive } from '../../helpers/proc.js';
import { sleep, waitFor } from '../../helpers/wait.js';

let d: TestDaemon;
after(async () => {
  await d?.stop();
  d?.cleanup();
});

test('the stubborn example ignores SIGTERM and is SIGKILLed after grace_period, not before', async () => {
  const T = uniq('Stubborn');
  const grace = 1500;
  d = await startDaemon({
    config: { tasks: { [T]: { cmd: path.join(repoRoot, 'workers-examples/stubborn-worker.sh'), stall_timeout: 0, grace_period: grace } } },
  });
  const watcher = new EventWatcher(d.ready.events);
  const [pid] = await waitForWorkers(d, T, 1);
  await waitFor('the worker to install its trap', () => d.request('GET', `/tasks/${T}/log`).then((r) => /ignoring SIGTERM/.test(r.text)));
  const t0 = Date.now();
  const stopping = d.request('POST', `/tasks/${T}/stop`);
  await sleep(grace / 2);
  assert.ok(alive(pid!), 'still alive half-way through the grace period: SIGTERM was ignored and no SIGKILL came early');
  const r = await stopping;
  const took = Date.now() - t0;
  assert.equal(r.text, `Stopped ${T} workers\n`);
  assert.ok(!alive(pid!), 'dead once the stop answered');
  assert.ok(took >= grace, `the stop took ${took} ms, at least the grace period`);
  await waitFor('a worker.killed event', () => {
    const e = watcher.got.find((x) => x.topic === 'worker.killed');
    return e && JSON.parse(e.body).after_ms >= grace;
  });
  await watcher.close();
});
