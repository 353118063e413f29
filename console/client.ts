// The one HTTP client every console command uses (fetch; http or https; bearer token).
// Errors come in two kinds the exit codes tell apart (docs/spec.md "Console"): the daemon answered
// with an error (exit 1) or could not be reached (exit 3, naming the address tried).
import type { ErrorBody } from '../contract/errors.js';

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

// What Node's TLS says of a certificate it does not trust (a daemon with its own CA).
const UNTRUSTED = new Set(['SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT']);

/** Why fetch failed, in one word or phrase (undici hides it in `cause`). */
function reasonOf(e: unknown): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'no answer in time';
  const code = err.cause?.code;
  if (code && UNTRUSTED.has(code)) return `${code}: its certificate is not signed by a CA trusted here; pass the CA's PEM file with --ca FILE`;
  return code ?? err.cause?.message ?? err.message ?? String(e);
}

/** The body parsed, when the daemon says it is JSON. */
function jsonOf(res: Response, text: string): unknown {
  if (!(res.headers.get('content-type') ?? '').includes('json')) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
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

  /** The whole answer: its text, and the text parsed when the daemon answered JSON. */
  async send<T>(method: string, path: string, opts: { body?: unknown; accept: string }): Promise<Reply<T>> {
    const res = await this.open(method, path, opts);
    const text = await this.textOf(res);
    return { status: res.status, json: jsonOf(res, text) as T, text };
  }

  /**
   * A text body as it comes (a followed log): each chunk to `onText`, until the daemon ends
   * it (the job ended) or `signal` aborts (the user left). No timeout: a quiet job is fine.
   */
  async stream(path: string, onText: (chunk: string) => void, signal: AbortSignal): Promise<void> {
    let res: Response;
    try {
      res = await this.open('GET', path, { accept: 'text/plain', signal });
    } catch (e) {
      if (signal.aborted) return;
      throw e;
    }
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body ?? []) onText(decoder.decode(chunk as Uint8Array, { stream: true }));
      const tail = decoder.decode();
      if (tail) onText(tail);
    } catch (e) {
      if (signal.aborted) return;
      throw new UnreachableError(this.base, `the log stream broke: ${reasonOf(e)}`);
    }
  }

  /**
   * Sends a request and answers its 2xx response, body unread. Without `signal` it gives up
   * after `timeoutMs`. A 401 is tried once more with the token remembered for this daemon;
   * a fetch that fails is an UnreachableError, any other answer from 300 up a DaemonError.
   * `retried`: this is that second try.
   */
  private async open(method: string, path: string, opts: { body?: unknown; accept: string; signal?: AbortSignal }, retried = false): Promise<Response> {
    const headers: Record<string, string> = { Accept: opts.accept };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    let payload: string | undefined;
    if (opts.body !== undefined) {
      payload = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      headers['Content-Type'] = typeof opts.body === 'string' ? 'text/plain' : 'application/json';
    }
    let res: Response;
    try {
      res = await fetch(this.base + path, { method, headers, body: payload, signal: opts.signal ?? AbortSignal.timeout(this.timeoutMs) });
    } catch (e) {
      throw new UnreachableError(this.base, reasonOf(e));
    }
    if (res.status === 401 && !retried && this.tokenFor) {
      // A token given once with --token (or connect … --token) is kept per host: use it.
      const remembered = await this.tokenFor(this.base).catch(() => undefined);
      if (remembered && remembered !== this.token) {
        await res.body?.cancel().catch(() => undefined);
        this.token = remembered;
        return this.open(method, path, opts, true);
      }
    }
    if (res.status >= 300) {
      const text = await this.textOf(res);
      const err = (jsonOf(res, text) as ErrorBody | undefined)?.error;
      const message = err?.message ?? (text.replace(/^ERROR:\s*/, '').trim() || `${method} ${path} answered ${res.status}`);
      throw new DaemonError(res.status, err?.code ?? String(res.status), message);
    }
    return res;
  }

  /** The whole body; a connection that breaks meanwhile is an UnreachableError. */
  private async textOf(res: Response): Promise<string> {
    try {
      return await res.text();
    } catch (e) {
      throw new UnreachableError(this.base, reasonOf(e));
    }
  }
}
