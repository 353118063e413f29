// The daemon's log file (state_dir/bl-daemon.log): appended to with one synchronous write per
// line, so a line logged just before an exit is on disk; at `maxBytes` it is renamed to
// `.1` (replacing the one before) and a new file is begun: at most two files, bounded.
import { closeSync, fstatSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';

export const LOG_ROTATE_BYTES = 4 * 1024 * 1024;

export class LogFile {
  private fd: number;
  private size: number;

  constructor(
    readonly file: string,
    private readonly maxBytes = LOG_ROTATE_BYTES,
  ) {
    mkdirSync(path.dirname(file), { recursive: true });
    this.fd = openSync(file, 'a');
    this.size = fstatSync(this.fd).size;
  }

  write(line: string): void {
    const buf = Buffer.from(line + '\n');
    if (this.size > 0 && this.size + buf.length > this.maxBytes) this.rotate();
    writeSync(this.fd, buf);
    this.size += buf.length;
  }

  private rotate(): void {
    closeSync(this.fd);
    renameSync(this.file, this.file + '.1');
    this.fd = openSync(this.file, 'a');
    this.size = 0;
  }

  close(): void {
    closeSync(this.fd);
  }
}
