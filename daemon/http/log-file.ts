// Serving a log file: the last N lines, or a live follow (tail -f) until the client leaves
// or `until()` says the writer is done. Shared by worker logs and job logs. A log the daemon
// rotates (moved to `<file>.1` at its size limit) is read across the move: a tail takes what
// the new file lacks from the old one, a follow reads the end of the old one before the new.
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

/** The rotated log beside a log (log-writer.ts). */
const rotated = (file: string) => file + '.1';

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

/** The last `n` lines across a rotation: those the file has, the rest from the file before it. */
export function tailAcross(file: string, n: number, size = sizeOf(file)): string {
  const current = tailLines(file, n, size);
  let have = 0;
  for (let i = current.indexOf('\n'); i >= 0; i = current.indexOf('\n', i + 1)) have++;
  // A file bigger than what a tail reads was not read to its start: its older lines are not missing.
  return have >= n || size > MAX_TAIL_BYTES ? current : tailLines(rotated(file), n - have) + current;
}

/** Answers GET …/log with `?tail=N` (`defaultTail` when none is given) and `?follow=1`. */
export function serveLog(ctx: Context, file: string, until: () => boolean = () => false, defaultTail?: number): void {
  const tail = parseTail(ctx.query.tail) ?? defaultTail;
  const follow = ctx.query.follow === '1' || ctx.query.follow === 'true';
  ctx.type = 'text/plain; charset=utf-8';
  const first = statSync(file, { throwIfNoEntry: false });
  const size = first?.size ?? 0;
  if (!follow) {
    if (tail !== undefined) ctx.body = tailAcross(file, tail, size);
    else ctx.body = size ? createReadStream(file) : '';
    return;
  }
  const out = new PassThrough();
  ctx.body = out;
  ctx.req.socket.setTimeout(0);
  // The answer starts now, not with the first line: a follow of a quiet log is open at once.
  ctx.flushHeaders();
  // What is there now (its tail, or all of it), then whatever comes after `size`.
  // Both up to `size`, the one size looked at: a file that grew (or appeared: a job's log is
  // named once it has run a while) between two looks would give its new part twice.
  out.write(tail !== undefined ? tailAcross(file, tail, size) : size ? readRange(file, 0, size) : '');
  let pos = size;
  let ino = first?.ino;
  const timer = setInterval(() => {
    const st = statSync(file, { throwIfNoEntry: false });
    const now = st?.size ?? 0;
    if (ino !== undefined && st?.ino !== ino) {
      // Rotated: what was written after the last look is at the end of the old file.
      const old = statSync(rotated(file), { throwIfNoEntry: false });
      if (old?.ino === ino && old.size > pos) out.write(readRange(rotated(file), pos, old.size));
      pos = 0;
    } else if (now < pos) pos = 0; // truncated
    ino = st?.ino;
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
