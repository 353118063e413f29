// A rotated log as one text (log/rotations.ts): the files opened newest first and held by fd,
// so a rotation while they are read renames them under the reader without changing what it
// reads. A tail reads backwards from the end of the newest in bounded chunks, into older files
// when the newest holds fewer lines than asked, up to MAX_TAIL_BYTES in all.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { lastLines } from '../../contract/last-lines.js';
import { LOG_MAX_KEEP, rotatedPath } from '../../runner/log-files.js';

export const MAX_TAIL_BYTES = 8 * 1024 * 1024;
export const CHUNK_BYTES = 64 * 1024;
/** Rotated files looked for beside a log: more than any `log_keep` a config sensibly asks for. */


export interface OpenFile {
  fd: number;
  ino: number;
  /** Its size when opened (the newest may grow). */
  size: number;
}

function tryOpen(file: string): OpenFile | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  const st = fstatSync(fd);
  return { fd, ino: st.ino, size: st.size };
}

export function closeAll(files: OpenFile[]): void {
  for (const f of files) closeSync(f.fd);
}

/**
 * The log's files, newest first: `file` and, with `rotated`, `file.1`, `file.2`… while they
 * exist. A rotation between two opens would give one file twice or skip one: seen by the
 * inodes, and opened again.
 */
export function openChain(file: string, rotated: boolean): OpenFile[] {
  for (;;) {
    const out: OpenFile[] = [];
    const current = tryOpen(file);
    if (!current) return [];
    out.push(current);
    let moved = false;
    for (let i = 1; rotated && i <= LOG_MAX_KEEP; i++) {
      const f = tryOpen(rotatedPath(file, i));
      if (!f) break;
      if (out.some((o) => o.ino === f.ino)) {
        moved = true;
        closeSync(f.fd);
        break;
      }
      out.push(f);
    }
    if (!moved) return out;
    closeAll(out);
  }
}

/**
 * The last `n` lines of the chain, newest file read up to `upTo` bytes (where a follow goes on
 * from). At most MAX_TAIL_BYTES are read: a longer last line comes cut at its start.
 */
export function tailOfChain(chain: OpenFile[], n: number, upTo = chain[0]?.size ?? 0): string {
  if (n <= 0 || chain.length === 0) return '';
  const parts: Buffer[] = [];
  let newlines = 0;
  let total = 0;
  for (let i = 0; i < chain.length && newlines <= n && total < MAX_TAIL_BYTES; i++) {
    const f = chain[i]!;
    let pos = i === 0 ? upTo : f.size;
    // A file that does not end in a newline (one rotated mid-line, or the newest's last line
    // still being written) joins the next one's start: only whole lines count.
    while (pos > 0 && newlines <= n && total < MAX_TAIL_BYTES) {
      const len = Math.min(CHUNK_BYTES, pos, MAX_TAIL_BYTES - total);
      pos -= len;
      const buf = Buffer.allocUnsafe(len);
      const got = readSync(f.fd, buf, 0, len, pos);
      const chunk = buf.subarray(0, got);
      parts.unshift(chunk);
      total += got;
      for (let j = chunk.indexOf(0x0a); j >= 0; j = chunk.indexOf(0x0a, j + 1)) newlines++;
    }
  }
  const last = lastLines(Buffer.concat(parts, total).toString('utf8'), n);
  return last.length ? last.join('\n') + '\n' : '';
}

/** The last `n` lines of a log and its rotated files, as they are now. */
export function tailLog(file: string, n: number, rotated = true): string {
  const chain = openChain(file, rotated);
  try {
    return tailOfChain(chain, n);
  } finally {
    closeAll(chain);
  }
}
