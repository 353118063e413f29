// An append-only log file the daemon writes for its workers: a task's log and the interleaved
// log of every task. What comes within one turn of the event loop goes in one write(2), synced
// (page cache): a disk that lags holds the loop, the loop stops reading the workers' pipes, and
// the workers block on a full pipe — output is slowed, never dropped. At `rotateBytes` the file
// moves to `<file>.1` (the older ones one place on, the one past `keep` removed) and a new one
// starts: a rotation is renames, which take no time from the writer whatever the size, and
// which a reader that has a file open does not notice (log/rotations.ts, http/log-follow.ts).
import { closeSync, fstatSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { rotationHistory, type RotationHistory } from '../log/rotations.js';
import { rotateFiles } from '../../runner/log-files.js';

export const LOG_ROTATE_BYTES = 16 * 1024 * 1024;
/** Rotated files kept beside the one being written. */
export const LOG_KEEP = 3;

export interface LogLimits {
  /** A file is rotated once it reaches this many bytes. */
  maxBytes: number;
  /** Rotated files kept (`<file>.1` … `<file>.<keep>`); 0: the file is emptied and begun again. */
  keep: number;
}
/** Queued bytes written at once rather than at the end of the turn. */
const FLUSH_BYTES = 256 * 1024;
/** How often the path is looked at: removed or replaced under us (logrotate), the file is opened again. */
const RECHECK_MS = 1000;

export class LogWriter {
  private fd: number | undefined;
  private ino = 0;
  private size = 0;
  private checkedAt = 0;
  private queue: Buffer[] = [];
  private queued = 0;
  private scheduled = false;
  private failed = false;
  private readonly history: RotationHistory;

  constructor(
    readonly file: string,
    /** Read at each write: a reload's new limits apply to the file being written. */
    private readonly limits: () => LogLimits = () => ({ maxBytes: LOG_ROTATE_BYTES, keep: LOG_KEEP }),
  ) {
    this.history = rotationHistory(file);
  }

  /** Opens the file now (creating its folder): throws when it cannot be written. */
  open(): void {
    if (this.fd !== undefined) return;
    mkdirSync(path.dirname(this.file), { recursive: true });
    this.fd = openSync(this.file, 'a');
    const st = fstatSync(this.fd);
    this.ino = st.ino;
    this.size = st.size;
    this.checkedAt = Date.now();
    this.history.opened(this.ino);
  }

  write(data: Buffer): void {
    if (data.length === 0) return;
    this.queue.push(data);
    this.queued += data.length;
    if (this.queued >= FLUSH_BYTES) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes what is queued now. */
  flush(): void {
    this.scheduled = false;
    if (this.queued === 0) return;
    const data = this.queue.length === 1 ? this.queue[0]! : Buffer.concat(this.queue, this.queued);
    this.queue = [];
    this.queued = 0;
    try {
      this.recheck();
      this.open();
      for (let off = 0; off < data.length; ) off += writeSync(this.fd!, data, off, data.length - off);
      this.size += data.length;
      if (this.size >= this.limits().maxBytes) this.rotate();
      this.failed = false;
    } catch (e) {
      // Said once until a write works again: a full disk must not flood the daemon's stderr.
      if (!this.failed) console.error(`bl-daemon: cannot write ${this.file}: ${(e as Error).message}`);
      this.failed = true;
      this.closeFd();
    }
  }

  close(): void {
    this.flush();
    this.closeFd();
  }

  private rotate(): void {
    this.history.closed(this.ino, this.size);
    this.closeFd();
    rotateFiles(this.file, this.limits().keep);
    this.open();
  }

  private recheck(): void {
    const now = Date.now();
    if (this.fd === undefined || now - this.checkedAt < RECHECK_MS) return;
    this.checkedAt = now;
    const st = statSync(this.file, { throwIfNoEntry: false });
    if (!st || st.ino !== this.ino) {
      this.history.closed(this.ino, this.size);
      this.closeFd();
    }
    else this.size = st.size; // truncated in place (copytruncate) starts the count again
  }

  private closeFd(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

const shared = new Map<string, { writer: LogWriter; refs: number }>();

/** A writer several owners share (every task writes the interleaved log): released by each. */
export function acquireLog(file: string): LogWriter {
  let e = shared.get(file);
  if (!e) {
    e = { writer: new LogWriter(file), refs: 0 };
    shared.set(file, e);
  }
  e.refs++;
  return e.writer;
}

export function releaseLog(writer: LogWriter): void {
  const e = shared.get(writer.file);
  if (!e || e.writer !== writer) return;
  if (--e.refs > 0) {
    writer.flush();
    return;
  }
  shared.delete(writer.file);
  writer.close();
}
