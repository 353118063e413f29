// Serving a log file: the last N lines, or a live follow (tail -f) until the client leaves
// or `until()` says the writer is done. Shared by worker logs and job logs.
import { createReadStream, openSync, readSync, closeSync, statSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import type { Context } from 'koa';
import { BlError, describe, describeText } from '../../contract/errors.js';
import { lastLines } from '../../contract/last-lines.js';

const MAX_TAIL_BYTES = 8 * 1024 * 1024;

/** The file's size; 0 when it is not there (yet, or any more). */
function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** The last `n` lines of the first `size` bytes (a follow reads on from `size` itself). */
export function tailLines(file: string, n: number, size = sizeOf(file)): string {
  if (size === 0 || n <= 0) return '';
  const fd = openSync(file, 'r');
  try {
    let pos = size;
    let text = '';
    let lines = 0;
    const chunk = 64 * 1024;
    while (pos > 0 && lines <= n && size - pos < MAX_TAIL_BYTES) {
      const len = Math.min(chunk, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      readSync(fd, buf, 0, len, pos);
      text = buf.toString('utf8') + text;
      lines = text.split('\n').length - 1;
    }
    const last = lastLines(text, n);
    return last.length ? last.join('\n') + '\n' : '';
  } finally {
    closeSync(fd);
  }
}

function parseTail(raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== 'string' || !Number.isInteger(n) || n < 0) throw new BlError('bad_value', `expected \`tail\` to be a non-negative integer, found ${typeof raw === 'string' ? describeText(raw) : describe(raw)}`);
  return n;
}

/** Answers GET …/log with `?tail=N` and `?follow=1`. */
export function serveLog(ctx: Context, file: string, until: () => boolean = () => false): void {
  const tail = parseTail(ctx.query.tail);
  const follow = ctx.query.follow === '1' || ctx.query.follow === 'true';
  ctx.type = 'text/plain; charset=utf-8';
  const size = sizeOf(file);
  if (!follow) {
    if (tail !== undefined) ctx.body = tailLines(file, tail, size);
    else ctx.body = size ? createReadStream(file) : '';
    return;
  }
  const out = new PassThrough();
  ctx.body = out;
  ctx.req.socket.setTimeout(0);
  // What is there now (its tail, or all of it), then whatever comes after `size`.
  // Both up to `size`, the one size looked at: a file that grew (or appeared: a job's log is
  // named once it has run a while) between two looks would give its new part twice.
  out.write(tail !== undefined ? tailLines(file, tail, size) : size ? readRange(file, 0, size) : '');
  let pos = size;
  const timer = setInterval(() => {
    const now = sizeOf(file);
    if (now < pos) pos = 0; // rotated or truncated
    if (now > pos) {
      out.write(readRange(file, pos, now));
      pos = now;
    }
    if (until()) {
      clearInterval(timer);
      out.end();
    }
  }, 200);
  const stop = () => clearInterval(timer);
  ctx.req.on('close', stop);
  out.on('close', stop);
}

function readRange(file: string, from: number, to: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(to - from);
    readSync(fd, buf, 0, to - from, from);
    return buf;
  } finally {
    closeSync(fd);
  }
}
