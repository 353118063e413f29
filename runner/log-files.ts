// A captured-output log rotated by size, as both its writers keep it (the daemon's for task
// logs, supervisor/log-writer.ts; a spawn helper's for job logs, spawn-helpers/log-pipe.ts):
// `<file>` is written, `<file>.1` is the newest rotated one, `<file>.<keep>` the oldest kept.
import { renameSync, rmSync } from 'node:fs';
import { rm, unlink } from 'node:fs/promises';

/** The most rotated files a log may keep (log_keep's bound). */
export const LOG_MAX_KEEP = 100;

/** `<file>` for 0, `<file>.<i>` for a rotated one. */
export const rotatedPath = (file: string, i: number): string => (i === 0 ? file : `${file}.${i}`);

/**
 * Moves the written file to `<file>.1` and each older one a place on, the one at `keep` going
 * to make room (keep 0: the file is removed, to begin again). Renames only: a writer or reader
 * holding a file open keeps it. A file missing meanwhile is skipped.
 */
export function rotateFiles(file: string, keep: number): void {
  // Oldest first, each to the place after it.
  const steps: (() => void)[] = [() => rmSync(rotatedPath(file, Math.max(keep, 1)), { force: true })];
  for (let i = keep - 1; i >= 0; i--) steps.push(() => renameSync(rotatedPath(file, i), rotatedPath(file, i + 1)));
  if (keep === 0) steps.push(() => rmSync(file, { force: true }));
  for (const step of steps) {
    try {
      step();
    } catch {
      // removed meanwhile: nothing to move
    }
  }
}

/** Removes a log and its rotated files (`<file>.1` on, up to the first one missing). */
export async function removeLogFiles(file: string): Promise<void> {
  await rm(file, { force: true });
  for (let i = 1; i <= LOG_MAX_KEEP; i++) {
    try {
      await unlink(rotatedPath(file, i));
    } catch {
      return;
    }
  }
}
