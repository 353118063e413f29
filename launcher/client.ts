// bl-launcher's HTTP client: JSON to and from the daemon over one keep-alive agent, with the
// token and an extra CA (beside Node's own) for https. Network failures become one-line
// errors naming the address, so an outage reads the same in every log line.
import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';

export interface ClientOptions {
  /** The daemon's base URL (http://head:8010). */
  base: string;
  token?: string | undefined;
  /** PEM of a CA to trust besides Node's defaults (--ca). */
  ca?: string | undefined;
}

export interface Answer {
  status: number;
  json: any;
  text: string;
}

/**
 * The daemon could not be reached or did not answer in time; the call may be tried again,
 * unless `fatal`: a certificate this launcher does not trust will not be trusted on a retry.
 */
export class Unreachable extends Error {
  constructor(
    message: string,
    readonly fatal = false,
  ) {
    super(message);
    this.name = 'Unreachable';
  }
}

const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_UNTRUSTED', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export class DaemonClient {
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly mod: typeof http | typeof https;

  constructor(private readonly o: ClientOptions) {
    this.base = new URL(o.base);
    const tls = this.base.protocol === 'https:';
    this.mod = tls ? https : http;
    this.agent = tls
      ? new https.Agent({ keepAlive: true, ...(o.ca ? { ca: [...rootCertificates, o.ca] } : {}) })
      : new http.Agent({ keepAlive: true });
  }

  get address(): string {
    return this.base.origin;
  }

  /** Sends `body` as JSON; resolves with any status, rejects with Unreachable. */
  request(method: string, path: string, body: unknown, timeoutMs: number, retried = false): Promise<Answer> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (payload !== undefined) headers['Content-Type'] = 'application/json';
    if (this.o.token) headers.Authorization = `Bearer ${this.o.token}`;
    return new Promise((resolve, reject) => {
      const req = this.mod.request(new URL(path, this.base), { method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => reject(new Unreachable(`the answer from ${this.address} broke off: ${e.message}`)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, json, text });
        });
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`)));
      req.on('error', (e: NodeJS.ErrnoException) => {
        // The daemon closed an idle kept-alive socket as we reused it: the request never
        // reached it, so it goes again once on a fresh socket (Node's documented pattern).
        if (!retried && req.reusedSocket && e.code === 'ECONNRESET') return resolve(this.request(method, path, body, timeoutMs, true));
        reject(this.explain(e));
      });
      req.end(payload);
    });
  }

  private explain(e: NodeJS.ErrnoException): Unreachable {
    if (e.code && UNTRUSTED.has(e.code)) {
      return new Unreachable(`the daemon at ${this.address} presented a certificate this launcher does not trust (${e.code}: ${e.message}); pass its CA with --ca FILE`, true);
    }
    if (e.code === 'EPROTO' || e.code === 'ERR_SSL_WRONG_VERSION_NUMBER') {
      return new Unreachable(`the daemon at ${this.address} does not speak TLS (${e.code}); is it served over http?`, true);
    }
    return new Unreachable(`cannot reach the daemon at ${this.address}: ${e.message}`);
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The daemon's one-line error message out of an error answer. */
export function errorMessage(a: Answer): string {
  return a.json?.error?.message ?? (a.text.trim().replace(/^ERROR: /, '') || `status ${a.status}`);
}
