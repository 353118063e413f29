// Reads a request body with a size limit; a body over the limit is a 413, not a crash.
import type { Context } from 'koa';
import { BlError, describeText } from '../../contract/errors.js';

export const DEFAULT_BODY_LIMIT = 4 * 1024 * 1024;

export async function readText(ctx: Context, limit = DEFAULT_BODY_LIMIT): Promise<string> {
  const declared = Number(ctx.get('Content-Length') || 0);
  if (declared > limit) throw new BlError('too_large', `request body of ${declared} bytes is over the limit of ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      ctx.req.destroy();
      throw new BlError('too_large', `request body is over the limit of ${limit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses a JSON body; an empty body is `undefined`. */
export async function readJson(ctx: Context, limit = DEFAULT_BODY_LIMIT): Promise<unknown> {
  const text = await readText(ctx, limit);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new BlError('bad_json', `expected a JSON body, found invalid JSON: ${(e as Error).message}`);
  }
}

export function isJsonRequest(ctx: Context): boolean {
  return /\bjson\b/i.test(ctx.get('Content-Type'));
}

/** A route parameter that must be a non-negative integer. */
export function intParam(name: string, raw: string | undefined, min = 0): number {
  const n = Number(raw);
  if (raw === undefined || raw.trim() === '' || !Number.isInteger(n) || n < min) {
    throw new BlError('bad_value', `expected \`${name}\` to be an integer ≥ ${min}, found ${describeText(raw)}`);
  }
  return n;
}
