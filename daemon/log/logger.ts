// The daemon's log: levelled entries, one line each, to stderr (or the sink a test gives) and,
// once the state dir is locked, to state_dir/bl-daemon.log. Lines logged before the file is
// opened (the start-up's) are kept and written to it first.
import { formatLine, type LogEntry } from './format-line.js';
import { passes, type Level } from './level.js';
import { LogFile } from './log-file.js';

export interface LoggerOptions {
  /** The least severe level written (default info). */
  level?: Level;
  /** JSON lines instead of human text. */
  json?: boolean;
  /** Where each line goes besides the file (default: stderr). */
  write?: (line: string) => void;
}

/** Start-up lines kept for the file: a daemon that never opens one must not grow. */
const EARLY_MAX = 200;

export class Logger {
  readonly level: Level;
  readonly json: boolean;
  private readonly out: (line: string) => void;
  private file: LogFile | undefined;
  private early: string[] | undefined = [];
  private fileFailing = false;

  constructor(o: LoggerOptions = {}) {
    this.level = o.level ?? 'info';
    this.json = o.json ?? false;
    this.out = o.write ?? ((line) => process.stderr.write(line + '\n'));
  }

  enabled(level: Level): boolean {
    return passes(level, this.level);
  }

  error(msg: string, fields?: Record<string, unknown>): void {
    this.entry({ time: Date.now(), level: 'error', msg, fields });
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    this.entry({ time: Date.now(), level: 'warn', msg, fields });
  }
  info(msg: string, fields?: Record<string, unknown>): void {
    this.entry({ time: Date.now(), level: 'info', msg, fields });
  }
  debug(msg: string, fields?: Record<string, unknown>): void {
    this.entry({ time: Date.now(), level: 'debug', msg, fields });
  }

  entry(e: LogEntry): void {
    if (!passes(e.level, this.level)) return;
    const line = formatLine(e, this.json);
    this.out(line);
    if (this.file) this.toFile(line);
    else if (this.early && this.early.length < EARLY_MAX) this.early.push(line);
  }

  /** From now on every line is appended to `file` too, the start-up's first. */
  openFile(file: string, maxBytes?: number): void {
    this.closeFile();
    this.file = new LogFile(file, maxBytes);
    for (const line of this.early ?? []) this.toFile(line);
    this.early = undefined;
  }

  closeFile(): void {
    this.file?.close();
    this.file = undefined;
  }

  private toFile(line: string): void {
    try {
      this.file!.write(line);
      this.fileFailing = false;
    } catch (e) {
      // A full disk must not stop the daemon: said once on stderr, tried again at each line.
      if (!this.fileFailing) {
        this.fileFailing = true;
        this.out(formatLine({ time: Date.now(), level: 'error', msg: `cannot write the log file ${this.file!.file}: ${(e as Error).message}; lines go to stderr only until it can` }, this.json));
      }
    }
  }
}
