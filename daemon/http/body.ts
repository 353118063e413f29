// Reads a request body with a size limit; a body over the limit is a 413, not a crash.
import type { Context } from 'koa';
import { BlError, describeText } from '../../contract/errors.js';

export const DEFAULT_BODY_LIMIT = 4 * 1024 * 1024;
/** Deeper than any body the API takes; what reads a parsed body recurses, and 100,000 levels overflow its stack. */
export const MAX_JSON_DEPTH = 64;
/** What is read and thrown away of a body over the limit, so the client reads the 413 instead of a reset. */
const DRAIN_LIMIT = 64 * 1024 * 1024;

export async function readText(ctx: Context, limit = DEFAULT_BODY_LIMIT): Promise<string> {
  const declared = Number(ctx.get('Content-Length') || 0);
  if (declared > limit) throw new BlError('too_large', `request body of ${declared} bytes is over the limit of ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      // A chunked body says its size only by sending it: the rest is read and dropped (up to a
      // bound), since a socket closed with unread data resets, and the client never sees why.
      for await (const more of ctx.req) {
        size += (more as Buffer).length;
        if (size > limit + DRAIN_LIMIT) {
          ctx.set('Connection', 'close');
          break;
        }
      }
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
  checkJsonDepth(text);
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

/** A 400 for JSON text nested deeper than any body the API takes. */
export function checkJsonDepth(text: string): void {
  if (jsonDepth(text) > MAX_JSON_DEPTH) {
    throw new BlError('bad_json', `expected a JSON body nested at most ${MAX_JSON_DEPTH} deep, found one nested deeper`);
  }
}

/** The deepest nesting of arrays and objects in JSON text (brackets in strings do not count). */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) max = depth;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}
