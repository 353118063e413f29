// bl-launcher's HTTP client: JSON to and from the daemon over one keep-alive agent, with the
// token and an extra CA (beside Node's own) for https. Network failures become one-line
// errors naming the address, so an outage reads the same in every log line.
import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';

export interface ClientOptions {
  /** The daemon's base URL (http://head:8010). */
  base: string;
  /**
   * Other daemons sharing its store, tried in turn when the one in use cannot be reached: the
   * failed call rejects as usual (its caller tries it again) and the next goes to the next.
   */
  others?: string[];
  /** Said when the client moves to another daemon. */
  onSwitch?: (from: string, to: string, why: string) => void;
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

interface Target {
  base: URL;
  agent: http.Agent;
  mod: typeof http | typeof https;
}

export class DaemonClient {
  private readonly targets: Target[];
  private at = 0;

  constructor(private readonly o: ClientOptions) {
    this.targets = [o.base, ...(o.others ?? [])].map((b) => {
      const base = new URL(b);
      const tls = base.protocol === 'https:';
      return {
        base,
        mod: tls ? https : http,
        agent: tls ? new https.Agent({ keepAlive: true, ...(o.ca ? { ca: [...rootCertificates, o.ca] } : {}) }) : new http.Agent({ keepAlive: true }),
      };
    });
  }

  private get t(): Target {
    return this.targets[this.at]!;
  }

  private get base(): URL {
    return this.t.base;
  }

  get address(): string {
    return this.base.origin;
  }

  /** The daemon in use could not be reached: the next one is tried from the next call on. */
  private next(why: string): void {
    if (this.targets.length < 2) return;
    const from = this.address;
    this.at = (this.at + 1) % this.targets.length;
    this.o.onSwitch?.(from, this.address, why);
  }

  /** Sends `body` as JSON; resolves with any status, rejects with Unreachable. */
  request(method: string, path: string, body: unknown, timeoutMs: number, retried = false): Promise<Answer> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (payload !== undefined) headers['Content-Type'] = 'application/json';
    if (this.o.token) headers.Authorization = `Bearer ${this.o.token}`;
    return new Promise((resolve, reject) => {
      const t = this.t;
      const req = t.mod.request(new URL(path, t.base), { method, headers, agent: t.agent }, (res) => {
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
        const u = this.explain(e);
        // Only a daemon that does not answer is left; one that answers (any status) is kept.
        if (!u.fatal && t === this.t) this.next(u.message);
        reject(u);
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
    for (const t of this.targets) t.agent.destroy();
  }
}

/** The daemon's one-line error message out of an error answer. */
export function errorMessage(a: Answer): string {
  return a.json?.error?.message ?? (a.text.trim().replace(/^ERROR: /, '') || `status ${a.status}`);
}
