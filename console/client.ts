// The one HTTP client every console command uses (fetch; http or https; bearer token).
// Errors come in two kinds the exit codes tell apart (SPEC "Console"): the daemon answered
// with an error (exit 1) or could not be reached (exit 3, naming the address tried).
import type { ErrorBody } from '../daemon/contract/errors.js';

export class DaemonError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DaemonError';
  }
}

export class UnreachableError extends Error {
  constructor(
    readonly address: string,
    reason: string,
  ) {
    super(`cannot reach the daemon at ${address} (${reason})`);
    this.name = 'UnreachableError';
  }
}

export interface Reply<T> {
  status: number;
  /** Parsed JSON when the daemon answered JSON. */
  json: T;
  text: string;
}

/** Why fetch failed, in one word or phrase (undici hides it in `cause`). */
function reasonOf(e: unknown): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'no answer in time';
  return err.cause?.code ?? err.cause?.message ?? err.message ?? String(e);
}

export class Client {
  constructor(
    /** Base URL, e.g. `http://127.0.0.1:8010` (contract/flags.ts hostToUrl). */
    readonly base: string,
    public token?: string,
    readonly timeoutMs = 10000,
    /** The token remembered for this daemon (history.ts), asked for when it answers 401. */
    private readonly tokenFor?: (base: string) => Promise<string | undefined>,
  ) {}

  /** A request that wants JSON; throws DaemonError on a non-2xx answer. */
  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await this.send<T>(method, path, { body, accept: 'application/json' })).json;
  }

  /** A request that wants the daemon's text (the seed's bodies: `Changed workers cardinality`). */
  async text(method: string, path: string, body?: unknown): Promise<string> {
    return (await this.send<unknown>(method, path, { body, accept: 'text/plain' })).text;
  }

  /** `retried`: this is the second try, with a remembered token after a 401. */
  async send<T>(method: string, path: string, opts: { body?: unknown; accept: string }, retried = false): Promise<Reply<T>> {
    const headers: Record<string, string> = { Accept: opts.accept };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    let payload: string | undefined;
    if (opts.body !== undefined) {
      payload = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      headers['Content-Type'] = typeof opts.body === 'string' ? 'text/plain' : 'application/json';
    }
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.base + path, { method, headers, body: payload, signal: AbortSignal.timeout(this.timeoutMs) });
      text = await res.text();
    } catch (e) {
      throw new UnreachableError(this.base, reasonOf(e));
    }
    let json: unknown;
    if ((res.headers.get('content-type') ?? '').includes('json')) {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
    }
    if (res.status === 401 && !retried && this.tokenFor) {
      // A token given once with --token (or connect … --token) is kept per host: use it.
      const remembered = await this.tokenFor(this.base).catch(() => undefined);
      if (remembered && remembered !== this.token) {
        this.token = remembered;
        return this.send<T>(method, path, opts, true);
      }
    }
    if (res.status >= 300) {
      const err = (json as ErrorBody | undefined)?.error;
      const message = err?.message ?? (text.replace(/^ERROR:\s*/, '').trim() || `${method} ${path} answered ${res.status}`);
      throw new DaemonError(res.status, err?.code ?? String(res.status), message);
    }
    return { status: res.status, json: json as T, text };
  }
}
