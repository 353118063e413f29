// GET /events against a real daemon (issue 6, "must show" 3): an event for each kind of
// change (worker, task, job, broker), the PUB's payload, and a resume from Last-Event-ID.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { waitForProcessCount, workerPids } from '../../helpers/tasks.js';
import { openSse, type SseStream } from '../../helpers/sse-reader.js';

const TASK = 'SseWorkers';
let d: TestDaemon;
const streams: SseStream[] = [];
const open = async (path: string, headers?: Record<string, string>) => {
  const s = await openSse(d.url + path, headers);
  streams.push(s);
  return s;
};

before(async () => {
  d = await startDaemon({ config: { tasks: { [TASK]: { cmd: 'sleep', args: ['1000'], cardinality: 1, stall_timeout: 0 } }, broker: { concurrency: 2 } } });
  await waitForProcessCount(TASK, 1);
});

after(async () => {
  for (const s of streams) s.close();
  await d?.stop();
  d?.cleanup();
});

test('every kind of change arrives as an event with the bus id, topic and payload', async () => {
  const s = await open('/events');
  assert.equal(s.status, 200);
  assert.match(s.headers.get('content-type') ?? '', /^text\/event-stream/);

  await d.api('POST', `/tasks/${TASK}/set/cardinality/2`);
  const scaled = await s.next('task.scaled', (e) => e.event === 'task.scaled');
  assert.deepEqual({ task: scaled.data.task, cardinality: scaled.data.cardinality }, { task: TASK, cardinality: 2 });
  const started = await s.next('worker.started', (e) => e.event === 'worker.started' && e.data.task === TASK);
  assert.equal(typeof started.data.pid, 'number');

  await waitForProcessCount(TASK, 2);
  const victim = (await workerPids(d, TASK))[0]!;
  process.kill(victim, 'SIGKILL');
  const exited = await s.next('worker.exited', (e) => e.event === 'worker.exited' && e.data.pid === victim);
  assert.equal(exited.data.signal, 'SIGKILL');

  const job = await d.api('POST', '/jobs', { command: 'echo from-the-event-test' });
  for (const topic of ['job.submitted', 'job.started', 'job.finished']) await s.next(topic, (e) => e.event === topic && e.data.id === job.id);
  assert.equal(s.events.find((e) => e.event === 'job.finished' && e.data.id === job.id)!.data.state, 'succeeded');

  await d.api('POST', '/broker/concurrency/increase');
  const conc = await s.next('broker.concurrency', (e) => e.event === 'broker.concurrency');
  assert.equal(conc.data.concurrency, 3);

  // Ids: the SSE id is the bus id, increasing, repeated in the payload with the topic and time.
  const ids = s.events.map((e) => Number(e.id));
  assert.deepEqual([...ids].sort((a, b) => a - b), ids);
  for (const e of s.events) {
    assert.equal(e.data.event_id, Number(e.id));
    assert.equal(e.data.topic, e.event);
    assert.ok(!Number.isNaN(Date.parse(e.data.time)), `time of ${e.event}`);
  }
});

test('a client resuming with Last-Event-ID (header or query) gets exactly what came after it', async () => {
  const live = await open('/events');
  await d.api('POST', `/tasks/${TASK}/set/cardinality/3`);
  await d.api('POST', '/jobs', { command: 'echo resume' });
  const last = await live.next('job.finished', (e) => e.event === 'job.finished');
  await waitForProcessCount(TASK, 3);
  const seen = live.events.slice(0, live.events.indexOf(last) + 1);
  const from = Number(seen[0]!.id);
  const expected = seen.slice(1).map((e) => `${e.id} ${e.event}`);

  for (const [path, headers] of [['/events', { 'Last-Event-ID': String(from) }], [`/events?last_event_id=${from}`, {}]] as const) {
    const again = await open(path, headers);
    await again.next('the replay up to the last event seen', (e) => e.id === last.id);
    const replay = again.events.slice(0, again.events.findIndex((e) => e.id === last.id) + 1);
    assert.deepEqual(replay.map((e) => `${e.id} ${e.event}`), expected, `replay for ${path}`);
  }
});

test('an id the daemon never gave (it restarted) gets a resync event; a bad id is a 400', async () => {
  const s = await open('/events', { 'Last-Event-ID': '99999999' });
  const resync = await s.next('resync', (e) => e.event === 'resync');
  assert.match(resync.data.reason, /restarted/);
  const bad = await d.request('GET', '/events?last_event_id=abc');
  assert.equal(bad.status, 400);
  assert.match(bad.text, /Last-Event-ID/);
});

test('?topics= keeps only the topics with those prefixes', async () => {
  const s = await open('/events?topics=job.');
  await d.api('POST', `/tasks/${TASK}/set/cardinality/1`);
  const job = await d.api('POST', '/jobs', { command: 'echo filtered' });
  await s.next('job.finished', (e) => e.event === 'job.finished' && e.data.id === job.id);
  assert.ok(s.events.every((e) => e.event.startsWith('job.')), s.events.map((e) => e.event).join(' '));
});
