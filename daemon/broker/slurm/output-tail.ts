// The last line a pilot printed (in state_dir/slurm/<id>.out): most often why it died at start.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const TAIL_BYTES = 4096;
const MAX_CHARS = 200;

/** The last non-empty line, quoted (JSON), cut to 200 characters; '' when there is none. */
export function outputTail(file: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = fstatSync(fd).size;
    const n = Math.min(size, TAIL_BYTES);
    const buf = Buffer.alloc(n);
    readSync(fd, buf, 0, n, size - n);
    const last = buf.toString('utf8').split('\n').map((l) => l.trim()).filter(Boolean).pop();
    return last ? JSON.stringify(last.length > MAX_CHARS ? `${last.slice(0, MAX_CHARS - 1)}…` : last) : '';
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
