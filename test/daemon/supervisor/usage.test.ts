// Usage per worker (its process tree) and per task (the sum), from samples about once a
// second: a worker whose child loops uses more CPU than an idle one; memory is above zero.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { uniq } from '../../helpers/uniq.js';
import { taskJson } from '../../helpers/tasks.js';
import { waitFor } from '../../helpers/wait.js';

let d: InProcessDaemon | undefined;
after(() => d?.cleanup());

test('usage of every worker and of its task, in JSON and text', async () => {
  const busy = uniq('Busy');
  const idle = uniq('Idle');
  // The loop runs in a child: a worker's usage is its whole tree's.
  d = await startInProcess({
    config: {
      tasks: {
        [busy]: { cmd: 'sh', args: ['-c', 'sh -c "while :; do :; done" & wait'], stall_timeout: 0 },
        [idle]: { cmd: 'sleep', args: ['1000'], cardinality: 2, stall_timeout: 0 },
      },
    },
  });
  const dm = d;
  const both = await waitFor('a sample of every worker, the looping one ahead', async () => {
    const b = await taskJson(dm, busy);
    const i = await taskJson(dm, idle);
    const ws = [...b.workers, ...i.workers];
    if (ws.length !== 3 || ws.some((w: any) => w.usage === null)) return undefined;
    return b.workers[0].usage.cpu_percent > Math.max(...i.workers.map((w: any) => w.usage.cpu_percent)) ? { b, i } : undefined;
  });
  for (const w of [...both.b.workers, ...both.i.workers]) {
    assert.ok(w.usage.rss_bytes > 0, `worker ${w.pid} uses memory`);
    assert.ok(w.usage.cpu_percent >= 0);
  }
  const sum = (ws: any[]) => ({
    cpu_percent: Math.round(ws.reduce((n, w) => n + w.usage.cpu_percent, 0) * 10) / 10,
    rss_bytes: ws.reduce((n, w) => n + w.usage.rss_bytes, 0),
  });
  assert.deepEqual(both.i.usage, sum(both.i.workers), "the task's usage is its workers' sum");
  assert.deepEqual(both.b.usage, sum(both.b.workers));
  assert.ok(both.b.usage.cpu_percent > both.i.usage.cpu_percent);

  const text = (await dm.request('GET', `/tasks/${busy}`)).text;
  assert.match(text, /^CPU:\t\d+\.\d %$/m);
  assert.match(text, /^Memory:\t\d+\.\d MiB$/m);
  const lines = (await dm.request('GET', `/tasks/${idle}/list`)).text.trim().split('\n');
  assert.equal(lines.length, 2);
  for (const l of lines) assert.match(l, /,\tCPU: \d+\.\d %,\tMemory: \d+\.\d MiB$/);

  // Stopped: no worker, no usage.
  await dm.request('POST', `/tasks/${busy}/stop`);
  const stopped = await taskJson(dm, busy);
  assert.equal(stopped.usage, null);
  assert.match((await dm.request('GET', `/tasks/${busy}`)).text, /^CPU:\t-$/m);
});
