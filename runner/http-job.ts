// http jobs (TaskPusher's only kind of task, docs/spec.md "Broker and jobs"): a request instead of a
// command. Parsed here from a submit, run here with fetch: no process, so no pid, usage or
// process group; the walltime, a cancel and a shutdown abort the request. A 2xx answer is
// success (TaskPusher wanted exactly 200; any 2xx is the usual meaning of "done"). Redirects
// follow the job's `redirects` rule (http-redirects.ts).
import { open } from 'node:fs/promises';
import { BlError, describe } from '../contract/errors.js';
import type { HttpOutcome, HttpSpec } from '../contract/run.js';
import { fetchJob } from './http-redirects.js';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
/** How much of an answer's body goes to the job's log: the log is for reading, not archiving. */
export const LOG_BODY_MAX = 64 * 1024;

/**
 * `{http: {url, method, body, headers}}`, or TaskPusher's flat `{url, method, body}`; null when
 * the submit has neither (a command job). No method: POST with a body, else GET.
 */
export function parseHttp(where: string, o: Record<string, unknown>): HttpSpec | null {
  const flat = o.url !== undefined || o.method !== undefined || o.body !== undefined;
  if (o.http !== undefined && flat) throw new BlError('bad_value', `${where}: expected either \`http\` or top-level \`url\`/\`method\`/\`body\`, found both`);
  if (o.http === undefined && !flat) return null;
  const h = (o.http ?? { url: o.url, method: o.method, body: o.body }) as Record<string, unknown>;
  const field = o.http === undefined ? (k: string) => k : (k: string) => `http.${k}`;
  if (typeof h !== 'object' || h === null || Array.isArray(h)) throw new BlError('bad_value', `${where}: expected \`http\` to be {url, method, body, headers}, found ${describe(h)}`);
  for (const k of Object.keys(h)) {
    if (!['url', 'method', 'body', 'headers'].includes(k)) throw new BlError('bad_value', `${where}: unknown field \`${field(k)}\` (fields: url, method, body, headers)`);
  }
  if (typeof h.url !== 'string') throw new BlError('bad_value', `${where}: expected \`${field('url')}\` to be an http or https URL, found ${describe(h.url)}`);
  let url: URL;
  try {
    url = new URL(h.url);
  } catch {
    throw new BlError('bad_value', `${where}: expected \`${field('url')}\` to be an http or https URL, found ${describe(h.url)} (not a URL)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new BlError('bad_value', `${where}: expected \`${field('url')}\` to be an http or https URL, found ${describe(h.url)} (${url.protocol.slice(0, -1)})`);
  }
  // A JSON body may come as JSON itself; it is sent as its text.
  const body = h.body === undefined || h.body === null ? null : typeof h.body === 'string' ? h.body : JSON.stringify(h.body);
  const headers: Record<string, string> = {};
  if (h.headers !== undefined && h.headers !== null) {
    if (typeof h.headers !== 'object' || Array.isArray(h.headers)) throw new BlError('bad_value', `${where}: expected \`${field('headers')}\` to be an object of strings, found ${describe(h.headers)}`);
    for (const [k, v] of Object.entries(h.headers)) {
      if (typeof v !== 'string') throw new BlError('bad_value', `${where}: expected \`${field(`headers.${k}`)}\` to be a string, found ${describe(v)}`);
      headers[k] = v;
    }
  }
  if (body !== null && typeof h.body !== 'string' && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) {
    headers['Content-Type'] = 'application/json';
  }
  let method = body === null ? 'GET' : 'POST';
  if (h.method !== undefined && h.method !== null) {
    if (typeof h.method !== 'string' || !METHODS.includes(h.method.toUpperCase())) {
      throw new BlError('bad_value', `${where}: expected \`${field('method')}\` to be one of ${METHODS.join(', ')}, found ${describe(h.method)}`);
    }
    method = h.method.toUpperCase();
  }
  if (body !== null && (method === 'GET' || method === 'HEAD')) throw new BlError('bad_value', `${where}: a ${method} request cannot have a \`${field('body')}\``);
  return { url: url.href, method, body, ...(Object.keys(headers).length ? { headers } : {}) };
}

export interface HttpVerdict {
  outcome: HttpOutcome;
  /** `HTTP 200`, `HTTP 500 Internal Server Error`, or why no answer came. */
  reason: string;
}

/** Why fetch failed, in a phrase (undici hides the system error in `cause`). */
function networkReason(e: unknown): string {
  const err = e as { message?: string; cause?: { code?: string; message?: string } };
  return err.cause?.code ?? err.cause?.message ?? err.message ?? String(e);
}

/**
 * Runs one http job: the request, then the status line and up to LOG_BODY_MAX bytes of the
 * body appended to `logPath`. Resolves with the verdict; rejects only when `signal` aborts
 * (the caller knows why it aborted: walltime, cancel, shutdown).
 */
export async function runHttpJob(spec: HttpSpec, logPath: string, signal: AbortSignal, header: string | null = null): Promise<HttpVerdict> {
  const log = await open(logPath, 'a');
  try {
    await log.write(`${header ?? ''}> ${spec.method} ${spec.url}\n`);
    let res: Response;
    try {
      const f = await fetchJob(spec, signal, (line) => log.write(line).then(() => undefined));
      if ('refused' in f) {
        await log.write(`< ${f.status}\nbl: ${f.refused}\n`);
        return { outcome: 'failed', reason: `${f.status}: ${f.refused}` };
      }
      res = f.res;
    } catch (e) {
      if (signal.aborted) throw e;
      const reason = `cannot reach ${spec.url}: ${networkReason(e)}`;
      await log.write(`bl: ${reason}\n`);
      return { outcome: 'failed', reason };
    }
    const status = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
    await log.write(`< ${status}\n`);
    const truncated = await copyBody(res, log, signal);
    if (truncated) await log.write(`\nbl: body truncated after ${LOG_BODY_MAX} bytes\n`);
    const ok = res.status >= 200 && res.status < 300;
    return { outcome: ok ? 'succeeded' : 'failed', reason: ok ? `HTTP ${res.status}` : status };
  } finally {
    await log.close();
  }
}

/** Copies at most LOG_BODY_MAX bytes; true when there was more (the rest is not read). */
async function copyBody(res: Response, log: import('node:fs/promises').FileHandle, signal: AbortSignal): Promise<boolean> {
  if (!res.body) return false;
  const reader = res.body.getReader();
  let written = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return false;
      const room = LOG_BODY_MAX - written;
      await log.write(value.subarray(0, room));
      written += Math.min(room, value.length);
      if (value.length > room) return true;
    }
  } catch (e) {
    if (signal.aborted) throw e;
    // The answer's status is known; a body cut short is noted in the log, not a failure.
    await log.write(`\nbl: the body was cut short: ${networkReason(e)}\n`);
    return false;
  } finally {
    void reader.cancel().catch(() => undefined);
  }
}
