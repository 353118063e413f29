// One daemon per state_dir: two would fight over the same workers and jobs.
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { sameProcess } from '../../proc/stat.js';

export class StateLockError extends Error {}

export function lockStateDir(stateDir: string): () => void {
  const file = path.join(stateDir, 'daemon.pid');
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (pid && pid !== process.pid && sameProcess(pid)) {
      let cmd = '';
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      } catch {
        cmd = '';
      }
      if (/daemon|bl/.test(cmd)) {
        throw new StateLockError(`another bl-daemon (pid ${pid}) is using the state directory ${stateDir}; stop it first or set a different state_dir`);
      }
    }
  } catch (e) {
    if (e instanceof StateLockError) throw e;
  }
  writeFileSync(file, `${process.pid}\n`);
  return () => {
    try {
      if (Number(readFileSync(file, 'utf8').trim()) === process.pid) rmSync(file);
    } catch {
      // already gone
    }
  };
}
