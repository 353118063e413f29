// The daemon's events as clients see them: GET /events (SSE) with an event for each kind of
// change (worker, task, job, broker), ids that follow the bus, a resume from Last-Event-ID and
// topic filters; the ZeroMQ PUB carrying the same events under the same ids.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { waitForProcessCount, workerPids } from '../../helpers/tasks.js';
import { openSse, type SseStream } from '../../helpers/sse-reader.js';
import { waitFor } from '../../helpers/wait.js';
import { EventWatcher } from '../../helpers/zmq.js';

const TASK = 'SseWorkers';
let d: InProcessDaemon;
const streams: SseStream[] = [];
const open = async (path: string, headers?: Record<string, string>) => {
  const s = await openSse(d.url + path, headers);
  streams.push(s);
  return s;
};

before(async () => {
  d = await startInProcess({ config: { tasks: { [TASK]: { cmd: 'sleep', args: ['1000'], cardinality: 1, stall_timeout: 0 } }, broker: { concurrency: 2 } } });
  await waitForProcessCount(TASK, 1);
});

after(async () => {
  for (const s of streams) s.close();
  await d?.cleanup();
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

  // Ids: the SSE id is the bus id, one after the other (nothing left out), repeated in the
  // payload with the topic and time.
  const ids = s.events.map((e) => Number(e.id));
  assert.deepEqual(ids, ids.map((_, i) => ids[0]! + i));
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

test('the ZeroMQ PUB carries the same events as [topic, json], under the same ids', async () => {
  const s = await open('/events?topics=job.');
  const watcher = new EventWatcher(d.daemon.eventsEndpoint);
  try {
    // A subscriber misses what is published before its subscription reaches the PUB: send a
    // harmless event (the limit set to what it is) until one arrives.
    const limit = (await d.api('GET', '/broker')).concurrency as number;
    await waitFor('the subscription to be in place', async () => {
      await d.api('PUT', `/broker/concurrency/${limit}`);
      return watcher.got.some((m) => m.topic === 'broker.concurrency');
    });
    const job = await d.api('POST', '/jobs', { command: 'echo on-the-pub' });
    const sse = await s.next('job.finished', (e) => e.event === 'job.finished' && e.data.id === job.id);
    const pub = () => watcher.got.filter((m) => m.topic.startsWith('job.')).map((m) => ({ topic: m.topic, data: JSON.parse(m.body) })).filter((m) => m.data.id === job.id);
    await waitFor('job.finished on the PUB', () => pub().some((m) => m.topic === 'job.finished'));
    const sseMine = s.events.filter((e) => e.data.id === job.id);
    assert.deepEqual(pub().map((m) => `${m.data.event_id} ${m.topic}`), sseMine.map((e) => `${e.id} ${e.event}`));
    assert.deepEqual(pub().map((m) => m.topic), ['job.submitted', 'job.started', 'job.finished']);
    const finished = pub().find((m) => m.topic === 'job.finished')!.data;
    assert.equal(finished.state, 'succeeded');
    assert.equal(finished.time, sse.data.time);
  } finally {
    await watcher.close();
  }
});
