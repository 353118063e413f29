// Finish reports not yet acknowledged by the daemon, one file each under the launcher's state
// dir: written before the first try and removed on the daemon's answer, so neither a daemon
// outage nor a restart of the launcher forgets how a job ended (golang-job-runner's clients
// forgot theirs). Written by rename, so a kill mid-write leaves the old state or the new one.
// Not fsynced: a launcher process that dies keeps its files; a whole host that loses power
// loses the last reports, and those jobs are re-run after their lease, not lost.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { UsageJson } from '../contract/types.js';
import type { RunResult } from '../contract/run.js';

/** The body of POST /jobs/:id/finish, plus the job it is about. */
export interface FinishReport {
  id: string;
  launcher: string;
  attempt: number;
  outcome: RunResult['outcome'];
  exit_code: number | null;
  signal: string | null;
  usage: UsageJson | null;
  reason: string | null;
  ended_at: string;
  /** The end of the job's log (the whole log when short), and the bytes left out before it. */
  log_tail?: string;
  log_skipped?: number;
}

export class Outbox {
  private readonly dir: string;

  constructor(stateDir: string) {
    this.dir = path.join(stateDir, 'outbox');
    mkdirSync(this.dir, { recursive: true });
  }

  private file(r: { id: string; attempt: number }): string {
    return path.join(this.dir, `${r.id}.${r.attempt}.json`);
  }

  put(r: FinishReport): void {
    const f = this.file(r);
    writeFileSync(`${f}.tmp`, JSON.stringify(r) + '\n');
    renameSync(`${f}.tmp`, f);
  }

  remove(r: { id: string; attempt: number }): void {
    rmSync(this.file(r), { force: true });
  }

  /** Reports left by an earlier run of a launcher on this state dir (any name). */
  load(): FinishReport[] {
    const out: FinishReport[] = [];
    for (const f of readdirSync(this.dir).sort()) {
      if (!f.endsWith('.json')) continue;
      try {
        out.push(JSON.parse(readFileSync(path.join(this.dir, f), 'utf8')) as FinishReport);
      } catch {
        // A report cut short can only come from a crash before its rename: there is none.
      }
    }
    return out;
  }
}
