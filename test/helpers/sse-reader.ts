// Reads a server-sent event stream over fetch for tests (Node 20 has no EventSource): frames
// are split on blank lines and their `id:`, `event:`, `data:` fields collected.
import { waitFor } from './wait.js';

export interface SseEvent {
  id: string | undefined;
  event: string;
  data: any;
}

export interface SseStream {
  status: number;
  headers: Headers;
  events: SseEvent[];
  /** Comment lines (heartbeats, the opening line). */
  comments: string[];
  /** Polls until an event matches; returns it. */
  next(what: string, pred: (e: SseEvent) => boolean, timeout?: number): Promise<SseEvent>;
  close(): void;
}

function parseFrame(frame: string, out: SseStream): void {
  let id: string | undefined;
  let event = 'message';
  const data: string[] = [];
  for (const line of frame.split('\n')) {
    if (line.startsWith(':')) out.comments.push(line.slice(1).trim());
    else if (line.startsWith('id: ')) id = line.slice(4);
    else if (line.startsWith('event: ')) event = line.slice(7);
    else if (line.startsWith('data: ')) data.push(line.slice(6));
  }
  if (data.length) out.events.push({ id, event, data: JSON.parse(data.join('\n')) });
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const ctl = new AbortController();
  const res = await fetch(url, { headers: { Accept: 'text/event-stream', ...headers }, signal: ctl.signal });
  const stream: SseStream = {
    status: res.status,
    headers: res.headers,
    events: [],
    comments: [],
    next: (what, pred, timeout = 10000) => waitFor(what, () => stream.events.find(pred), { timeout }),
    close: () => ctl.abort(),
  };
  if (res.status !== 200 || !res.body) return stream;
  void (async () => {
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          parseFrame(buf.slice(0, i), stream);
          buf = buf.slice(i + 2);
        }
      }
    } catch {
      // aborted by close(), or the daemon went away
    }
  })();
  return stream;
}
