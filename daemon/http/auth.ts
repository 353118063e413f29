// Bearer token and/or basic credentials; every route but /healthz needs them when set.
// Compared in constant time (hashes of equal length), and a failure says nothing more.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import { BlError } from '../../contract/errors.js';

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

export function authMiddleware(auth: Auth | undefined, open: Set<string>): Middleware {
  return async (ctx, next) => {
    if (!auth || open.has(ctx.path) || isAuthorized(ctx, auth)) return next();
    challenge(ctx, auth);
    throw new BlError('unauthorized', 'authentication required');
  };
}
