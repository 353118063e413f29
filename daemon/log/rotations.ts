// A captured-output log rotated by size: `<file>` is written, `<file>.1` is the newest rotated
// one, `<file>.<keep>` the oldest kept. The writer (supervisor/log-writer.ts) records here, in
// this process, which file came after which (by inode) and how big each was when it was rotated
// out: a reader following the log (http/log-follow.ts) finds the file after the one it has
// read, and, when rotation deleted a file it never opened, says how many bytes it missed.


interface Entry {
  /** Which file of the log it is: 1 for the first the writer opened. */
  seq: number;
  ino: number;
  /** Its size when it was rotated out; undefined for the one being written. */
  size: number | undefined;
}

/** Files remembered per log: enough for any `log_keep` a config sensibly asks for, and then some. */
const REMEMBERED = 256;

export class RotationHistory {
  private readonly files: Entry[] = [];
  /** Files opened so far. */
  opens = 0;

  /** The writer opened a new file (at start or after a rotation). */
  opened(ino: number): void {
    const last = this.files[this.files.length - 1];
    if (last?.ino === ino) return;
    this.files.push({ seq: ++this.opens, ino, size: undefined });
    if (this.files.length > REMEMBERED) this.files.splice(0, this.files.length - REMEMBERED);
  }

  /** The file being written was rotated out (or replaced under the writer) at this size. */
  closed(ino: number, size: number): void {
    const e = this.files.findLast((f) => f.ino === ino);
    if (e) e.size = size;
  }

  /** The files written after the one with inode `ino`, oldest first; undefined when it is not remembered. */
  after(ino: number): { ino: number; size: number | undefined }[] | undefined {
    // The last with that inode: a file deleted long ago may have had it before.
    const i = this.files.map((f) => f.ino).lastIndexOf(ino);
    return i < 0 ? undefined : this.files.slice(i + 1).map((f) => ({ ino: f.ino, size: f.size }));
  }

  /**
   * The files opened after the first `opens` (what a follower that began before the log had
   * a file saw), oldest first; those no longer remembered come first as one of unknown size.
   */
  since(opens: number): { ino: number; size: number | undefined }[] {
    const out = this.files.filter((f) => f.seq > opens).map((f) => ({ ino: f.ino, size: f.size }));
    const first = this.files[0];
    return first && first.seq > opens + 1 ? [{ ino: -1, size: undefined }, ...out] : out;
  }
}

const histories = new Map<string, RotationHistory>();

/** The history of the log at `file` (made on first use; kept while the process lives). */
export function rotationHistory(file: string): RotationHistory {
  let h = histories.get(file);
  if (!h) histories.set(file, (h = new RotationHistory()));
  return h;
}

/** The history of a log this process writes, if it has written one there. */
export function knownHistory(file: string): RotationHistory | undefined {
  return histories.get(file);
}
