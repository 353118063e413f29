// The broker's side of remote launchers (bl-launcher): long-poll leases that hand out
// jobs under the same dispatch rules as the built-in launcher, heartbeats that keep a lease,
// finish reports, and the timer that re-queues a job whose launcher went silent. The lease
// table lives in memory: after a daemon restart every remote job still running in the store
// gets a fresh lease from the start, so a launcher that kept running through the outage
// re-reports in time, and one that died lets its jobs expire.
import { BlError } from '../../../contract/errors.js';
import type { LauncherJson, UsageJson } from '../../../contract/types.js';
import type { EventBus } from '../../events/bus.js';
import { decideDispatch, forEachClaim } from '../dispatch.js';
import { decideLeaseExpiry, judgeReport, launcherState, maxTimeoutNow, type Lease } from './lease-rules.js';
import type { JobNote, JobStore } from '../store/store.js';
import { LOCAL_LAUNCHER, type JobRecord } from '../types.js';
import type { RunResult } from '../../../contract/run.js';
import { decideRecovery } from '../dispatch.js';

export interface RemoteDeps {
  store: JobStore;
  events: EventBus;
  leaseTtlMs: () => number;
  limits: () => { concurrency: number; urgentBypass: boolean; draining: boolean };
  launchersExitAt: () => number | null;
  /** The broker's end-of-run rules (retry, drained, end), the same as for the built-in launcher. */
  onEnded: (job: JobRecord, r: RunResult) => void;
  /** Something was re-queued or freed: let the broker dispatch. */
  kick: () => void;
  /** A launcher leased for the first time since it was listed. */
  arrived?: (name: string, host: string) => void;
  /** A launcher said goodbye, and maybe why. */
  left?: (name: string, why: string | undefined) => void;
  /** Why bl itself is ending this launcher's allocation (a cancel), or undefined: its jobs' evictions are then not the jobs' attempts. */
  stoppedByBl?: (name: string) => string | undefined;
}

export interface LeaseRequest {
  name: string;
  host: string;
  /** How many jobs the launcher runs at once (its -x). */
  slots: number;
  waitMs: number;
  /** bl-launcher --exit-when-empty: answer as soon as it holds nothing and nothing is given. */
  untilIdle: boolean;
  /**
   * Seconds the launcher has left to run jobs (its allocation ends): only jobs whose timeout
   * fits in what is left of them when they are given. Undefined: no limit.
   */
  maxTimeoutS?: number | undefined;
}

export type LeaseAnswer = { kind: 'jobs'; jobs: JobRecord[] } | { kind: 'exit' } | { kind: 'none' };

export interface HeartbeatReport {
  launcher: string;
  attempt: number | undefined;
  usage: UsageJson | null;
  pid: number | null;
}

export type FinishAnswer = { kind: 'recorded'; job: JobRecord } | { kind: 'duplicate'; job: JobRecord | undefined };

interface LeaseEntry extends Lease {
  usage: UsageJson | null;
  pid: number | null;
}

interface LauncherEntry {
  name: string;
  host: string;
  slots: number;
  firstSeenAt: number;
  lastSeenAt: number;
}

interface Waiter {
  req: LeaseRequest;
  /** When the request came in (maxTimeoutS counts from then). */
  at: number;
  done: (a: LeaseAnswer) => void;
}

/** A launcher not heard from for this long (and holding nothing) leaves the list. */
const FORGET_MS = 10 * 60_000;
/** Recently accepted finish reports: a retry whose first answer was lost is a duplicate, not late. */
const RECENT_MAX = 4096;
const RETRY_MS = 1000;

export class RemoteLaunchers {
  private readonly leases = new Map<string, LeaseEntry>();
  /** Jobs each launcher runs (its leases), by launcher name. */
  private readonly leasedBy = new Map<string, number>();
  private readonly launchers = new Map<string, LauncherEntry>();
  private waiters: Waiter[] = [];
  private readonly recent = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private closed = false;

  constructor(private readonly d: RemoteDeps) {}

  /** At the broker's start: jobs the store says run remotely get a fresh lease. */
  start(): void {
    const now = Date.now();
    for (const j of this.d.store.running()) {
      // A recorded pid means a heartbeat came: the launcher had the job.
      if (j.launcher && j.launcher !== LOCAL_LAUNCHER) this.addLease(j, now, j.pid !== null);
    }
    this.arm();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of this.waiters.splice(0)) w.done({ kind: 'none' });
  }

  // ---- leases ---------------------------------------------------------------------------

  lease(req: LeaseRequest, gone: AbortSignal): Promise<LeaseAnswer> {
    if (this.closed) throw new BlError('unavailable', 'the daemon is shutting down; no jobs are leased');
    if (req.name === LOCAL_LAUNCHER) throw new BlError('bad_value', `expected a launcher name other than "${LOCAL_LAUNCHER}" (the built-in launcher's)`);
    const now = Date.now();
    const l = this.launchers.get(req.name);
    if (l) Object.assign(l, { host: req.host, slots: req.slots, lastSeenAt: now });
    else {
      this.launchers.set(req.name, { name: req.name, host: req.host, slots: req.slots, firstSeenAt: now, lastSeenAt: now });
      this.d.arrived?.(req.name, req.host);
    }
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const w: Waiter = {
        req,
        at: now,
        done: (a) => {
          if (timer) clearTimeout(timer);
          gone.removeEventListener('abort', onGone);
          this.waiters = this.waiters.filter((x) => x !== w);
          resolve(a);
        },
      };
      // A client that hung up must not be handed jobs nobody will run.
      const onGone = () => w.done({ kind: 'none' });
      gone.addEventListener('abort', onGone, { once: true });
      this.waiters.push(w);
      this.serveOne(w);
      if (this.waiters.includes(w)) timer = setTimeout(() => w.done({ kind: 'none' }), req.waitMs);
    });
  }

  /** A launcher says goodbye: its waiting lease ends now; it leaves the list once it holds no job. */
  bye(name: string, why?: string): boolean {
    for (const w of this.waiters.filter((x) => x.req.name === name)) w.done({ kind: 'none' });
    const known = this.launchers.has(name);
    // A stopping launcher still runs its jobs: it stays listed (and counted) until they end.
    if (!this.leasedBy.get(name)) this.launchers.delete(name);
    if (known) this.d.left?.(name, why);
    return known;
  }

  /**
   * A launcher known to be gone with its processes (its Slurm allocation ended): its jobs are
   * dealt with now as a lease expiry would later. `countAttempt` false: bl itself stopped them
   * (a cancel, the shutdown), so they go back at the head with the same attempt.
   */
  launcherGone(name: string, reason: string, countAttempt: boolean): void {
    const now = Date.now();
    let changed = false;
    for (const l of [...this.leases.values()].filter((x) => x.launcher === name)) {
      try {
        if (l.cancelRequested) {
          if (this.d.store.finish(l.id, { state: 'cancelled', exitCode: null, signal: null, usage: l.usage, reason: `cancelled by request; ${reason}`, now })) {
            this.d.events.publish('job.finished', { id: l.id, state: 'cancelled', reason: `cancelled by request; ${reason}` });
          }
        } else {
          const d = countAttempt && l.confirmed ? decideRecovery(l.attempt, l.retries) : { kind: 'requeue' as const, attempt: l.attempt };
          const why = `attempt ${l.attempt}: ${reason}`;
          if (d.kind === 'requeue') {
            if (this.d.store.requeue(l.id, { head: true, attempt: d.attempt, reason: why })) this.d.events.publish('job.requeued', { id: l.id, attempt: d.attempt, reason: why, launcher: name });
          } else if (this.d.store.finish(l.id, { state: 'lost', exitCode: null, signal: null, usage: l.usage, reason: `${why}; no retries left`, now })) {
            this.d.events.publish('job.finished', { id: l.id, state: 'lost', reason: `${why}; no retries left` });
          }
        }
        this.dropLease(l.id);
        changed = true;
      } catch (e) {
        // The store refused: the lease stays, and expires as any other.
        console.error(`bl-daemon: could not re-queue job ${l.id} of launcher ${name}: ${(e as Error).message}`);
      }
    }
    for (const w of this.waiters.filter((x) => x.req.name === name)) w.done({ kind: 'none' });
    this.launchers.delete(name);
    if (changed && !this.closed) this.d.kick();
  }

  /** Called by the broker whenever dispatch may have changed (submit, slot freed, limit…). */
  serve(): void {
    for (const w of [...this.waiters]) this.serveOne(w);
  }

  private exiting(l: LauncherEntry | undefined): boolean {
    const at = this.d.launchersExitAt();
    // Launchers seen before the request exit; one started after it works (a fresh fleet).
    return at !== null && l !== undefined && l.firstSeenAt <= at;
  }

  private serveOne(w: Waiter): void {
    if (!this.waiters.includes(w)) return;
    const { name } = w.req;
    if (this.exiting(this.launchers.get(name))) return w.done({ kind: 'exit' });
    const lim = this.d.limits();
    if (lim.draining) return;
    const running = this.leasedBy.get(name) ?? 0;
    const c = this.d.store.counts();
    const d = decideDispatch({
      concurrency: lim.concurrency,
      urgentBypass: lim.urgentBypass,
      // The launcher's own slots play the part local_slots plays for the built-in launcher.
      localSlots: w.req.slots,
      running: c.byState.running,
      runningLocal: running,
      pendingUrgent: c.pendingByQueue.urgent,
      pendingNormal: c.pendingByQueue.normal,
      draining: false,
    });
    const jobs: JobRecord[] = [];
    const now = Date.now();
    const maxTimeout = maxTimeoutNow(w.req.maxTimeoutS, w.at, now);
    try {
      forEachClaim(d, (urgentOnly) => {
        const j = this.d.store.claimNext({ urgentOnly, maxTimeout, launcher: name, host: w.req.host, now });
        if (j) jobs.push(j);
        return j !== undefined;
      });
    } catch (e) {
      // The store refused a claim: what was claimed goes out, the rest waits for the next kick.
      console.error(`bl-daemon: a lease for ${name} stopped, the store refused a claim: ${(e as Error).message}`);
    }
    if (jobs.length > 0) {
      for (const j of jobs) {
        this.addLease(j, now, false);
        this.d.events.publish('job.started', { id: j.id, launcher: name, host: w.req.host, attempt: j.attempt });
      }
      this.arm();
      return w.done({ kind: 'jobs', jobs });
    }
    if (w.req.untilIdle && running === 0) w.done({ kind: 'none' });
  }

  private addLease(j: JobRecord, now: number, confirmed: boolean): void {
    const launcher = j.launcher!;
    this.leases.set(j.id, {
      id: j.id, launcher, attempt: j.attempt, retries: j.retries, lastBeatAt: now, cancelRequested: false, confirmed, usage: j.usage, pid: j.pid,
    });
    this.leasedBy.set(launcher, (this.leasedBy.get(launcher) ?? 0) + 1);
  }

  private dropLease(id: string): LeaseEntry | undefined {
    const l = this.leases.get(id);
    if (!l) return undefined;
    this.leases.delete(id);
    const n = (this.leasedBy.get(l.launcher) ?? 1) - 1;
    if (n > 0) this.leasedBy.set(l.launcher, n);
    else this.leasedBy.delete(l.launcher);
    return l;
  }

  // ---- heartbeats, cancel, finish -----------------------------------------------------------

  /**
   * Refreshes the lease; a 410 tells the launcher to kill its run of the job (cancelled, or
   * given up), naming the attempt: only that attempt's processes are to go.
   */
  heartbeat(id: string, hb: HeartbeatReport): { leaseTtl: number } {
    const now = Date.now();
    this.seen(hb.launcher, now);
    const l = this.currentLease(id, hb.launcher, hb.attempt);
    if (l.cancelRequested) throw new BlError('gone', `job ${id} was cancelled by request: kill attempt ${l.attempt}`);
    l.lastBeatAt = now;
    l.confirmed = true;
    if (hb.usage) l.usage = hb.usage;
    if (hb.pid !== null && l.pid !== hb.pid) {
      l.pid = hb.pid;
      // Shown in GET /jobs/:id; crash recovery never kills remote pids (they are another host's).
      this.d.store.markStarted(id, { pid: hb.pid, pgid: hb.pid, procStart: null });
    }
    return { leaseTtl: this.d.leaseTtlMs() / 1000 };
  }

  /**
   * On a shared store, a launcher that moved here from a daemon it no longer reaches reports
   * on a job that daemon leased it: this daemon takes the job's lease over.
   */
  private adopt(id: string, launcher: string, attempt: number | undefined, now: number): LeaseEntry | undefined {
    if (!this.d.store.holdLease || this.leases.has(id) || attempt === undefined) return undefined;
    const j = this.d.store.get(id);
    if (!j || j.state !== 'running' || j.launcher !== launcher || j.attempt !== attempt) return undefined;
    if (!this.d.store.holdLease(id, attempt, launcher, now)) return undefined;
    this.addLease(j, now, true);
    this.arm();
    return this.leases.get(id);
  }

  private currentLease(id: string, launcher: string, attempt: number | undefined): LeaseEntry {
    const l = this.leases.get(id) ?? this.adopt(id, launcher, attempt, Date.now());
    if (l && l.launcher === launcher && (attempt === undefined || attempt === l.attempt)) return l;
    const v = judgeReport(this.d.store.get(id), launcher, attempt);
    throw new BlError('gone', `job ${id}: ${v.kind === 'late' ? v.why : 'not leased here'}; kill ${attempt === undefined ? 'it' : `attempt ${attempt}`}`);
  }

  private seen(name: string, now: number): void {
    const l = this.launchers.get(name);
    if (l) l.lastSeenAt = now;
  }

  /** A cancel of a job on a remote launcher: its next heartbeat is answered 410. */
  cancel(id: string): boolean {
    const l = this.leases.get(id);
    if (!l) return false;
    l.cancelRequested = true;
    return true;
  }

  finish(id: string, report: { launcher: string; attempt: number | undefined; result: RunResult }): FinishAnswer {
    const now = Date.now();
    this.seen(report.launcher, now);
    const key = `${id}/${report.attempt ?? '?'}/${report.launcher}`;
    const l = this.leases.get(id) ?? this.adopt(id, report.launcher, report.attempt, now);
    if (l && l.launcher === report.launcher && (report.attempt === undefined || report.attempt === l.attempt)) {
      const job = this.d.store.get(id);
      if (job && job.state === 'running') {
        this.dropLease(id);
        this.remember(key);
        let r = report.result;
        // A cancel asked for wins over whatever the kill looked like to the launcher.
        if (l.cancelRequested && r.outcome !== 'exited') r = { ...r, outcome: 'cancelled', reason: r.reason ?? 'cancelled by request' };
        // Evicted because bl cancelled the allocation: bl stopped the job, the same attempt
        // again (as when the allocation's end reaches the daemon before this report).
        const byBl = r.outcome === 'evicted' ? this.d.stoppedByBl?.(report.launcher) : undefined;
        if (byBl !== undefined) r = { ...r, outcome: 'drained', reason: `attempt ${l.attempt}: ${byBl}` };
        // A launcher whose allocation ends takes nothing more: its waiting lease (the report may
        // come before its goodbye) must not be handed back the job it gives up.
        if (r.outcome === 'evicted') for (const w of this.waiters.filter((x) => x.req.name === report.launcher)) w.done({ kind: 'none' });
        this.d.onEnded({ ...job, usage: r.usage ?? l.usage }, r);
        return { kind: 'recorded', job: this.d.store.get(id) ?? job };
      }
    }
    if (this.recent.has(key)) return { kind: 'duplicate', job: this.d.store.get(id) };
    const job = this.d.store.get(id);
    const v = judgeReport(job, report.launcher, report.attempt);
    const why = v.kind === 'late' ? v.why : 'the lease was not found';
    const r = report.result;
    const said = r.outcome === 'exited' ? (r.signal ? `killed by ${r.signal}` : `exit code ${r.exitCode}`) : r.outcome;
    const text = `late report from launcher ${report.launcher} (attempt ${report.attempt ?? '?'}: ${said}) ignored: ${why}`;
    if (job) {
      try {
        this.d.store.addNote(id, text, now);
      } catch (e) {
        console.error(`bl-daemon: could not keep a note on job ${id}: ${(e as Error).message}`);
      }
    }
    this.d.events.publish('job.late_report', { id, launcher: report.launcher, attempt: report.attempt ?? null, outcome: r.outcome, exit_code: r.exitCode, reason: why });
    throw new BlError('conflict', `${text}; no second completion was made`);
  }

  private remember(key: string): void {
    this.recent.add(key);
    if (this.recent.size > RECENT_MAX) this.recent.delete(this.recent.values().next().value!);
  }

  notesOf(id: string): JobNote[] {
    return this.d.store.notes(id);
  }

  live(id: string): { usage: UsageJson | null; pid: number | null } | undefined {
    const l = this.leases.get(id);
    return l && { usage: l.usage, pid: l.pid };
  }

  list(now = Date.now()): LauncherJson[] {
    const waiting = new Set(this.waiters.map((w) => w.req.name));
    const out: LauncherJson[] = [];
    for (const l of [...this.launchers.values()]) {
      const running = this.leasedBy.get(l.name) ?? 0;
      if (!waiting.has(l.name) && running === 0 && now - l.lastSeenAt > FORGET_MS) {
        this.launchers.delete(l.name);
        continue;
      }
      // A launcher in a long-poll is connected now.
      const seen = waiting.has(l.name) ? now : l.lastSeenAt;
      const exiting = this.exiting(l);
      const s = launcherState({ lastSeenAt: l.lastSeenAt, waiting: waiting.has(l.name), exiting }, now, this.d.leaseTtlMs());
      out.push({ name: l.name, host: l.host, slots: l.slots, running, last_seen_at: new Date(seen).toISOString(), exiting, state: s.state, silent_s: Math.floor(s.silentMs / 1000) });
    }
    return out;
  }

  // ---- expiry ---------------------------------------------------------------------------

  /** Keeps one timer at the earliest lease deadline (a heartbeat only moves deadlines later). */
  private arm(at?: number): void {
    if (this.closed) return;
    const next = at ?? decideLeaseExpiry(this.leases.values(), Date.now(), this.d.leaseTtlMs()).nextCheckAt;
    if (next === null || next >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = next;
    this.timer = setTimeout(() => this.expire(), Math.max(0, next - Date.now()));
    this.timer.unref();
  }

  private expire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = Date.now();
    const d = decideLeaseExpiry(this.leases.values(), now, this.d.leaseTtlMs());
    let failed = false;
    // A launcher that let a lease expire is not heard: a long-poll it has waiting may be on a
    // dead link, and would swallow the very job just taken from it. It is answered now (empty);
    // a launcher that is alive asks again.
    const silent = new Set(d.actions.map((a) => this.leases.get(a.id)!.launcher));
    for (const w of this.waiters.filter((x) => silent.has(x.req.name))) w.done({ kind: 'none' });
    for (const a of d.actions) {
      const l = this.leases.get(a.id)!;
      try {
        if (a.kind === 'requeue') {
          // At the head, as crash recovery does: it waited its turn once already.
          if (this.d.store.requeue(a.id, { head: true, attempt: a.attempt, reason: a.reason })) {
            this.d.events.publish('job.requeued', { id: a.id, attempt: a.attempt, reason: a.reason, launcher: l.launcher });
          }
        } else if (this.d.store.finish(a.id, { state: a.state, exitCode: null, signal: null, usage: l.usage, reason: a.reason, now })) {
          this.d.events.publish('job.finished', { id: a.id, state: a.state, reason: a.reason });
        }
        this.dropLease(a.id);
      } catch (e) {
        // The store refused: the lease stays expired and is tried again shortly.
        console.error(`bl-daemon: could not re-queue job ${a.id} after its lease expired: ${(e as Error).message}`);
        failed = true;
      }
    }
    if (d.actions.length > 0) this.d.kick();
    this.arm(failed ? now + RETRY_MS : undefined);
  }
}
