// Rolling restart: workers are replaced one by one, an old one stopped only after its
// replacement sent a keep-alive; the task never drops below its cardinality.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon } from '../../helpers/daemon.js';
import { uniq } from '../../helpers/uniq.js';
import { waitForListed, waitForWorkers } from '../../helpers/tasks.js';
import { waitFor } from '../../helpers/wait.js';

test('POST /tasks/T/restart replaces every worker, never going below the cardinality', async () => {
  const T = uniq('Rolling');
  // Each worker says it is alive over HTTP 300 ms after it starts, then every 200 ms.
  const script = 'sleep 0.3; while :; do curl -s -o /dev/null -X POST "$BL_KEEPALIVE_URL"; sleep 0.2; done';
  const d = await startDaemon({ config: { tasks: { [T]: { cmd: 'sh', args: ['-c', script], cardinality: 3, stall_timeout: 5000 } } } });
  try {
    const old = await waitForWorkers(d, T, 3);
    const r = await d.request('POST', `/tasks/${T}/restart`);
    assert.equal(r.status, 202);
    assert.match(r.text, new RegExp(`Restarting 3 ${T} workers`));
    let minLive = 3;
    let lowest: unknown;
    await waitFor('every old worker replaced', async () => {
      const j = await d.api('GET', `/tasks/${T}`);
      if (j.active < minLive) lowest = j;
      minLive = Math.min(minLive, j.active);
      const p = (j.workers as { pid: number; state: string }[]).filter((w) => w.state === 'running').map((w) => w.pid);
      return p.length === 3 && p.every((x) => !old.includes(x));
    }, { timeout: 15000, interval: 20 });
    assert.equal(minLive, 3, `never fewer live workers than the cardinality; the task then: ${JSON.stringify(lowest)}`);
    // The last old worker may still be on its way out: it is counted when its exit is seen.
    const j = await waitForListed(d, T, 3);
    assert.equal(j.counters.stopped, 3);
    assert.equal(j.dead, 0);
  } finally {
    await d.stop();
    d.cleanup();
  }
});
