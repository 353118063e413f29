// Bearer token and/or basic credentials; every route but /healthz needs them when set.
// Compared in constant time (hashes of equal length), and a failure says nothing more.
// A Slurm pilot's token (broker.slurm) opens the launcher protocol only, for its own launcher
// name, whether the daemon has `auth` or not.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import { BlError } from '../../contract/errors.js';
import { keepaliveRouteTask, type KeepaliveKeys } from './keepalive-key.js';
import { isLauncherProtocol, isPilotToken, LAUNCHER_PREFIX } from '../broker/slurm/pilot-tokens.js';

/** The allocations' side of a pilot's credentials. */
export interface PilotGate {
  /** `slurm-ID` for a live allocation's token, `slurm-` for one whose sbatch is still running; undefined: none. */
  launcherForToken(token: string): string | undefined;
  /** A live allocation's launcher: only its token (or the daemon's credentials) speaks for it. */
  isAllocationLauncher(name: string): boolean;
}

type Auth = { token?: string; basic?: string };

function same(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

function checkAuthorization(header: string | undefined, auth: Auth): boolean {
  if (!header) return false;
  const [scheme, value = ''] = header.trim().split(/\s+/, 2);
  if (auth.token && /^bearer$/i.test(scheme!)) return same(value, auth.token);
  if (auth.basic && /^basic$/i.test(scheme!)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    // The basic password may also carry the token (browsers can only do basic).
    return same(decoded, auth.basic) || (auth.token !== undefined && same(decoded.split(':').slice(1).join(':'), auth.token));
  }
  return false;
}


/** The request's credentials (the Authorization header, or `?token=` for links and SSE). */
export function isAuthorized(ctx: Context, auth: Auth | undefined): boolean {
  if (!auth) return true;
  const header = ctx.get('Authorization') || (typeof ctx.query.token === 'string' ? `Bearer ${ctx.query.token}` : '');
  return checkAuthorization(header, auth);
}

/** With basic credentials configured, a browser is asked for them. */
export function challenge(ctx: Context, auth: Auth): void {
  if (auth.basic) ctx.set('WWW-Authenticate', 'Basic realm="bl", charset="UTF-8"');
}

function bearerOf(ctx: Context): string | undefined {
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(ctx.get('Authorization'));
  return m?.[1];
}

export function authMiddleware(auth: Auth | undefined, open: Set<string>, pilots?: PilotGate, keepalives?: KeepaliveKeys): Middleware {
  return async (ctx, next) => {
    // A worker's BL_KEEPALIVE_URL: its task's key opens that task's keep-alive route, no other.
    const key = ctx.query.key;
    if (auth && keepalives && typeof key === 'string') {
      const task = keepaliveRouteTask(ctx.method, ctx.path);
      if (task !== undefined && keepalives.check(task, key)) return next();
    }
    const bearer = bearerOf(ctx);
    if (pilots && bearer !== undefined && isPilotToken(bearer) && !(auth && isAuthorized(ctx, auth))) {
      const launcher = pilots.launcherForToken(bearer);
      if (launcher === undefined) throw new BlError('unauthorized', 'authentication required');
      if (!isLauncherProtocol(ctx.method, ctx.path)) {
        throw new BlError('forbidden', `a Slurm allocation's token opens only the launcher protocol (lease, heartbeat, finish, goodbye), not ${ctx.method} ${ctx.path}`);
      }
      ctx.state.pilot = launcher;
      return next();
    }
    if (!auth || open.has(ctx.path) || isAuthorized(ctx, auth)) return next();
    challenge(ctx, auth);
    throw new BlError('unauthorized', 'authentication required');
  };
}

/**
 * A launcher protocol request speaks for launcher `name`: a pilot's token only for its own, and
 * a live allocation's launcher only with its token, or the daemon's own credentials.
 */
export function checkLauncherName(ctx: Context, name: string, pilots: PilotGate, auth: Auth | undefined): void {
  const pilot = ctx.state.pilot as string | undefined;
  if (pilot === LAUNCHER_PREFIX) {
    // Its sbatch has not answered yet: any Slurm launcher name that no live allocation holds.
    if (/^slurm-\d+$/.test(name) && !pilots.isAllocationLauncher(name)) return;
    throw new BlError('forbidden', `expected this allocation token to speak for its own launcher, found launcher ${name}`);
  }
  if (pilot !== undefined) {
    if (pilot === name) return;
    throw new BlError('forbidden', `expected this allocation token to speak for launcher ${pilot} (its allocation's), found launcher ${name}`);
  }
  if (!auth && pilots.isAllocationLauncher(name)) {
    throw new BlError('unauthorized', `launcher ${name} is a Slurm allocation's pilot: expected its token (Authorization: Bearer), found none`);
  }
}
