// GET /events: the bus as server-sent events (docs/spec.md "Also": the same events as the ZeroMQ PUB).
// Ids are the bus's, so a client that reconnects with Last-Event-ID (or ?last_event_id=) gets
// what it missed from the bus's ring buffer.
import type { Writable } from 'node:stream';
import type Router from '@koa/router';
import { BlError, describe } from '../../../contract/errors.js';
import type { BlEvent, EventBus } from '../../events/bus.js';
import type { Services } from '../../services.js';

export interface StreamLimits {
  /** Bytes queued for a client that does not read; past this it is dropped (it may resume). */
  maxBuffered: number;
  /** A comment line this often keeps proxies and idle-timeouts from closing the stream. */
  heartbeatMs: number;
  /** A resume that would replay more than this gets a `resync` event instead. */
  maxReplay: number;
}

export const DEFAULT_LIMITS: StreamLimits = { maxBuffered: 4 * 1024 * 1024, heartbeatMs: 15000, maxReplay: 2000 };

/**
 * One event in the wire format: the event's fields plus `time`, `topic` and `event_id` (the
 * SSE id), as one JSON line (so one `data:`). The bus id is not put in `id`: job events carry
 * the job's id there.
 */
export function sseFrame(e: BlEvent): string {
  let frame = frames.get(e);
  if (frame === undefined) {
    const data = { ...e.data, time: new Date(e.time).toISOString(), topic: e.topic, event_id: e.id };
    frame = `id: ${e.id}\nevent: ${e.topic}\ndata: ${JSON.stringify(data)}\n\n`;
    frames.set(e, frame);
  }
  return frame;
}

/** Each event is serialised once for all clients (a 10,000-job submit is 10,000 events). */
const frames = new WeakMap<BlEvent, string>();

function resyncFrame(id: number, reason: string): string {
  return `id: ${id}\nevent: resync\ndata: ${JSON.stringify({ reason, topic: 'resync', event_id: id })}\n\n`;
}

function parseLastId(raw: unknown): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (typeof raw !== 'string' || !Number.isInteger(n) || n < 0) {
    throw new BlError('bad_value', `expected Last-Event-ID (or \`last_event_id\`) to be an event id (an integer ≥ 0), found ${describe(raw)}`);
  }
  return n;
}

/** `?topics=worker.,job.finished`: topic prefixes to keep; none = everything. */
function topicFilter(raw: unknown): (topic: string) => boolean {
  if (typeof raw !== 'string' || raw.trim() === '') return () => true;
  const prefixes = raw.split(',').map((p) => p.trim()).filter(Boolean);
  return (t) => prefixes.some((p) => t.startsWith(p));
}

/**
 * Writes the replay and then live events to `out` until it closes. Never waits on the client:
 * one that lets more than `maxBuffered` bytes pile up is cut off (it reconnects and resumes,
 * or gets `resync`), so a stuck browser tab costs the daemon bounded memory.
 * Returns a function that stops the stream (also called when `out` closes).
 */
export function streamEvents(out: Writable, bus: EventBus, from: number | undefined, keep: (topic: string) => boolean, limits: StreamLimits): () => void {
  let closed = false;
  // Frames of one tick go out as one write: a burst of events is one syscall, not thousands.
  let queued: string[] = [];
  let queuedBytes = 0;
  const flush = () => {
    if (closed || queued.length === 0) return;
    out.write(queued.join(''));
    queued = [];
    queuedBytes = 0;
  };
  const send = (chunk: string) => {
    if (closed) return;
    if (queued.length === 0) setImmediate(flush);
    queued.push(chunk);
    queuedBytes += chunk.length;
    if (out.writableLength + queuedBytes > limits.maxBuffered) {
      stop();
      out.destroy();
    }
  };
  let unsubscribe = () => {};
  const heartbeat = setInterval(() => send(`: heartbeat ${new Date().toISOString()}\n\n`), limits.heartbeatMs);
  heartbeat.unref();
  const stop = () => {
    if (closed) return;
    closed = true;
    queued = [];
    clearInterval(heartbeat);
    unsubscribe();
  };
  out.on('close', stop);
  out.on('error', stop);

  send(`retry: 2000\n: bl events from id ${bus.lastId}\n\n`);
  // Replay and subscribe in the same tick: publish is synchronous, so nothing falls between.
  if (from !== undefined) {
    const missed = bus.since(from);
    if (from > bus.lastId) send(resyncFrame(bus.lastId, 'the daemon restarted: event ids start again'));
    else if (missed.length > 0 && missed[0]!.id > from + 1) send(resyncFrame(bus.lastId, 'events after that id are no longer kept'));
    else if (missed.length > limits.maxReplay) send(resyncFrame(bus.lastId, `more than ${limits.maxReplay} events were missed`));
    else for (const e of missed) if (keep(e.topic)) send(sseFrame(e));
  }
  if (!closed) unsubscribe = bus.subscribe((e) => keep(e.topic) && send(sseFrame(e)));
  return stop;
}

export function mountEventRoutes(router: Router, s: Services, limits: StreamLimits = DEFAULT_LIMITS): void {
  router.get('/events', (ctx) => {
    const from = parseLastId(ctx.get('Last-Event-ID') || ctx.query.last_event_id);
    const keep = topicFilter(ctx.query.topics);
    // The stream is written straight to the response: koa's body handling would buffer
    // behind a stream we could not measure.
    ctx.status = 200;
    ctx.respond = false;
    ctx.req.socket.setTimeout(0);
    ctx.req.socket.setNoDelay(true);
    ctx.res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    streamEvents(ctx.res, s.events, from, keep, limits);
  });
}
