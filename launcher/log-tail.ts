// The end of a job's log, sent with its finish report: the log lives on the launcher's host,
// and this way `GET /jobs/:id/log` at the daemon shows how a remote job ended.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** Bytes of a log sent to the daemon at most: the end is what says how a job ended. */
export const LOG_TAIL_MAX = 64 * 1024;

/** The last `max` bytes of `file` (whole lines when cut), and how many bytes came before. */
export function logTail(file: string, max = LOG_TAIL_MAX): { text: string; skipped: number } {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return { text: '', skipped: 0 };
  }
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, max);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    let start = 0;
    if (size > len) {
      // Start at a line, or failing that at a whole character: a cut one reads as garbage.
      const nl = buf.indexOf(0x0a);
      if (nl >= 0 && nl < len - 1) start = nl + 1;
      else while (start < len && (buf[start]! & 0xc0) === 0x80) start++;
    }
    const text = buf.subarray(start).toString('utf8');
    const skipped = size - len + start;
    return { text, skipped };
  } finally {
    closeSync(fd);
  }
}
