// Talking to a daemon from a test over real HTTP: the same for a daemon process and for one
// started in this process (in-process.ts).
export interface Reply {
  status: number;
  text: string;
  json: any;
  headers: Headers;
}

/** What test helpers need of a daemon: its URL and two ways to ask it. */
export interface Client {
  readonly url: string;
  request(method: string, p: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
  api(method: string, p: string, body?: unknown): Promise<any>;
}

/**
 * `token`: sent (`Authorization: Bearer`) with every request that sets no Authorization of its
 * own. Opt-in: without it a request carries no credentials.
 */
export async function request(url: string, token: string | undefined, method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const init: RequestInit = { method, headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    if (typeof body !== 'string') (init.headers as Record<string, string>)['Content-Type'] = 'application/json';
  }
  const res = await fetch(url + p, init);
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, headers: res.headers };
}

/** With Accept: application/json; the parsed body; throws on non-2xx. */
export async function api(c: Client, method: string, p: string, body?: unknown): Promise<any> {
  const r = await c.request(method, p, body, { Accept: 'application/json' });
  if (r.status >= 300) throw new Error(`${method} ${p} → ${r.status}: ${r.text}`);
  return r.json;
}
