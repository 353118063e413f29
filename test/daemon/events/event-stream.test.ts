// The SSE writer alone (daemon/http/routes/events.ts): a client that stops reading is cut off
// at the write cap and leaves the bus; heartbeats; replay limits. No daemon, no sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { EventBus } from '../../../daemon/events/bus.js';
import { DEFAULT_LIMITS, streamEvents } from '../../../daemon/http/routes/events.js';
import { waitFor } from '../../helpers/wait.js';

/** A response whose client never reads: writes pile up in its buffer. */
function stuckClient(): Writable & { text: () => string } {
  const chunks: string[] = [];
  const w = new Writable({
    highWaterMark: 1024,
    write(chunk, _enc, _done) {
      chunks.push(String(chunk)); // the callback is never called: nothing drains
    },
  }) as Writable & { text: () => string };
  w.text = () => chunks.join('');
  return w;
}

/** A client that reads everything at once. */
function reader(): Writable & { text: () => string } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  }) as Writable & { text: () => string };
  w.text = () => chunks.join('');
  return w;
}

test('a client that does not read is dropped at the cap and stops costing the bus anything', async () => {
  const bus = new EventBus();
  const out = stuckClient();
  let listening = 0;
  const subscribe = bus.subscribe.bind(bus);
  bus.subscribe = (l) => {
    listening++;
    const off = subscribe(l);
    return () => {
      listening--;
      return off();
    };
  };
  streamEvents(out, bus, undefined, () => true, { ...DEFAULT_LIMITS, maxBuffered: 16 * 1024 });
  assert.equal(listening, 1);
  const big = 'x'.repeat(500);
  for (let i = 0; i < 100 && !out.destroyed; i++) bus.publish('job.submitted', { id: `J${i}`, pad: big });
  assert.ok(out.destroyed, 'the stuck stream is destroyed');
  assert.equal(listening, 0, 'and unsubscribed');
  // Later events go nowhere and throw nothing.
  bus.publish('job.submitted', { id: 'after' });
});

test('frames of one tick go out in one write', async () => {
  const bus = new EventBus();
  const writes: string[] = [];
  const out = new Writable({
    write(chunk, _enc, done) {
      writes.push(String(chunk));
      done();
    },
  });
  streamEvents(out, bus, undefined, () => true, DEFAULT_LIMITS);
  for (let i = 0; i < 1000; i++) bus.publish('job.submitted', { id: `J${i}` });
  await tick();
  assert.equal(writes.length, 1);
  assert.equal(writes[0]!.match(/^event: job\.submitted$/gm)?.length, 1000);
});

test('heartbeat comments keep an idle stream open; stop() ends them', async () => {
  const bus = new EventBus();
  const out = reader();
  const stop = streamEvents(out, bus, undefined, () => true, { ...DEFAULT_LIMITS, heartbeatMs: 20 });
  await waitFor('two heartbeats', () => (out.text().match(/^: heartbeat /gm) ?? []).length >= 2);
  stop();
  await tick();
  const n = out.text().length;
  bus.publish('task.started', { task: 'T' });
  assert.equal(out.text().length, n, 'nothing written after stop');
});

const tick = () => new Promise((r) => setImmediate(r));

test('a resume from an id the ring no longer holds, or too far back, gets resync instead of a replay', async () => {
  const bus = new EventBus(20);
  for (let i = 0; i < 40; i++) bus.publish('job.submitted', { id: `J${i}` });
  const old = reader();
  streamEvents(old, bus, 3, () => true, DEFAULT_LIMITS);
  await tick();
  assert.match(old.text(), /event: resync\ndata: \{"reason":"events after that id are no longer kept"/);
  assert.doesNotMatch(old.text(), /event: job\.submitted/);

  const far = reader();
  streamEvents(far, bus, 25, () => true, { ...DEFAULT_LIMITS, maxReplay: 5 });
  await tick();
  assert.match(far.text(), /id: 40\nevent: resync\n.*more than 5 events/);

  const near = reader();
  streamEvents(near, bus, 37, () => true, DEFAULT_LIMITS);
  await tick();
  assert.deepEqual([...near.text().matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1])), [38, 39, 40]);
});
