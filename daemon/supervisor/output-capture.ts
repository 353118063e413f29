// A task's captured output: each worker's stdout and stderr come through pipes the daemon
// reads, cut into lines, written to the task's own log (the lines as they came) and to the
// interleaved log of every task (`TASK PID | line`, as `pm2 logs` shows them), and the last
// lines of each worker kept for the task's last exit. The pipes are read as fast as they fill
// (a worker's writes block only on a full pipe, while the daemon is busy), never dropped.
// A worker's children inherit its pipes: a worker's output ends when the last writer closes.
import path from 'node:path';
import type { Readable } from 'node:stream';
import { acquireLog, releaseLog, LogWriter } from './log-writer.js';
import { lastLinesOf, prefixLines } from './output-lines.js';

/** The interleaved log of every task, beside the folder of the task logs. */
export const ALL_TASKS_LOG = 'tasks.log';
/** Lines kept per worker for its last exit. */
export const RECENT_LINES = 10;
/** A line without its newline is written once its worker said nothing more for this long (a prompt). */
export const PARTIAL_IDLE_MS = 300;
/** A longer line is cut: what a worker writes without a newline is not held without bound. */
export const MAX_LINE_BYTES = 64 * 1024;
/** Lines kept for the last exit are cut here (the log has them whole). */
const RECENT_LINE_CHARS = 1000;

/** One worker's output: its last lines, and when it ended. */
export interface WorkerOutput {
  /** Its last lines so far (up to RECENT_LINES), oldest first. */
  recent(): string[];
  /** Resolves when every writer of its pipes has closed and the last line is written. */
  readonly ended: Promise<void>;
}

export class OutputCapture {
  private taskLog: LogWriter | undefined;
  private allLog: LogWriter | undefined;
  /** Pipes being read, each with what writes out its unfinished line. */
  private readonly streams = new Map<Readable, () => void>();

  constructor(
    private readonly task: string,
    private readonly taskLogFile: string,
  ) {}

  /** Opens both logs before a spawn: a log that cannot be written stops the spawn, as a missing cwd does. */
  open(): void {
    this.taskLog ??= new LogWriter(this.taskLogFile);
    this.taskLog.open();
    this.allLog ??= acquireLog(path.join(path.dirname(path.dirname(this.taskLogFile)), ALL_TASKS_LOG));
    this.allLog.open();
  }

  /** Reads a worker's pipes (one for its stdout and stderr, see socket-pairs.ts) until every writer has closed them. */
  attach(pid: number, pipes: Readable[]): WorkerOutput {
    const recent: string[] = [];
    const prefix = Buffer.from(`${this.task} ${pid} | `);
    const emit = (lines: Buffer) => {
      this.taskLog?.write(lines);
      this.allLog?.write(prefixLines(prefix, lines));
      for (const l of lastLinesOf(lines, RECENT_LINES)) recent.push(l.length > RECENT_LINE_CHARS ? l.slice(0, RECENT_LINE_CHARS) + '…' : l);
      if (recent.length > RECENT_LINES) recent.splice(0, recent.length - RECENT_LINES);
    };
    const ended = Promise.all(pipes.map((p) => this.read(p, emit))).then(() => {});
    return { recent: () => [...recent], ended };
  }

  private read(pipe: Readable, emit: (lines: Buffer) => void): Promise<void> {
    let partial: Buffer | undefined;
    let idle: NodeJS.Timeout | undefined;
    // A cut line ends where it was cut: the log shows what came, a newline added.
    const flushPartial = () => {
      if (idle) clearTimeout(idle);
      idle = undefined;
      if (!partial) return;
      const line = Buffer.allocUnsafe(partial.length + 1);
      partial.copy(line);
      line[partial.length] = 0x0a;
      partial = undefined;
      emit(line);
    };
    this.streams.set(pipe, flushPartial);
    pipe.on('data', (chunk: Buffer) => {
      const data = partial ? Buffer.concat([partial, chunk]) : chunk;
      partial = undefined;
      const lastNl = data.lastIndexOf(0x0a);
      if (lastNl >= 0) emit(data.subarray(0, lastNl + 1));
      if (lastNl + 1 < data.length) {
        // A copy: the rest of a 64 KiB read must not keep the whole read alive.
        partial = Buffer.from(data.subarray(lastNl + 1));
        if (partial.length >= MAX_LINE_BYTES) flushPartial();
        else if (idle) idle.refresh();
        else (idle = setTimeout(flushPartial, PARTIAL_IDLE_MS)).unref();
      } else if (idle) {
        clearTimeout(idle);
        idle = undefined;
      }
    });
    // Read from now on (a pipe made ahead is paused until it has a worker), and waited for.
    pipe.resume();
    (pipe as Readable & { ref?: () => void }).ref?.();
    return new Promise<void>((resolve) => {
      const done = () => {
        flushPartial();
        this.streams.delete(pipe);
        resolve();
      };
      pipe.once('end', done);
      // A read error (none expected on a pipe) ends the capture as EOF does; close covers a destroy.
      pipe.once('error', () => pipe.destroy());
      pipe.once('close', done);
    });
  }

  /** Writes what is queued and lets go of the logs; pipes still open (an escaped writer) are closed. */
  close(): void {
    for (const [pipe, flushPartial] of this.streams) {
      flushPartial();
      pipe.destroy();
    }
    this.streams.clear();
    this.taskLog?.close();
    this.taskLog = undefined;
    if (this.allLog) releaseLog(this.allLog);
    this.allLog = undefined;
  }
}
