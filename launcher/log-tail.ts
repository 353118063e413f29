// The end of a job's log, sent with its finish report: the log lives on the launcher's host,
// and this way `GET /jobs/:id/log` at the daemon shows how a remote job ended. A log its spawn
// helper rotated (log_max_bytes) may have just begun a new file: what that one lacks comes from
// the end of `<file>.1`.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** Bytes of a log sent to the daemon at most: the end is what says how a job ended. */
export const LOG_TAIL_MAX = 64 * 1024;

/** The last `max` bytes of `file` (as it is and, when short, its rotated `.1`) read, and the bytes before them. */
function lastBytes(file: string, max: number): { buf: Buffer; before: number } | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, max);
    const buf = Buffer.alloc(len);
    const got = readSync(fd, buf, 0, len, size - len);
    return { buf: buf.subarray(0, got), before: size - len };
  } finally {
    closeSync(fd);
  }
}

/** The last `max` bytes of `file` (whole lines when cut), and how many bytes came before. */
export function logTail(file: string, max = LOG_TAIL_MAX): { text: string; skipped: number } {
  const cur = lastBytes(file, max);
  if (!cur) return { text: '', skipped: 0 };
  let buf = cur.buf;
  let before = cur.before;
  if (buf.length < max) {
    const older = lastBytes(`${file}.1`, max - buf.length);
    if (older) {
      buf = Buffer.concat([older.buf, buf]);
      before = older.before;
    }
  }
  let start = 0;
  if (before > 0) {
    // Start at a line, or failing that at a whole character: a cut one reads as garbage.
    const nl = buf.indexOf(0x0a);
    if (nl >= 0 && nl < buf.length - 1) start = nl + 1;
    else while (start < buf.length && (buf[start]! & 0xc0) === 0x80) start++;
  }
  return { text: buf.subarray(start).toString('utf8'), skipped: before + start };
}
