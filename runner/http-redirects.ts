// An http job's request and the redirects it may follow (HttpSpec.redirects). fetch follows
// any redirect by itself; when the daemon has allowed_commands, a job may only reach URLs the
// list allows, so each hop is followed here instead, checked with the same rules the submit
// was (url-rule.ts), on whichever host runs the job. A refused hop ends the job: the 3xx is its
// answer, and the log says where it pointed and why it was not followed.
import type { HttpSpec } from '../contract/run.js';
import { matchUrl, parseUrlRule, urlProblem, type UrlRule } from './url-rule.js';

/** fetch's own limit. */
const MAX_REDIRECTS = 20;
/** Sent to the first origin only (fetch drops these on a cross-origin redirect too). */
const ORIGIN_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

export type Fetched = { res: Response } | { refused: string; status: string };

const isRedirect = (s: number): boolean => s === 301 || s === 302 || s === 303 || s === 307 || s === 308;

function rulesOf(texts: string[]): UrlRule[] {
  // The daemon checked each entry at its config load; one this launcher cannot read allows nothing.
  return texts.flatMap((t) => {
    try {
      return [parseUrlRule(t)];
    } catch {
      return [];
    }
  });
}

/**
 * The job's answer: the last response, or a refused redirect. `note` gets a line for the log at
 * each hop followed.
 */
export async function fetchJob(spec: HttpSpec, signal: AbortSignal, note: (line: string) => Promise<void>): Promise<Fetched> {
  if (spec.redirects === undefined) {
    return { res: await fetch(spec.url, { method: spec.method, headers: spec.headers ?? {}, body: spec.body, signal }) };
  }
  const rules = spec.redirects === 'none' ? null : rulesOf(spec.redirects);
  let url = new URL(spec.url);
  let method = spec.method;
  let body = spec.body;
  let headers: Record<string, string> = { ...(spec.headers ?? {}) };
  for (let hop = 0; ; hop++) {
    const res = await fetch(url, { method, headers, body, signal, redirect: 'manual' });
    const location = res.headers.get('location');
    if (!isRedirect(res.status) || location === null) return { res };
    const status = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
    void res.body?.cancel().catch(() => undefined);
    if (rules === null) return { refused: `redirect to ${location} not followed (follow_redirects is false)`, status };
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      return { refused: `redirect to ${JSON.stringify(location)} not followed: not a URL`, status };
    }
    const problem = urlProblem(location, next);
    if (problem) return { refused: `redirect to ${JSON.stringify(location)} not followed: it has ${problem}`, status };
    if (!matchUrl(next, rules)) return { refused: `redirect to ${next.href} not followed: it is not at or below a URL allowed_commands names`, status };
    if (hop + 1 >= MAX_REDIRECTS) return { refused: `redirect to ${next.href} not followed: ${MAX_REDIRECTS} redirects already`, status };
    // fetch's rules: 303 (and 301/302 after a POST) continue as a GET without a body.
    if ((res.status === 303 && method !== 'HEAD') || ((res.status === 301 || res.status === 302) && method === 'POST')) {
      method = 'GET';
      body = null;
      headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !k.toLowerCase().startsWith('content-')));
    }
    if (next.origin !== url.origin) headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !ORIGIN_HEADERS.includes(k.toLowerCase())));
    await note(`< ${status}\n> ${method} ${next.href}\n`);
    url = next;
  }
}
