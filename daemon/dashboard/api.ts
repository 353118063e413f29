// The page's one door to the daemon: JSON requests with the token when one is kept, and what
// to do on a 401. URLs are relative so the page also works behind a path prefix.

const TOKEN_KEY = 'bl.dashboard.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let onUnauthorized: () => void = () => {};

/** Called on any 401: the page shows its token form. */
export function whenUnauthorized(fn: () => void): void {
  onUnauthorized = fn;
}

export function getToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null; // storage disabled: basic auth (browser prompt) still works
  }
}

export function setToken(token: string | null): void {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // nothing to keep it in; requests go without it
  }
}

/** `/?token=T` (a link an operator was given) is taken once into storage and out of the URL. */
export function adoptTokenFromUrl(): void {
  const url = new URL(location.href);
  const t = url.searchParams.get('token');
  if (t === null) return;
  setToken(t);
  url.searchParams.delete('token');
  history.replaceState(null, '', url.pathname + url.search + url.hash);
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const t = getToken();
  return { ...extra, ...(t ? { Authorization: `Bearer ${t}` } : {}) };
}

async function failure(res: Response): Promise<ApiError> {
  const text = await res.text();
  let code = 'error';
  let message = text.replace(/^ERROR: /, '').trim() || `${res.status} ${res.statusText}`;
  try {
    const j = JSON.parse(text) as { error?: { code: string; message: string } };
    if (j.error) ({ code, message } = j.error);
  } catch {
    // a text body: kept as the message
  }
  if (res.status === 401) onUnauthorized();
  return new ApiError(res.status, code, message);
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, headers: headers({ Accept: 'application/json' }), cache: 'no-store' };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['Content-Type'] = 'application/json';
  }
  const res = await fetch(path, init);
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

export async function apiText(path: string): Promise<string> {
  const res = await fetch(path, { headers: headers({ Accept: 'text/plain' }), cache: 'no-store' });
  if (!res.ok) throw await failure(res);
  return res.text();
}

/**
 * A text response read as it comes (a log with `follow=1`): `onOpen` once it is answered, then
 * each piece to `onText` until the server ends it; `signal` stops it.
 */
export async function streamText(path: string, signal: AbortSignal, onText: (text: string) => void, onOpen: () => void = () => {}): Promise<void> {
  const res = await fetch(path, { headers: headers({ Accept: 'text/plain' }), cache: 'no-store', signal });
  if (!res.ok) throw await failure(res);
  onOpen();
  if (!res.body) return onText(await res.text());
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    onText(value);
  }
}

/** EventSource cannot set headers: the token goes in the query (the daemon accepts ?token=). */
export function eventsUrl(lastId: string | null): string {
  const q = new URLSearchParams();
  const t = getToken();
  if (t) q.set('token', t);
  if (lastId) q.set('last_event_id', lastId);
  const s = q.toString();
  return s ? `events?${s}` : 'events';
}
