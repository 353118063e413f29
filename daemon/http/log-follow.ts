// A follow of a log (tail -F) that neither loses nor repeats a line across rotations, however
// slow its client, in bounded memory. It holds the file it reads by fd, so a rotation renaming
// it changes nothing; as soon as it sees that a newer file has begun it opens that one too (and
// any between, in order, from the writer's history, log/rotations.ts), so a file rotated past
// `log_keep` while the follower is still behind is one it already holds. Only a file that was
// created and deleted between two looks is missed: then a line says how many bytes. It reads
// CHUNK_BYTES at a time and waits for the client to take each (backpressure): a 1 GiB log costs
// the daemon a chunk, not the log.
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { knownHistory } from '../log/rotations.js';
import { LOG_MAX_KEEP, rotatedPath } from '../../runner/log-files.js';
import { CHUNK_BYTES, type OpenFile } from './log-chain.js';

export const FOLLOW_POLL_MS = 200;


type Link = { file: OpenFile } | { gap: number | undefined };

export interface FollowOptions {
  file: string;
  /** The newest file, already open, and where in it to go on from. */
  start: OpenFile | undefined;
  from: number;
  /** True when the writer is done: the follow ends once it has read everything. */
  until: () => boolean;
  pollMs?: number;
}

export function gapLine(bytes: number | undefined): string {
  return bytes === undefined ? '… lines rotated away before they could be read …\n' : `… ${bytes} bytes rotated away before they could be read …\n`;
}

/** Follows `o.file` into `out` until the client leaves or `until()`; returns a stop function. */
export function followLog(out: Writable, o: FollowOptions): () => void {
  const chain: Link[] = o.start ? [{ file: o.start }] : [];
  let pos = o.from;
  let stopped = false;
  let waitingDrain = false;
  let timer: NodeJS.Timeout | undefined;
  /** With no file at the start: how many files the log's writer had opened by then (all that follow are new). */
  const opensAtStart = o.start ? undefined : (knownHistory(o.file)?.opens ?? 0);

  const newest = (): OpenFile | undefined => {
    for (let i = chain.length - 1; i >= 0; i--) {
      const l = chain[i]!;
      if ('file' in l) return l.file;
    }
    return undefined;
  };

  /** The files begun since the newest held one, opened in order (with gaps for the deleted). */
  const discover = (): void => {
    const st = statSync(o.file, { throwIfNoEntry: false });
    const last = newest();
    if (!st || st.ino === last?.ino) return;
    // Where each file is now, by inode.
    const names = new Map<number, string>();
    for (let i = 0; i <= LOG_MAX_KEEP; i++) {
      const p = rotatedPath(o.file, i);
      const s = statSync(p, { throwIfNoEntry: false });
      if (!s) break;
      names.set(s.ino, p);
    }
    let wanted: { ino: number; size: number | undefined }[] | undefined;
    if (last) wanted = knownHistory(o.file)?.after(last.ino);
    else if (opensAtStart !== undefined) wanted = knownHistory(o.file)?.since(opensAtStart);
    if (!wanted) {
      // No history of it in this process (a job's log, rotated by its spawn helper): the files
      // newer than the one held, by their places on the disk, oldest first. When the held one
      // is gone from the places (rotated past log_keep), or none was held (the log began after
      // the follow), every file there is newer than it.
      const order = [...names.keys()].reverse();
      const at = last ? order.indexOf(last.ino) : -1;
      wanted = (at >= 0 ? order.slice(at + 1) : order).map((ino) => ({ ino, size: undefined }));
      // A rotated log whose held file has gone from the places: files between it and the oldest
      // there may have gone too, how many the places cannot say.
      if (last && at < 0 && names.size > 1) chain.push({ gap: undefined });
    }
    const opened: Link[] = [];
    for (const [i, w] of wanted.entries()) {
      // An inode the file system gave again to a later file: that one is the later entry.
      if (wanted.slice(i + 1).some((x) => x.ino === w.ino)) {
        opened.push({ gap: w.size });
        continue;
      }
      const p = names.get(w.ino);
      if (p === undefined) {
        opened.push({ gap: w.size });
        continue;
      }
      let fd: number;
      try {
        fd = openSync(p, 'r');
      } catch {
        fd = -1;
      }
      const s = fd >= 0 ? fstatSync(fd) : undefined;
      if (!s || s.ino !== w.ino) {
        // Rotated again between the look and the open: look again next time.
        if (fd >= 0) closeSync(fd);
        for (const l of opened) if ('file' in l) closeSync(l.file.fd);
        return;
      }
      opened.push({ file: { fd, ino: s.ino, size: s.size } });
    }
    chain.push(...opened);
  };

  const pump = (): void => {
    if (stopped || waitingDrain) return;
    // The end is judged before the last read: what was written before it said so is sent.
    const ending = o.until();
    for (;;) {
      discover();
      const head = chain[0];
      if (!head) break;
      if ('gap' in head) {
        chain.shift();
        if (!out.write(gapLine(head.gap))) return awaitDrain();
        continue;
      }
      const buf = Buffer.allocUnsafe(CHUNK_BYTES);
      const n = readSync(head.file.fd, buf, 0, CHUNK_BYTES, pos);
      if (n > 0) {
        pos += n;
        if (!out.write(buf.subarray(0, n))) return awaitDrain();
        continue;
      }
      // At its end. A newer file exists only once this one was renamed away, after its last
      // write: what it has is all it will have.
      if (chain.length > 1) {
        closeSync(head.file.fd);
        chain.shift();
        pos = 0;
        continue;
      }
      // Emptied in place (copytruncate): from its start again.
      if (fstatSync(head.file.fd).size < pos) {
        pos = 0;
        continue;
      }
      break;
    }
    if (ending) {
      stop();
      out.end();
    }
  };

  const awaitDrain = (): void => {
    waitingDrain = true;
    out.once('drain', () => {
      waitingDrain = false;
      pump();
    });
  };

  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    if (timer) clearInterval(timer);
    for (const l of chain.splice(0)) if ('file' in l) closeSync(l.file.fd);
  };

  timer = setInterval(pump, o.pollMs ?? FOLLOW_POLL_MS);
  out.once('close', stop);
  pump();
  return stop;
}
