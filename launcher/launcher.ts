// bl-launcher's work: one long-poll lease at a time (the daemon counts this launcher's free
// slots itself, so a finish report frees a slot at once and no second request is needed),
// each job run with the daemon's own run code, heartbeats with usage every third of the lease
// time, and finish reports kept on disk until the daemon answers them. A daemon outage stops
// nothing but the leasing: jobs run on, reports wait and are sent when the daemon is back.
// In an allocation that ends (a Slurm job, --end-at), leases ask only for jobs that end before
// the stop (end − margin); at the stop, or on Slurm's signal, running jobs are evicted: stopped
// and reported at once as `evicted`, so the daemon runs them again elsewhere without waiting.
import { limitFields } from '../contract/limits.js';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { MAX_LEASE_WAIT_S, type JobJson, type LeaseJson } from '../contract/types.js';
// The run code itself, not the broker's public face: that would load the daemon's store
// (better-sqlite3) into every launcher.
import { startRun, type Run } from '../runner/start-run.js';
import { UsageSampler } from '../runner/usage-sampler.js';
import { logOutputOf, type RunResult } from '../contract/run.js';
import { errorMessage, Unreachable, type Answer, type DaemonClient } from './client.js';
import type { Spawner } from '../runner/spawner.js';
import { logTail } from './log-tail.js';
import { Outbox, type FinishReport } from './outbox.js';
import { allocationName, type Allocation } from './allocation-end.js';
import { ALLOCATION_SIGNAL_WAIT_MS, fitsTimeLeft, idleExitAt, leaseTerms, mayBeAllocationEnd, stopAt, type EndClock } from './end-rules.js';
import { wakeAt } from './wake-at.js';

export interface LauncherConfig {
  client: DaemonClient;
  name: string;
  host: string;
  slots: number;
  stateDir: string;
  exitWhenEmpty: boolean;
  killGraceMs: number;
  /** The allocation this launcher runs in (Slurm, --end-at); undefined: none. */
  allocation: Allocation | undefined;
  /** --end-margin. */
  endMarginMs: number;
  /** --idle-exit; undefined: never. */
  idleExitMs: number | undefined;
  /** Starts the jobs; it must kill them if this process dies (HelperSpawner with onEof 'kill'). */
  spawner: Spawner;
  log: (line: string) => void;
}

/** A job this launcher leased and runs. */
interface Leased {
  job: JobJson;
  run: Run;
  beating: boolean;
  /** The daemon has acknowledged a heartbeat: it knows this launcher got the job. */
  confirmed: boolean;
  /** Ended by a SIGTERM that may be the allocation's end (end-rules.ts): its report waits. */
  held?: { result: RunResult; cancel: () => void };
}

/** The first wait after the daemon could not be reached; it doubles up to BACKOFF_MAX_MS. */
const BACKOFF_MIN_MS = 250;
/** Well under a lease: a report that waited out an outage goes soon after the daemon is back. */
const BACKOFF_MAX_MS = 5000;
const REPORT_TIMEOUT_MS = 15_000;
/** A job still running this long after its start is confirmed to the daemon (a shorter one's report does it). */
const CONFIRM_AFTER_MS = 250;

export class Launcher {
  private readonly runs = new Map<string, Leased>();
  private readonly sending = new Set<string>();
  private readonly outbox: Outbox;
  private readonly logDir: string;
  private readonly sampler = new UsageSampler();
  private leaseTtlS = 30;
  private beatTimer: NodeJS.Timeout | undefined;
  private confirmTimer: NodeJS.Timeout | undefined;
  /** No new leases (exit-worker, a signal, empty queue with --exit-when-empty, a refusal). */
  private stopping = false;
  /** A signal came: jobs that still arrive go straight back to the queue. */
  private signalled = false;
  /** Why jobs that still arrive go straight back to the queue (a stop, the end, idle exit). */
  private refusing: string | undefined;
  /** The allocation's end has come: the reason its evicted jobs carry. */
  private ending: string | undefined;
  /** Why it leaves, said in its goodbye. */
  private leaving: string | undefined;
  private readonly clock: EndClock;
  private cancelStop: (() => void) | undefined;
  private cancelIdle: (() => void) | undefined;
  /** A second signal: stop waiting for an unreachable daemon. */
  private forced = false;
  private failure: string | undefined;
  private outage: string | undefined;
  private readonly wakers = new Set<() => void>();
  private changed: (() => void) | undefined;

  constructor(private readonly c: LauncherConfig) {
    this.outbox = new Outbox(c.stateDir);
    this.clock = { endAt: c.allocation?.endAt ?? null, marginMs: c.endMarginMs };
    this.logDir = path.join(c.stateDir, 'logs');
    mkdirSync(this.logDir, { recursive: true });
  }

  /** Runs until told to exit and everything is reported; resolves with the exit code. */
  async run(): Promise<number> {
    const left = this.outbox.load();
    if (left.length) this.c.log(`bl-launcher: ${left.length} report${left.length === 1 ? '' : 's'} of an earlier run to send`);
    for (const r of left) void this.send(r);
    this.armBeats();
    this.armStop();
    this.idleCheck();
    await this.leaseLoop();
    await this.until(() => this.runs.size === 0 && (this.sending.size === 0 || this.failure !== undefined));
    if (this.beatTimer) clearInterval(this.beatTimer);
    if (this.confirmTimer) clearTimeout(this.confirmTimer);
    this.cancelStop?.();
    this.cancelIdle?.();
    this.c.spawner.close();
    if (!this.failure) await this.bye(this.leaving ?? 'its lease loop ended');
    this.c.client.close();
    if (this.sending.size > 0) this.c.log(`bl-launcher: ${this.sending.size} report(s) not yet accepted are kept in ${this.c.stateDir}/outbox for the next start`);
    if (this.failure) {
      this.c.log(`bl-launcher: ${this.failure}`);
      return 1;
    }
    return 0;
  }

  /** First SIGINT/SIGTERM: take no more jobs; the running ones end and are reported. */
  stop(why: string): void {
    if (this.ending !== undefined) return this.hurry(why);
    if (this.signalled) return this.force(why);
    this.signalled = true;
    this.refusing ??= `bl-launcher ${this.c.name} was stopping`;
    this.stopping = true;
    this.c.log(`bl-launcher: ${why}: taking no more jobs; ${this.runs.size} running will finish (again to kill them)`);
    // The daemon answers our waiting lease at once when we say goodbye.
    void this.bye(`stopped by ${why}`);
    this.wake();
  }

  /** Second signal: kill the running jobs (they go back to the daemon's queue). */
  force(why: string): void {
    this.forced = true;
    this.c.log(`bl-launcher: ${why} again: killing ${this.runs.size} running job(s)`);
    for (const h of this.runs.values()) h.run.kill('drained', `bl-launcher ${this.c.name} was stopped`);
    this.wake();
  }

  /**
   * The allocation's end has come (the stop, SIGUSR2, or SIGTERM in an allocation): no more
   * leases; every running job is stopped (SIGTERM, grace, SIGKILL) and reported at once as
   * evicted, and the daemon runs it again elsewhere; then the launcher exits. A job that ended
   * by itself before this keeps its own end. Again: SIGKILL the jobs now.
   */
  end(why: string): void {
    if (this.ending !== undefined) return this.hurry(why);
    const reason = `${allocationName(this.c.allocation, this.c.name)} ended (${why})`;
    this.ending = reason;
    this.refusing = reason;
    this.stopping = true;
    this.cancelStop?.();
    this.cancelIdle?.();
    this.c.log(`bl-launcher: ${reason}: taking no more jobs; evicting ${this.runs.size} running job(s) (back to the daemon's queue)`);
    // The goodbye first: the daemon answers our waiting lease before the evicted jobs are back.
    void this.bye(reason);
    for (const h of [...this.runs.values()]) {
      if (h.held) this.release(h.job, { ...h.held.result, outcome: 'evicted', reason });
      else h.run.kill('evicted', reason);
    }
    this.wake();
  }

  /** A signal while jobs are being stopped: skip what is left of their grace. */
  private hurry(why: string): void {
    this.forced = true;
    this.c.log(`bl-launcher: ${why} again: killing ${this.runs.size} running job(s) now`);
    for (const h of this.runs.values()) h.run.hurry();
    this.wake();
  }

  private marginReason(): string {
    return `--end-margin: its end at ${new Date(this.clock.endAt!).toISOString()} is ${this.c.endMarginMs / 1000} s away`;
  }

  /** The timer for the stop (end − margin), when the end is known. */
  private armStop(): void {
    const a = this.c.allocation;
    if (!a) return;
    const stop = stopAt(this.clock);
    const margin = `${this.c.endMarginMs / 1000} s`;
    if (stop === null || a.endAt === null) {
      this.c.log(`bl-launcher: in ${allocationName(a, this.c.name)}, end unknown (${a.source}): SIGTERM or SIGUSR2 will end it`);
      return;
    }
    const end = new Date(a.endAt).toISOString();
    this.c.log(`bl-launcher: ${allocationName(a, this.c.name)} ends at ${end} (${a.source}); leasing stops and running jobs are evicted ${margin} before (--end-margin)`);
    this.cancelStop = wakeAt(stop, () => this.end(this.marginReason()));
  }

  /** --idle-exit: counts from the moment nothing runs; a job that comes stops the count. */
  private idleCheck(): void {
    const ms = this.c.idleExitMs;
    if (ms === undefined || this.stopping) return;
    if (this.runs.size > 0) {
      this.cancelIdle?.();
      this.cancelIdle = undefined;
      return;
    }
    this.cancelIdle ??= wakeAt(idleExitAt(Date.now(), ms), () => {
      this.cancelIdle = undefined;
      if (this.runs.size > 0 || this.stopping) return;
      this.c.log(`bl-launcher: nothing to run for ${ms / 1000} s; exiting (--idle-exit)`);
      this.stopping = true;
      this.refusing ??= `bl-launcher ${this.c.name} was exiting (idle)`;
      // Ends the waiting lease at once.
      void this.bye(`nothing to run for ${ms / 1000} s (--idle-exit)`);
      this.wake();
    });
  }

  // ---- leases -------------------------------------------------------------------------------

  private async leaseLoop(): Promise<void> {
    let delay = BACKOFF_MIN_MS;
    while (!this.stopping) {
      const terms = leaseTerms(this.clock, Date.now(), MAX_LEASE_WAIT_S);
      if (terms === null) {
        // The stop's timer says so too; whichever comes first.
        this.end(this.marginReason());
        break;
      }
      let a: Answer;
      try {
        const body = { slots: this.c.slots, host: this.c.host, wait: terms.waitS, exit_when_empty: this.c.exitWhenEmpty };
        a = await this.c.client.request(
          'POST',
          `/launchers/${encodeURIComponent(this.c.name)}/lease`,
          terms.maxTimeoutS === undefined ? body : { ...body, max_timeout_s: terms.maxTimeoutS },
          // The daemon holds a lease up to `wait`; the request gets that and some slack.
          (terms.waitS + 15) * 1000,
        );
      } catch (e) {
        if (!(e instanceof Unreachable)) throw e;
        if (e.fatal) {
          this.fail(e.message);
          break;
        }
        this.down(e.message);
        await this.pause(delay);
        delay = Math.min(delay * 2, BACKOFF_MAX_MS);
        continue;
      }
      if (this.refused(a) || a.status >= 500) {
        if (a.status >= 500) {
          this.down(`the daemon at ${this.c.client.address} answered ${a.status}: ${errorMessage(a)}`);
          await this.pause(delay);
          delay = Math.min(delay * 2, BACKOFF_MAX_MS);
        }
        continue;
      }
      this.up();
      delay = BACKOFF_MIN_MS;
      if (a.status === 204) {
        if (this.c.exitWhenEmpty && this.runs.size === 0) {
          this.c.log('bl-launcher: nothing left to run; exiting (--exit-when-empty)');
          this.leaving ??= 'nothing left to run (--exit-when-empty)';
          this.stopping = true;
        }
        continue;
      }
      if (a.status !== 200) {
        this.fail(`the daemon at ${this.c.client.address} refused the lease (${a.status}): ${errorMessage(a)}`);
        break;
      }
      const leased = a.json as LeaseJson | undefined;
      if (typeof leased?.lease_ttl === 'number') this.setTtl(leased.lease_ttl);
      for (const j of leased?.jobs ?? []) this.start(j);
      if (leased?.exit) {
        this.c.log(`bl-launcher: the daemon asked the launchers to exit (exit-worker); ${this.runs.size} running job(s) will finish`);
        this.leaving ??= 'the daemon asked the launchers to exit (exit-worker)';
        this.stopping = true;
      }
    }
  }

  /** 401/403: nothing this launcher does will pass; it stops and says why. */
  private refused(a: Answer): boolean {
    if (a.status === 401) this.fail(`the daemon at ${this.c.client.address} refused the token (401 ${errorMessage(a)}); pass the daemon's auth token with --token`);
    else if (a.status === 403) this.fail(`the daemon at ${this.c.client.address} refused this launcher (403): ${errorMessage(a)}`);
    else return false;
    return true;
  }

  private fail(message: string): void {
    if (this.failure === undefined) this.failure = message;
    this.stopping = true;
    this.wake();
  }

  private start(j: JobJson): void {
    const result = (r: RunResult) => this.ended(j, r);
    const back = (reason: string) => result({ outcome: 'drained', exitCode: null, signal: null, usage: null, reason });
    // Leased as we were stopping: back to the head of the queue, this attempt not counted.
    if (this.refusing !== undefined || this.failure) return back(this.refusing ?? `bl-launcher ${this.c.name} was stopping`);
    const now = Date.now();
    if (!fitsTimeLeft(j.timeout, this.clock, now)) {
      // The daemon measured the time left before the answer travelled: rare, at the last second.
      const left = Math.max(0, Math.floor((stopAt(this.clock)! - now) / 1000));
      return back(`bl-launcher ${this.c.name} has ${left} s left before its allocation's end; the job's timeout of ${j.timeout} s does not fit`);
    }
    const limited = limitFields(j.limits);
    if (limited.length > 0) {
      // Limits are the daemon's to enforce (its built-in launcher holds each job in a cgroup);
      // one run here without them would be a limit silently ignored.
      return result({ outcome: 'spawn_error', exitCode: null, signal: null, usage: null, reason: `bl-launcher ${this.c.name} does not enforce ${limited.join(', ')}: a job with limits runs on the daemon's built-in launcher` });
    }
    const run = startRun(
      { id: j.id, command: j.command, argv: j.argv, cwd: j.cwd, env: j.env, timeout: j.timeout, idleCpu: j.idle_cpu, attempt: j.attempt, launcher: this.c.name, http: j.http, logOutput: logOutputOf(j) },
      { logPath: path.join(this.logDir, `${j.id}.log`), sampler: this.sampler, spawner: this.c.spawner, graceMs: this.c.killGraceMs },
    );
    this.runs.set(j.id, { job: j, run, beating: false, confirmed: false });
    // Tell the daemon soon that the job arrived (a lease answer can be lost on the way, and a
    // job never confirmed is re-queued without counting an attempt); a /bin/true ends sooner
    // and its report says it all, with no extra request.
    this.confirmTimer ??= setTimeout(() => {
      this.confirmTimer = undefined;
      this.beat(true);
    }, CONFIRM_AFTER_MS);
    run.done.then(result, (e: Error) => result({ outcome: 'spawn_error', exitCode: null, signal: null, usage: null, reason: `bl-launcher: ${e.message}` }));
    this.idleCheck();
  }

  private ended(j: JobJson, r: RunResult): void {
    const h = this.runs.get(j.id);
    if (h && !h.held && this.ending === undefined && mayBeAllocationEnd(r, this.c.allocation !== undefined)) {
      // Slurm's SIGTERM may have reached the job before this launcher's own (end()).
      h.held = { result: r, cancel: wakeAt(Date.now() + ALLOCATION_SIGNAL_WAIT_MS, () => this.release(j, r)) };
      return;
    }
    this.release(j, r);
  }

  /** The run's end is final: report it (kept on disk until the daemon answers). */
  private release(j: JobJson, r: RunResult): void {
    this.runs.get(j.id)?.held?.cancel();
    this.runs.delete(j.id);
    const report: FinishReport = {
      id: j.id,
      launcher: this.c.name,
      attempt: j.attempt,
      outcome: r.outcome,
      exit_code: r.exitCode,
      signal: r.signal,
      usage: r.usage,
      reason: r.reason,
      ended_at: new Date().toISOString(),
    };
    const tail = logTail(path.join(this.logDir, `${j.id}.log`));
    if (tail.text) Object.assign(report, { log_tail: tail.text, log_skipped: tail.skipped });
    try {
      this.outbox.put(report);
    } catch (e) {
      this.c.log(`bl-launcher: cannot keep the report of job ${j.id} on disk (${(e as Error).message}); sending it anyway`);
    }
    void this.send(report);
    this.idleCheck();
    this.notify();
  }

  // ---- reports ------------------------------------------------------------------------------

  private async send(r: FinishReport): Promise<void> {
    const key = `${r.id}.${r.attempt}`;
    if (this.sending.has(key)) return;
    this.sending.add(key);
    let delay = BACKOFF_MIN_MS;
    const { id, ...body } = r;
    try {
      // One try at least, also after a second signal; that one only stops the retries.
      while (this.failure === undefined) {
        let a: Answer;
        try {
          a = await this.c.client.request('POST', `/jobs/${encodeURIComponent(id)}/finish`, body, REPORT_TIMEOUT_MS);
        } catch (e) {
          if (!(e instanceof Unreachable)) throw e;
          if (e.fatal) return this.fail(e.message);
          this.down(e.message);
          if (this.forced) return;
          await this.pause(delay);
          delay = Math.min(delay * 2, BACKOFF_MAX_MS);
          continue;
        }
        if (this.refused(a)) return;
        if (a.status >= 500) {
          this.down(`the daemon at ${this.c.client.address} answered ${a.status}: ${errorMessage(a)}`);
          if (this.forced) return;
          await this.pause(delay);
          delay = Math.min(delay * 2, BACKOFF_MAX_MS);
          continue;
        }
        this.up();
        // 409/410/404: the daemon has moved on (the job was re-queued and ran elsewhere); it
        // kept our word as a note. Any other refusal will not change on a retry either.
        if (a.status >= 300) this.c.log(`bl-launcher: job ${id} attempt ${r.attempt}: report not counted (${a.status}): ${errorMessage(a)}`);
        this.outbox.remove(r);
        return;
      }
    } finally {
      this.sending.delete(key);
      this.notify();
    }
  }

  // ---- heartbeats -----------------------------------------------------------------------------

  private setTtl(s: number): void {
    if (s === this.leaseTtlS) return;
    this.leaseTtlS = s;
    this.armBeats();
  }

  private armBeats(): void {
    if (this.beatTimer) clearInterval(this.beatTimer);
    // Three chances within a lease: one lost heartbeat does not cost the job.
    this.beatTimer = setInterval(() => this.beat(), Math.max(100, (this.leaseTtlS * 1000) / 3));
  }

  private beat(unconfirmedOnly = false): void {
    const timeout = Math.max(1000, (this.leaseTtlS * 1000) / 2);
    for (const h of this.runs.values()) {
      if (h.beating || (unconfirmedOnly && h.confirmed)) continue;
      h.beating = true;
      const { job, run } = h;
      const body = { launcher: this.c.name, attempt: job.attempt, usage: run.usage, pid: run.pid ?? null };
      this.c.client
        .request('POST', `/jobs/${encodeURIComponent(job.id)}/heartbeat`, body, timeout)
        .then(
          (a) => {
            if (this.refused(a)) return;
            if (a.status >= 500) return this.down(`the daemon at ${this.c.client.address} answered ${a.status}: ${errorMessage(a)}`);
            this.up();
            if (a.status === 200) h.confirmed = true;
            if (a.status === 410 || a.status === 404) {
              const why = errorMessage(a);
              // The processes of this attempt only (BL_JOB_RUN): the job's next attempt may run
              // on this same host under another launcher.
              this.c.log(`bl-launcher: killing job ${job.id} attempt ${job.attempt}: ${why}`);
              if (/cancelled by request/.test(why)) run.kill('cancelled', 'cancelled by request');
              else run.kill('lost', why);
            }
          },
          (e: Error) => (e instanceof Unreachable && e.fatal ? this.fail(e.message) : this.down(e.message)),
        )
        .finally(() => (h.beating = false));
    }
  }

  // ---- outages, waits -----------------------------------------------------------------------

  private down(message: string): void {
    if (this.outage !== undefined) return;
    this.outage = message;
    this.c.log(`bl-launcher: ${message}; retrying (${this.runs.size} running job(s) go on)`);
  }

  private up(): void {
    if (this.outage === undefined) return;
    this.outage = undefined;
    this.c.log(`bl-launcher: the daemon at ${this.c.client.address} answers again`);
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.wakers.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }

  private wake(): void {
    for (const w of [...this.wakers]) w();
    this.notify();
  }

  private notify(): void {
    this.changed?.();
  }

  private async until(cond: () => boolean): Promise<void> {
    while (!cond()) await new Promise<void>((r) => (this.changed = r));
    this.changed = undefined;
  }

  /** Goodbye to the daemon, with why (the first one said counts): it shows where this launcher's Slurm allocation ended. */
  private async bye(why: string): Promise<void> {
    this.leaving ??= why;
    try {
      await this.c.client.request('DELETE', `/launchers/${encodeURIComponent(this.c.name)}?reason=${encodeURIComponent(this.leaving)}`, undefined, 3000);
    } catch {
      // best effort: the daemon forgets a silent launcher by itself
    }
  }
}
