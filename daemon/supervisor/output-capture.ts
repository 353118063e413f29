// A task's captured output: each worker's stdout and stderr come through one channel the
// daemon reads (output-channels.ts), cut into lines, written to the task's own log (the bytes as
// they came) and to the interleaved log of every task (`TASK PID | line`, as `pm2 logs` shows
// them), and the last lines of each worker kept for the task's last exit. A channel is read as
// fast as it fills (a worker's writes block only on a full one, while the daemon is busy),
// never dropped. A worker's children inherit it: a worker's output ends when the last writer
// closes it, which may be after the worker's exit.
import path from 'node:path';
import type { Readable } from 'node:stream';
import { acquireLog, releaseLog, LogWriter, type LogLimits } from './log-writer.js';
import { countLines, lastErrorLine, lastLinesOf, prefixLines } from './output-lines.js';
import { stampText } from '../../runner/spawn-helpers/line-stamps.js';

/** The interleaved log of every task, beside the folder of the task logs. */
export const ALL_TASKS_LOG = 'tasks.log';
/** Lines kept per worker for its last exit. */
export const RECENT_LINES = 10;
/** A line without its newline is written once its worker said nothing more for this long (a prompt). */
export const PARTIAL_IDLE_MS = 500;
/** A longer line is cut: what a worker writes without a newline is not held without bound. */
export const MAX_LINE_BYTES = 64 * 1024;
/** Lines kept for the last exit are cut here (the log has them whole). */
const RECENT_LINE_CHARS = 1000;
/**
 * A line that says what went wrong counts for the last exit's message when no more than this
 * many lines followed it: a stack trace under it, a runtime's farewell (Node's version line).
 */
export const ERROR_LINE_WINDOW = 100;
const ERROR_LINE_CHARS = 200;

/** One worker's output: its last lines, and when it ended. */
export interface WorkerOutput {
  /** Its last lines so far (up to RECENT_LINES), oldest first. */
  recent(): string[];
  /** Its last line that said what went wrong, if no more than ERROR_LINE_WINDOW lines came after it. */
  errorLine(): string | undefined;
  /** Resolves when every writer of its channel has closed it and the last line is written. */
  readonly ended: Promise<void>;
}

/** A task's log settings (log_max_bytes, log_keep, log_timestamps), read as they are now. */
export interface CaptureSettings extends LogLimits {
  timestamps: boolean;
}

export class OutputCapture {
  private taskLog: LogWriter | undefined;
  private allLog: LogWriter | undefined;
  /** Channels being read, each with what writes out its unfinished line. */
  private readonly streams = new Map<Readable, () => void>();

  constructor(
    private readonly task: string,
    private readonly taskLogFile: string,
    private readonly settings: () => CaptureSettings = () => ({ maxBytes: 16 * 1024 * 1024, keep: 3, timestamps: false }),
  ) {}

  /** Opens both logs before a spawn: a log that cannot be written stops the spawn, as a missing cwd does. */
  open(): void {
    this.taskLog ??= new LogWriter(this.taskLogFile, this.settings);
    this.taskLog.open();
    this.allLog ??= acquireLog(path.join(path.dirname(path.dirname(this.taskLogFile)), ALL_TASKS_LOG));
    this.allLog.open();
  }

  /** Reads a worker's output channel (its stdout and stderr both, see output-channels.ts) until every writer has closed it. */
  attach(pid: number, pipe: Readable): WorkerOutput {
    const recent: string[] = [];
    const prefix = Buffer.from(`${this.task} ${pid} | `);
    let count = 0;
    let error: { text: string; line: number } | undefined;
    /** The start of a line not written anywhere yet. */
    let partial: Buffer | undefined;
    /** The task log's last line is unfinished: its start was written when it idled. */
    let open = false;
    let idle: NodeJS.Timeout | undefined;

    const remember = (lines: Buffer, n: number) => {
      count += n;
      for (const l of lastLinesOf(lines, RECENT_LINES)) recent.push(cut(l, RECENT_LINE_CHARS));
      if (recent.length > RECENT_LINES) recent.splice(0, recent.length - RECENT_LINES);
      const e = lastErrorLine(lines, ERROR_LINE_WINDOW);
      if (e) error = { text: cut(e.text, ERROR_LINE_CHARS), line: count - e.after };
    };
    // With log_timestamps, each line starts with the time it was read (a line whose start was
    // written before, a prompt, keeps the time of its start).
    const stamp = (): Buffer | undefined => (this.settings().timestamps ? Buffer.from(stampText(Date.now())) : undefined);
    const wholeLines = (lines: Buffer) => {
      const n = countLines(lines);
      const ts = stamp();
      if (ts) {
        const rest = open ? lines.indexOf(0x0a) + 1 : 0;
        if (rest > 0) this.taskLog?.write(lines.subarray(0, rest));
        this.taskLog?.write(prefixLines(ts, lines.subarray(rest), rest > 0 ? n - 1 : n));
        this.allLog?.write(prefixLines(Buffer.concat([prefix, ts]), lines, n));
      } else {
        this.taskLog?.write(lines);
        this.allLog?.write(prefixLines(prefix, lines, n));
      }
      remember(lines, n);
      open = false;
    };
    // An unfinished line that idled (a prompt), grew too long or ended the output: the
    // interleaved log shows it as a line of its own (others follow it there); the task's log
    // gets its bytes as they came, the rest of the line after them (a newline at the end).
    const cutLine = (atEnd: boolean) => {
      if (idle) clearTimeout(idle);
      idle = undefined;
      if (partial) {
        const line = Buffer.concat([partial, NEWLINE]);
        const ts = stamp();
        this.taskLog?.write(ts && !open ? Buffer.concat([ts, partial]) : partial);
        this.allLog?.write(prefixLines(ts ? Buffer.concat([prefix, ts]) : prefix, line, 1));
        remember(line, 1);
        partial = undefined;
        open = true;
      }
      if (atEnd && open) {
        this.taskLog?.write(NEWLINE);
        open = false;
      }
    };

    pipe.on('data', (chunk: Buffer) => {
      const data = partial ? Buffer.concat([partial, chunk]) : chunk;
      partial = undefined;
      const lastNl = data.lastIndexOf(0x0a);
      if (lastNl >= 0) wholeLines(data.subarray(0, lastNl + 1));
      if (lastNl + 1 < data.length) {
        // A copy: the rest of a 64 KiB read must not keep the whole read alive.
        partial = Buffer.from(data.subarray(lastNl + 1));
        if (partial.length >= MAX_LINE_BYTES) cutLine(false);
        else if (idle) idle.refresh();
        else (idle = setTimeout(() => cutLine(false), PARTIAL_IDLE_MS)).unref();
      } else if (idle) {
        clearTimeout(idle);
        idle = undefined;
      }
    });
    this.streams.set(pipe, () => cutLine(true));
    // Read from now on (a channel made ahead is paused until it has a worker), and waited for.
    pipe.resume();
    (pipe as Readable & { ref?: () => void }).ref?.();
    const ended = new Promise<void>((resolve) => {
      const done = () => {
        if (this.streams.delete(pipe)) cutLine(true);
        resolve();
      };
      pipe.once('end', done);
      // A read error (none expected) ends the capture as EOF does; close covers a destroy.
      pipe.once('error', () => pipe.destroy());
      pipe.once('close', done);
    });
    return {
      recent: () => [...recent],
      errorLine: () => (error && count - error.line < ERROR_LINE_WINDOW ? error.text : undefined),
      ended,
    };
  }

  /** Writes what is queued and lets go of the logs; pipes still open (an escaped writer) are closed. */
  close(): void {
    const open = [...this.streams];
    this.streams.clear();
    for (const [pipe, endLine] of open) {
      endLine();
      pipe.destroy();
    }
    this.taskLog?.close();
    this.taskLog = undefined;
    if (this.allLog) releaseLog(this.allLog);
    this.allLog = undefined;
  }
}

const NEWLINE = Buffer.from('\n');
const cut = (s: string, max: number) => (s.length > max ? s.slice(0, max) + '…' : s);
