// Serving a log: the last N lines, all of it, or a live follow (tail -F) until the client
// leaves or `until()` says the writer is done. Shared by worker logs and job logs. A rotated log
// (log/rotations.ts) is read across its files: a tail takes what the newest lacks from the ones
// before it (log-chain.ts), a follow goes from file to file without losing or repeating a line
// (log-follow.ts). Nothing reads a whole log into memory: files are streamed or read in chunks.
import { createReadStream } from 'node:fs';
import { PassThrough } from 'node:stream';
import type { Context } from 'koa';
import { BlError, describe, describeText } from '../../contract/errors.js';
import { closeAll, openChain, tailOfChain } from './log-chain.js';
import { followLog } from './log-follow.js';

function parseTail(raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== 'string' || !Number.isInteger(n) || n < 0) throw new BlError('bad_value', `expected \`tail\` to be a non-negative integer, found ${typeof raw === 'string' ? describeText(raw) : describe(raw)}`);
  return n;
}

export interface ServeLogOptions {
  /** True when the writer is done: a follow ends there. */
  until?: () => boolean;
  /** Lines when no `tail` is given (undefined: the whole of the newest file). */
  defaultTail?: number;
  /** The log is rotated (`<file>.1` …): tails and follows read across its files. */
  rotated?: boolean;
}

/** Answers GET …/log with `?tail=N` (`defaultTail` when none is given) and `?follow=1`. */
export function serveLog(ctx: Context, file: string, o: ServeLogOptions = {}): void {
  const tail = parseTail(ctx.query.tail) ?? o.defaultTail;
  const follow = ctx.query.follow === '1' || ctx.query.follow === 'true';
  const rotated = o.rotated ?? true;
  ctx.type = 'text/plain; charset=utf-8';
  // Only the newest file is needed unless a tail may reach into the older ones.
  const chain = openChain(file, rotated && tail !== undefined);
  const newest = chain[0];
  if (!follow) {
    if (tail !== undefined) {
      try {
        ctx.body = tailOfChain(chain, tail);
      } finally {
        closeAll(chain);
      }
      return;
    }
    if (!newest || newest.size === 0) {
      closeAll(chain);
      ctx.body = '';
      return;
    }
    closeAll(chain.slice(1));
    // The file held open, streamed from it: a rotation meanwhile does not cut the answer.
    ctx.body = createReadStream('', { fd: newest.fd, start: 0, end: newest.size - 1 });
    return;
  }
  const out = new PassThrough();
  ctx.body = out;
  ctx.req.socket.setTimeout(0);
  // The answer starts now, not with the first line: a follow of a quiet log is open at once.
  ctx.flushHeaders();
  // The tail up to the size looked at, then everything after it; without a tail, from the start
  // of the newest file (streamed by the follower itself, in chunks).
  let from = 0;
  if (tail !== undefined) {
    out.write(tailOfChain(chain, tail));
    from = newest?.size ?? 0;
  }
  closeAll(chain.slice(1));
  const stop = followLog(out, { file, start: newest, from, until: o.until ?? (() => false) });
  ctx.req.on('close', stop);
}
