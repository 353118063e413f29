// A worker ignoring SIGTERM dies by SIGKILL, and no sooner than grace_period after the stop
// began; the stop answers once it is gone, and worker.killed tells how long it took.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { repoRoot } from '../../helpers/daemon.js';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { uniq } from '../../helpers/uniq.js';
import { waitForWorkers } from '../../helpers/tasks.js';
import { alive } from '../../helpers/proc.js';
import { waitFor } from '../../helpers/wait.js';

let d: InProcessDaemon | undefined;
after(() => d?.cleanup());

test('the stubborn example ignores SIGTERM and is SIGKILLed after grace_period, not before', async () => {
  const T = uniq('Stubborn');
  const grace = 1000;
  const dm = (d = await startInProcess({
    config: { tasks: { [T]: { cmd: path.join(repoRoot, 'workers-examples/stubborn-worker.sh'), stall_timeout: 0, grace_period: grace } } },
  }));
  const [pid] = await waitForWorkers(dm, T, 1);
  await waitFor('the worker to install its trap', () => dm.request('GET', `/tasks/${T}/log`).then((r) => /ignoring SIGTERM/.test(r.text)));
  const r = await dm.request('POST', `/tasks/${T}/stop`);
  assert.equal(r.text, `Stopped ${T} workers\n`);
  assert.ok(!alive(pid!), 'dead once the stop answered');

  const events = dm.services.events.since(0).filter((e) => e.data.task === T);
  const find = (topic: string) => events.find((e) => e.topic === topic && (topic === 'task.stopped' || e.data.pid === pid));
  // task.stopped goes out as the stop is decided, before the SIGTERM is sent.
  const stopped = find('task.stopped')!;
  const exited = find('worker.exited')!;
  const killed = find('worker.killed')!;
  assert.deepEqual(
    events.map((e) => e.topic).filter((t) => t !== 'worker.started' && t !== 'task.started'),
    ['task.stopped', 'worker.exited', 'worker.killed'],
  );
  assert.equal(exited.data.signal, 'SIGKILL', 'SIGTERM was ignored; SIGKILL ended it');
  assert.equal(exited.data.reason, 'stop');
  assert.ok(exited.time - stopped.time >= grace, `gone ${exited.time - stopped.time} ms after the stop began, not before the ${grace} ms grace`);
  assert.ok((killed.data.after_ms as number) >= grace, `worker.killed after_ms ${killed.data.after_ms} ≥ ${grace}`);
});
