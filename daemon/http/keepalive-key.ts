// The credential of BL_KEEPALIVE_URL: `&key=` an HMAC of the task's name under a secret of the
// state dir. A worker cannot be given the daemon's token (it would open every route to every
// worker), so under `auth` the keep-alive route of one task also takes that task's key, and
// nothing else does. The secret lives in the state dir (made once, owner-only), so a worker
// adopted by the next daemon keeps a URL that works.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const KEEPALIVE_SECRET_FILE = 'keepalive.secret';

export class KeepaliveKeys {
  constructor(private readonly secret: Buffer) {}

  /** The state dir's secret, made on first use. */
  static load(stateDir: string): KeepaliveKeys {
    const file = path.join(stateDir, KEEPALIVE_SECRET_FILE);
    let hex: string;
    try {
      hex = readFileSync(file, 'utf8').trim();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      hex = randomBytes(32).toString('hex');
      // wx: two daemons cannot both make it (the state dir's lock is taken first anyway).
      writeFileSync(file, hex + '\n', { mode: 0o600, flag: 'wx' });
    }
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`${file}: expected 64 hex digits, found something else; delete the file and restart (running workers then need a restart to keep alive)`);
    return new KeepaliveKeys(Buffer.from(hex, 'hex'));
  }

  /** The key of one task's keep-alive route. */
  key(task: string): string {
    return createHmac('sha256', this.secret).update(`keepalive\0${task}`).digest('hex').slice(0, 32);
  }

  check(task: string, key: string): boolean {
    const want = Buffer.from(this.key(task));
    const got = Buffer.from(key);
    return got.length === want.length && timingSafeEqual(got, want);
  }
}

const ALIVE_ROUTE = /^\/tasks\/([^/]+)\/workers\/[^/]+\/alive$/;

/** The task whose keep-alive route `method path` is, if it is one. */
export function keepaliveRouteTask(method: string, urlPath: string): string | undefined {
  if (method !== 'POST') return undefined;
  const m = ALIVE_ROUTE.exec(urlPath);
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return undefined;
  }
}
