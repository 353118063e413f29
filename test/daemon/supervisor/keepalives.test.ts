// Keep-alives with Pid/TaskName and with pid/taskname both count (also from a descendant of
// a worker, and over HTTP); malformed ones are counted and dropped. Over real ZeroMQ sockets:
// the test's PUB to the daemon's SUB, the daemon's PUB to the test's SUB.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { KeepaliveSender, EventWatcher } from '../../helpers/zmq.js';
import { uniq } from '../../helpers/uniq.js';
import { taskJson, waitForWorkers, workerPids } from '../../helpers/tasks.js';
import { waitFor } from '../../helpers/wait.js';
import { descendants } from '../../helpers/proc.js';

const T = uniq('Kept');
// A worker that says goodbye and exits at once; scaled up by the last test only (its HTTP
// keep-alives would move the counters the other tests read).
const S = uniq('Leaver');
let d: InProcessDaemon;
let sender: KeepaliveSender;
let watcher: EventWatcher;

before(async () => {
  d = await startInProcess({
    config: {
      tasks: {
        // The worker is a shell with a child, so a descendant's pid can speak for it.
        [T]: { cmd: 'sh', args: ['-c', 'sleep 1000 & wait'], cardinality: 1, stall_timeout: 60000 },
        [S]: { cmd: 'sh', args: ['-c', 'curl -s -o /dev/null -X POST -H "Content-Type: application/json" -d \'{"status":"stopping"}\' "$BL_KEEPALIVE_URL"; exit 0'], cardinality: 0, stall_timeout: 0 },
      },
    },
  });
  sender = new KeepaliveSender(d.daemon.keepaliveEndpoint);
  watcher = new EventWatcher(d.daemon.eventsEndpoint);
});
after(async () => {
  sender?.close();
  await watcher?.close();
  await d?.cleanup();
});

async function health(): Promise<any> {
  return (await d.api('GET', '/healthz')).keepalives;
}

/** Sends until the daemon's counter moves (PUB/SUB's slow joiner loses the first ones). */
async function sendUntil(frames: string[], moved: (k: any) => boolean): Promise<void> {
  await waitFor(`the daemon to count ${frames.join(' | ')}`, async () => {
    await sender.send(frames);
    return moved(await health());
  }, { interval: 100 });
}

/**
 * Sends once and waits until it is counted. Only once a message got through (sendUntil): from
 * then on nothing is lost and messages arrive in order, so everything sent before is counted too.
 */
async function sendCounted(frames: string[], counter: 'accepted' | 'malformed' | 'unknown_task' | 'unknown_pid'): Promise<any> {
  const before = (await health())[counter];
  await sender.send(frames);
  return waitFor(`the daemon to count ${frames.join(' | ')} as ${counter}`, async () => {
    const k = await health();
    return k[counter] === before + 1 ? k : undefined;
  });
}

test('seed Go keys (Pid, TaskName) count', async () => {
  const [pid] = await waitForWorkers(d, T, 1);
  await sendUntil([T, JSON.stringify({ Pid: pid, TaskName: T })], (k) => k.accepted >= 1);
  const w = (await d.api('GET', `/tasks/${T}/list`)).workers[0];
  assert.equal(w.pid, pid);
  assert.ok(w.last_alive_at);
  assert.match((await d.request('GET', `/tasks/${T}/list`)).text, new RegExp(`^Task: ${T},\\tPid: ${pid},\\tStarted: \\S+Z,\\tLast alive at: \\S+Z \\(\\d+ seconds? ago\\)`, 'm'));
});

test('lower-case keys (pid, taskname) count, and a descendant speaks for its worker', async () => {
  const [pid] = await workerPids(d, T);
  const before = (await health()).accepted;
  await sendUntil([T, JSON.stringify({ pid, taskname: T, info: 'busy with 3 jobs' })], (k) => k.accepted > before);
  const child = await waitFor('the worker child', () => descendants(pid!)[0]);
  const b2 = (await health()).accepted;
  await sendUntil([T, JSON.stringify({ pid: child, taskname: T })], (k) => k.accepted > b2);
  const w = (await d.api('GET', `/tasks/${T}/list`)).workers[0];
  assert.equal(w.info, 'busy with 3 jobs');
  await waitFor('the keep-alive republished on the PUB', () => watcher.got.some((e) => e.topic === T && JSON.parse(e.body).taskname === T));
});

test('HTTP keep-alives count; unknown workers are 404', async () => {
  const [pid] = await workerPids(d, T);
  const before = (await taskJson(d, T)).last_alive_at;
  const r = await d.request('POST', `/tasks/${T}/workers/${pid}/alive`, { info: 'via http' });
  assert.equal(r.status, 200);
  const after = await taskJson(d, T);
  assert.ok(after.last_alive_at >= before);
  assert.equal(after.workers[0].info, 'via http');
  assert.equal((await d.request('POST', `/tasks/${T}/workers/${process.pid}/alive`)).status, 404);
  assert.equal((await d.request('POST', `/tasks/nope/workers/${pid}/alive`)).status, 404);
  assert.equal((await d.request('POST', `/tasks/${T}/workers/abc/alive`)).status, 400);
  assert.equal((await d.request('POST', `/tasks/${T}/workers/${pid}/alive`, '{bad', { 'Content-Type': 'application/json' })).status, 400);
});

test('BL_KEEPALIVE_URL works as given; its worker id decides over the pid in the path', async () => {
  const [pid] = await workerPids(d, T);
  const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  const url = env.find((e) => e.startsWith('BL_KEEPALIVE_URL='))!.slice('BL_KEEPALIVE_URL='.length);
  const m = new RegExp(`^${d.url}/tasks/${T}/workers/(\\d+)/alive\\?id=([0-9a-f]{12})&key=[0-9a-f]{32}$`).exec(url);
  assert.ok(m, `BL_KEEPALIVE_URL ${url}`);
  const id = m[2]!;
  assert.ok(env.includes(`BL_PROCESS_ID=${T}:${id}`), 'the id is the one of BL_PROCESS_ID');
  const path = url.slice(d.url.length);
  assert.equal((await d.request('POST', path, { info: 'by url' })).status, 200);
  assert.equal((await taskJson(d, T)).workers[0].info, 'by url');
  // The pid in the path is a guess made before the spawn; with the id it is only a label.
  assert.equal((await d.request('POST', `/tasks/${T}/workers/${process.pid}/alive?id=${id}`, { info: 'by id' })).status, 200);
  assert.equal((await taskJson(d, T)).workers[0].info, 'by id');
  const unknown = await d.request('POST', `/tasks/${T}/workers/${pid}/alive?id=000000000000`);
  assert.equal(unknown.status, 404);
  assert.match(unknown.text, /no worker with id 000000000000/);
  const bad = await d.request('POST', `/tasks/${T}/workers/${pid}/alive?id=xyz`);
  assert.equal(bad.status, 400);
  assert.match(bad.text, /expected `id` to be a worker id .* found "xyz"/);
});

test('malformed keep-alives and strangers are counted and dropped; the daemon stays up', async () => {
  const base = await health();
  await sendUntil(['garbage'], (k) => k.malformed > base.malformed);
  // A stranger sent once and counted: every garbage resent before it is counted by then.
  const settled = await sendCounted(['NoSuchTask', JSON.stringify({ pid: 4242, taskname: 'NoSuchTask' })], 'unknown_task');
  assert.equal(settled.last_drop_reason, 'unknown task "NoSuchTask"');
  await sender.send([T, '{"pid": "x"}']);
  await sender.send([T, '[1,2,3]']);
  await sender.send(['a', 'b', 'c', 'd', 'e']);
  await sender.send([Buffer.alloc(0).toString(), '']);
  const k = await sendCounted([T, JSON.stringify({ pid: 999999, taskname: T })], 'unknown_pid');
  assert.equal(k.malformed, settled.malformed + 4, JSON.stringify(k));
  assert.equal(k.accepted, settled.accepted, 'none of them counted as a keep-alive');
  assert.equal(k.last_drop_reason, `pid is not a worker of "${T}"`);
  // curl /healthz shows the same counters, under its first line `ok`.
  const text = (await d.request('GET', '/healthz')).text;
  assert.match(text, /^ok\n/);
  // The workers' keep-alives move the first two meanwhile; the drops have stopped.
  assert.match(text, /^Keep-alives received:\t\d+$/m);
  assert.match(text, /^Keep-alives accepted:\t\d+$/m);
  assert.match(text, new RegExp(`^Keep-alives malformed:\t${k.malformed}$`, 'm'));
  assert.match(text, new RegExp(`^Keep-alives for unknown tasks:\t${k.unknown_task}$`, 'm'));
  assert.match(text, new RegExp(`^Keep-alives from unknown pids:\t${k.unknown_pid}$`, 'm'));
  assert.match(text, new RegExp(`^Last keep-alive dropped:\tpid is not a worker of "${T}"$`, 'm'));
});

test('a keep-alive with status "stopping" marks a worker that exits on purpose', async () => {
  // A worker process that says goodbye and exits at once: not a quick death, no backoff.
  await d.api('POST', `/tasks/${S}/set/cardinality/1`);
  await waitFor('three planned exits', async () => (await taskJson(d, S)).counters.exited_ok >= 3);
  const j = await taskJson(d, S);
  assert.equal(j.state, 'running', 'neither backoff nor flapping');
  assert.equal(j.next_start_at, null, 'no start held back');
  assert.equal(j.counters.exited_error, 0);
});
