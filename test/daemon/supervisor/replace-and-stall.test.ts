// kill -9 of a worker → replaced and counted as dead; SIGSTOP of a worker → found stalled no
// sooner than stall_timeout after its last keep-alive, killed, replaced, counted.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { EventWatcher } from '../../helpers/zmq.js';
import { uniq } from '../../helpers/uniq.js';
import { taskJson, waitForProcessCount, waitForReplacement, waitForWorkers } from '../../helpers/tasks.js';
import { waitFor } from '../../helpers/wait.js';
import { alive } from '../../helpers/proc.js';

const daemons: InProcessDaemon[] = [];
after(async () => {
  for (const d of daemons) await d.cleanup();
});

async function daemon(tasks: Record<string, unknown>): Promise<InProcessDaemon> {
  const d = await startInProcess({ config: { tasks } });
  daemons.push(d);
  return d;
}

test('a worker killed with SIGKILL is replaced and counted as dead', async () => {
  const T = uniq('Crashy');
  // min_uptime 0: no death is a quick one, so the replacement is not held back by a backoff.
  const d = await daemon({ [T]: { cmd: 'sleep', args: ['1000'], cardinality: 2, stall_timeout: 0, min_uptime: 0 } });
  const [victim, other] = await waitForProcessCount(T, 2);
  process.kill(victim!, 'SIGKILL');
  const now = await waitForReplacement(d, T, victim!, 2);
  assert.ok(now.includes(other!), 'the other worker is untouched');
  const j = await taskJson(d, T);
  assert.equal(j.counters.exited_error, 1);
  assert.equal(j.dead, 1);
  assert.equal(j.counters.restarts, 1);
  assert.equal(j.state, 'running');
  const exited = d.services.events.since(0).find((e) => e.topic === 'worker.exited' && e.data.pid === victim)!;
  assert.deepEqual([exited.data.reason, exited.data.code, exited.data.signal], ['crashed', null, 'SIGKILL']);
  await d.stop();
});

test('a SIGSTOPped worker is found stalled, killed, replaced and counted', async () => {
  const T = uniq('Staller');
  const stall = 1000;
  // A worker that sends keep-alives over HTTP every 100 ms; frozen by SIGSTOP it sends none.
  const script = 'while :; do curl -s -o /dev/null -X POST "$BL_KEEPALIVE_URL"; sleep 0.1; done';
  const d = await daemon({ [T]: { cmd: 'sh', args: ['-c', script], cardinality: 1, stall_timeout: stall, grace_period: 200 } });
  const watcher = new EventWatcher(d.daemon.eventsEndpoint);
  try {
    const [worker] = await waitForWorkers(d, T, 1);
    await waitFor('a keep-alive', async () => (await taskJson(d, T)).last_alive_at);
    process.kill(worker!, 'SIGSTOP');
    await waitForReplacement(d, T, worker!, 1);
    await waitFor('the frozen worker to be gone', () => !alive(worker!));
    const j = await taskJson(d, T);
    assert.equal(j.counters.stalled, 1);
    assert.equal(j.dead, 1);
    const text = (await d.request('GET', `/tasks/${T}`)).text;
    assert.match(text, /^Stalled Workers:\t1$/m);
    const stalled = d.services.events.since(0).find((e) => e.topic === 'worker.stalled' && e.data.pid === worker)!;
    const silent = stalled.time - (stalled.data.last_alive_at as number);
    assert.ok(silent >= stall, `stalled after ${silent} ms without a keep-alive, not before the ${stall} ms stall_timeout`);
    await waitFor('a worker.stalled event on the PUB', () => watcher.got.some((e) => e.topic === 'worker.stalled' && JSON.parse(e.body).pid === worker));
  } finally {
    await watcher.close();
  }
});
