// Text for curl (the seed's bodies), JSON when asked (docs/spec.md "HTTP API").
import type { Context } from 'koa';

export function wantsJson(ctx: Context): boolean {
  if (ctx.query.format === 'json') return true;
  if (ctx.query.format === 'text') return false;
  const accept = ctx.get('Accept');
  return /\bapplication\/json\b/i.test(accept);
}

/** Sends `text` (a trailing newline is added) or `json`, as the client asked. */
export function reply(ctx: Context, text: string, json: unknown, status = 200): void {
  ctx.status = status;
  if (wantsJson(ctx)) {
    ctx.type = 'application/json';
    ctx.body = JSON.stringify(json) + '\n';
  } else {
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = text.endsWith('\n') || text === '' ? text : text + '\n';
  }
}

/** RFC 3339 without milliseconds, as the seed printed times. */
export function rfc3339(ms: number | undefined | null): string {
  if (!ms) return '-';
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `Key:\tValue` lines, the seed's status format. */
export function keyValueLines(pairs: [string, string | number | boolean][]): string {
  return pairs.map(([k, v]) => `${k}:\t${v}`).join('\n');
}
