// Anyone who reaches the keep-alive port can send anything. A frame of 600 MB (over
// keepalives.max_message_size, and over V8's longest string) used to end the listener's read
// loop for good: from then on every worker looked stalled and was replaced. Against the real
// daemon process, with a real worker sending keep-alives over ZeroMQ: the huge frame is refused
// at the socket (the sender's connection is closed, the daemon's peak RSS does not grow by it),
// garbage is counted and dropped, and the worker's keep-alives still arrive: it is never stalled
// nor replaced. The drops reach the daemon's log as a few lines, not one a frame.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Publisher } from 'zeromq';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { uniq } from '../../helpers/uniq.js';
import { taskJson, waitForWorkers } from '../../helpers/tasks.js';
import { waitFor } from '../../helpers/wait.js';

const T = uniq('Beating');
// A worker that sends a keep-alive every 100 ms over ZeroMQ, as a seed Go worker does.
const worker = `
const { Publisher } = await import(${JSON.stringify(import.meta.resolve('zeromq'))});
const pub = new Publisher();
pub.connect(process.env.BL_KEEPALIVE_ENDPOINT);
for (;;) {
  await pub.send([process.env.BL_TASK, JSON.stringify({ Pid: process.pid, TaskName: process.env.BL_TASK })]);
  await new Promise((r) => setTimeout(r, 100));
}`;

let d: TestDaemon | undefined;
after(async () => {
  await d?.stop();
  d?.cleanup();
});

/** Peak resident set of a process (VmHWM), in bytes. */
function peakRss(pid: number): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]!;
  return Number(kb) * 1024;
}

test('a 600 MB frame and garbage neither stop the keep-alive listener nor grow the daemon; the worker is never stalled', async () => {
  d = await startDaemon({ config: { tasks: { [T]: { cmd: process.execPath, args: ['--input-type=module', '-e', worker], cardinality: 1, stall_timeout: 5000 } } } });
  const [pid] = await waitForWorkers(d, T, 1);
  const accepted = async () => (await d!.api('GET', '/healthz')).keepalives.accepted as number;
  await waitFor('the worker\'s keep-alives to arrive', async () => (await accepted()) >= 3);

  const hostile = new Publisher();
  const events = hostile.events;
  const disconnects: string[] = [];
  const watching = (async () => {
    for await (const e of events) if (e.type === 'disconnect') disconnects.push(e.address);
  })();
  try {
    hostile.connect(d.ready.keepalive);
    // Garbage until the first is counted: from then on the connection is up and nothing sent
    // on it is lost to PUB/SUB's slow joiner.
    const malformed = async () => (await d!.api('GET', '/healthz')).keepalives.malformed as number;
    await waitFor('garbage to be counted', async () => {
      await hostile.send(['garbage', '{not json']);
      return (await malformed()) > 0;
    }, { interval: 100 });
    const peakBefore = peakRss(d.pid);
    const huge = Buffer.alloc(600 * 1024 * 1024, 0x7b);
    await hostile.send([T, huge]);
    await waitFor('the daemon to close the connection that sent 600 MB', () => disconnects.length > 0, { timeout: 60000 });
    // The daemon's peak memory never held the frame (a sliver of it at most was read).
    assert.ok(peakRss(d.pid) - peakBefore < 64 * 1024 * 1024, `peak RSS grew from ${peakBefore} to ${peakRss(d.pid)}`);
  } finally {
    hostile.close();
    await watching;
  }

  // More garbage on a new connection, a burst of it: each counted and dropped.
  const second = new Publisher();
  try {
    second.connect(d.ready.keepalive);
    const before = (await d.api('GET', '/healthz')).keepalives.malformed as number;
    await waitFor('a second burst of garbage to be counted', async () => {
      for (let i = 0; i < 50; i++) await second.send(['x', 'y', 'z', 'w', String(i)]);
      return (await d!.api('GET', '/healthz')).keepalives.malformed >= before + 50;
    }, { interval: 200 });
  } finally {
    second.close();
  }

  // The worker's keep-alives still arrive, well past its stall_timeout's worth of them.
  const mark = await accepted();
  await waitFor('the worker\'s keep-alives to go on arriving', async () => (await accepted()) >= mark + 60, { timeout: 60000 });
  const t = await taskJson(d, T);
  assert.equal(t.counters.stalled, 0, 'never stalled');
  assert.deepEqual(t.workers.map((w: { pid: number }) => w.pid), [pid], 'never replaced');
  const health = await d.request('GET', '/healthz');
  assert.equal(health.status, 200);
  assert.match(health.text, /^ok\n/);

  // Drops are logged a few lines at a time, and every one is told by the shutdown.
  const malformed = (await d.api('GET', '/healthz')).keepalives.malformed as number;
  await d.stop();
  const log = readFileSync(path.join(d.dir, 'state', 'bl-daemon.log'), 'utf8');
  const singles = log.match(/keep-alive dropped: /g)?.length ?? 0;
  const summed = [...log.matchAll(/(\d+) more keep-alives? dropped in the last \d+ s/g)].reduce((n, m) => n + Number(m[1]), 0);
  assert.ok(singles >= 1, log);
  assert.ok(singles + [...log.matchAll(/more keep-alives? dropped/g)].length < 10, `a few lines for ${malformed} drops:\n${log}`);
  assert.equal(singles + summed, malformed, 'every drop is told, once');
});
