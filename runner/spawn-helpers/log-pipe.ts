// A piped job log in the Node helper (spawn-helper.py's LogPipe is the same in Python): a job
// whose request asks for rotation or timestamps (SpawnRequest.output) writes into a pipe, and
// its helper, its keeper, copies the pipe into the log, stamping each line with the time it was
// read and moving the log to <log>.1 … <log>.<keep> by renames at maxBytes (the names and order
// of task logs). Writes are synchronous: a slow disk holds this helper, the pipe fills and the
// job's writes wait — slowed, never dropped. Node has no call that makes a pipe: a FIFO made by
// `mkfifo`, opened at both ends and unlinked at once, is one.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, fstatSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { LogOutput } from '../../contract/run.js';
import { rotationCut, stampLines, stampText } from './line-stamps.js';
import { rotateFiles } from '../log-files.js';

const READ_BYTES = 64 * 1024;

const open = new Set<LogPipe>();

/** Pipes still copying (a job's, or what processes it left hold open). */
export const openPipes = (): number => open.size;

/** Copies what every pipe holds now and lets them go (the helper is about to exit). */
export function closePipes(): void {
  for (const p of [...open]) p.close();
}

export class LogPipe {
  private fd: number | undefined;
  private size: number;
  private atLineStart = true;
  private failed = false;
  private readonly readFd: number;
  /** The job's stdout and stderr; closed once it has spawned. */
  writeFd: number | undefined;
  private reader: net.Socket | undefined;
  private closed = false;

  /** Opens the log and makes the pipe; throws when either cannot be. */
  constructor(
    private readonly file: string,
    private readonly o: LogOutput,
  ) {
    this.fd = openSync(file, 'a');
    this.size = fstatSync(this.fd).size;
    const fifo = path.join(os.tmpdir(), `bl-log-pipe-${process.pid}-${randomBytes(8).toString('hex')}`);
    try {
      execFileSync('mkfifo', ['-m', '600', '--', fifo], { stdio: 'ignore' });
      this.readFd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
      // Blocking: the job's writes wait on a full pipe. A reader is open, so this returns at once.
      this.writeFd = openSync(fifo, constants.O_WRONLY);
    } catch (e) {
      closeSync(this.fd);
      throw new Error(`cannot make the pipe for its log: ${(e as Error).message}`);
    } finally {
      rmSync(fifo, { force: true });
    }
    open.add(this);
  }

  /** Bytes written as they are (the attempt header). */
  writeRaw(data: string): void {
    this.put(Buffer.from(data));
  }

  /** The job has its copy of the write end: this one goes, and the pipe is read as it fills. */
  started(): void {
    this.closeWriteEnd();
    this.reader = new net.Socket({ fd: this.readFd, readable: true, writable: false });
    this.reader.on('data', (chunk: Buffer) => this.copy(chunk));
    this.reader.on('error', () => this.close());
    this.reader.on('end', () => this.close());
  }

  /**
   * Copies what the pipe holds now, read past the socket (the job was reaped: all it wrote is
   * in the pipe, and its exit is told only after): bounded, for processes it left writing on.
   */
  drain(limit = 64): void {
    if (!this.closed && this.readAvailable(limit)) this.close();
  }

  /** Copies up to `limit` reads of what the pipe holds; true at its end (every writer gone). */
  private readAvailable(limit: number): boolean {
    const buf = Buffer.allocUnsafe(READ_BYTES);
    for (let i = 0; i < limit; i++) {
      let n: number;
      try {
        n = readSync(this.readFd, buf, 0, READ_BYTES, null);
      } catch {
        return false; // EAGAIN: empty for now
      }
      if (n === 0) return true;
      this.copy(Buffer.from(buf.subarray(0, n)));
    }
    return false;
  }

  /** The job did not start: what it was told (written into the pipe) goes to the log. */
  abandon(): void {
    this.closeWriteEnd();
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.readAvailable(64);
    this.closed = true;
    open.delete(this);
    this.closeWriteEnd();
    if (this.reader) this.reader.destroy();
    else closeSync(this.readFd);
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private closeWriteEnd(): void {
    if (this.writeFd !== undefined) closeSync(this.writeFd);
    this.writeFd = undefined;
  }

  private copy(chunk: Buffer): void {
    if (!this.o.timestamps) return this.put(chunk);
    const s = stampLines(chunk, Buffer.from(stampText(Date.now())), this.atLineStart);
    this.atLineStart = s.atLineStart;
    this.put(s.out);
  }

  private put(data: Buffer): void {
    while (data.length > 0) {
      const cut = rotationCut(this.size, this.o.maxBytes, data, READ_BYTES);
      this.writeAll(data.subarray(0, cut.write));
      data = data.subarray(cut.write);
      if (cut.rotate) this.rotate();
    }
  }

  private writeAll(data: Buffer): void {
    try {
      if (this.fd === undefined) this.reopen();
      for (let off = 0; off < data.length; ) {
        const n = writeSync(this.fd!, data, off, data.length - off);
        off += n;
        this.size += n;
      }
      this.failed = false;
    } catch (e) {
      // A full disk: said once until a write works again, the output meanwhile lost.
      if (!this.failed) process.stderr.write(`bl: cannot write the log ${this.file}: ${(e as Error).message}\n`);
      this.failed = true;
    }
  }

  private reopen(): void {
    this.fd = openSync(this.file, 'a');
    this.size = fstatSync(this.fd).size;
  }

  private rotate(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    // A rename refused: the next write says so.
    rotateFiles(this.file, this.o.keep);
    try {
      this.reopen();
    } catch {
      // the next write tries again, and says why it cannot
    }
  }
}
