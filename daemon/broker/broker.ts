// The broker: its verbs (submit, cancel, retry, limits, purge, drain) over the store, the
// dispatch rules (dispatch.ts, pure), the built-in launcher (local-launcher.ts) and remote
// launchers (remote/). A submit is committed before it is acknowledged; a job is claimed
// (running in the store) before its process is asked for, and its end is written with the
// claims the freed slot allows (write-retry.ts keeps what the store refuses).
import { hostname } from 'node:os';
import type { BrokerSettings } from '../config/types.js';
import { BlError, describe } from '../../contract/errors.js';
import type { BrokerJson, JobListFilter } from '../../contract/types.js';
import type { EventBus } from '../events/bus.js';
import type { Db } from '../state/db.js';
import { decideDispatch, decideEnd, forEachClaim } from './dispatch.js';
import { endsDir, jobLogPath, LocalLauncher } from './local-launcher.js';
import { KEEPER_MARK } from './reattach.js';
import { recoverLocalJobs } from './recovery.js';
import { SqliteStore } from './store/sqlite-store.js';
import type { EnqueueResult, JobStore, ListOrder, Page, PurgeWhat } from './store/store.js';
import { ambiguousJobMessage, CANDIDATES_SHOWN, unknownJobMessage } from './job-ref.js';
import { LOCAL_LAUNCHER, type JobRecord, type NewJob } from './types.js';
import type { RunResult } from '../../contract/run.js';
import { storeUnavailable } from './store/store-errors.js';
import { dropDoneSweeps, gateJobs, type SubmitPolicy } from './submit/submit-gate.js';
import { checkSpawnable } from './submit/spawnable.js';
import { HelperSpawner } from '../../runner/spawn-helpers/helper-spawner.js';
import { helperPrograms, type HelperChoice } from '../../runner/spawn-helpers/programs.js';
import type { Spawner } from '../../runner/spawner.js';
import type { CgroupTree } from '../../proc/cgroup/group.js';
import { RemoteLaunchers } from './remote/remote-launchers.js';
import { persistedSetting } from './settings.js';
import { WriteRetry } from './write-retry.js';
import { resolveAfter } from './after-refs.js';
import { removeLogFiles } from '../../runner/log-files.js';
import { SlurmAllocations, type AllocationsDeps } from './slurm/allocations.js';

export interface BrokerOptions {
  db?: Db;
  /** Another store than SQLite on `db` (tests, later a shared one). */
  store?: JobStore;
  settings: BrokerSettings;
  events: EventBus;
  stateDir: string;
  /** allowed_commands and what goes with it; default: none (anything may be submitted). */
  policy?: SubmitPolicy;
  /** SIGTERM → SIGKILL delay when a job is killed (timeout, idle, cancel, drain). */
  killGraceMs?: number;
  /** What starts the built-in launcher's jobs; default: spawn helpers (`helpers`). */
  spawner?: Spawner;
  /**
   * Submits that arrive in one turn of the event loop share one transaction (submitGrouped):
   * with every commit synced to disk (BL_SYNC_FULL=1), one fsync for all of them.
   */
  groupCommits?: boolean;
  /** Which spawn helper program (default: python3, else Node). */
  helpers?: HelperChoice;
  /** What Slurm allocations (settings.slurm) need from the daemon. */
  slurm?: SlurmWiring;
  /** bl's cgroup subtree: each job of the built-in launcher gets a cgroup in it. */
  cgroups?: CgroupTree | undefined;
}

export interface SlurmWiring {
  /** The daemon's URL for pilots (known once it listens). */
  daemonUrl: () => string;
  caFile: string | undefined;
  log: AllocationsDeps['log'];
  /** The config file, for errors that name a field. */
  where: string;
}

// A claim the store refused is tried again after this long.
const RETRY_CLAIM_MS = 1000;
// How long a submit waits for others to share its synced commit (groupCommits): the requests
// that come together arrive over a few turns of the event loop (body, parse), and one fsync
// costs a few ms.
const GROUP_COMMIT_MS = 2;
// Spawner helpers exit after a minute with nothing to do (two python3 processes, ~15 MiB);
// the next submit starts them again (20-90 ms).
const SPAWNER_IDLE_MS = 60_000;

export class Broker {
  readonly store: JobStore;
  private readonly launcher: LocalLauncher;
  /** bl-launcher agents on other hosts: leases, heartbeats, reports. */
  readonly remote: RemoteLaunchers;
  /** Slurm allocations that run bl-launcher pilots (inert without broker.slurm). */
  readonly allocations: SlurmAllocations;
  private readonly host = hostname();
  private settings: BrokerSettings;
  private concurrency: number;
  private urgentBypass: boolean;
  private started = false;
  private draining = false;
  private closed = false;
  private pumpQueued = false;
  private pumpRetry: NodeJS.Timeout | undefined;
  /** End-of-run writes the store refused (full disk…), tried again until they pass. */
  private readonly writes = new WriteRetry();
  private launchersExitAt: number | null = null;
  private policy: SubmitPolicy;
  private endWaiters: (() => void)[] = [];
  /** Submits waiting for this turn's shared transaction (submitGrouped). */
  private submits: { submitted: NewJob[]; resolve: (r: EnqueueResult & { skipped: number }) => void; reject: (e: unknown) => void }[] = [];

  constructor(private readonly o: BrokerOptions) {
    if (!o.store && !o.db) throw new Error('createBroker needs a db or a store');
    this.store = o.store ?? new SqliteStore(o.db!);
    this.remote = new RemoteLaunchers({
      store: this.store,
      events: o.events,
      leaseTtlMs: () => this.settings.leaseTtl * 1000,
      limits: () => ({ concurrency: this.concurrency, urgentBypass: this.urgentBypass, draining: this.draining || this.closed }),
      launchersExitAt: () => this.launchersExitAt,
      onEnded: (job, r) => this.onEnded(job, r),
      kick: () => this.schedule(),
      arrived: (name, host) => this.allocations.launcherArrived(name, host),
      left: (name, why) => this.allocations.launcherLeft(name, why),
      stoppedByBl: (name) => this.allocations.stoppedByBl(name),
    });
    // The daemon's jobs run on when it dies, their helpers staying as their keepers, marked so
    // that the next daemon finds them (recovery.ts).
    const spawner =
      o.spawner ?? new HelperSpawner(helperPrograms(o.helpers), { onEof: 'keep', idleMs: SPAWNER_IDLE_MS, env: { [KEEPER_MARK]: endsDir(o.stateDir) } });
    this.launcher = new LocalLauncher(o.stateDir, o.killGraceMs ?? 3000, spawner, o.cgroups, {
      onStarted: (id, p) => this.o.events.publish('job.started', { id, pid: p?.pid ?? null, launcher: LOCAL_LAUNCHER }),
      onIdentified: (id, p) => this.writes.write(() => this.store.markStarted(id, p)),
      onEnded: (job, r) => this.onEnded(job, r),
    });
    this.settings = o.settings;
    this.policy = o.policy ?? { commands: undefined, allowedEnv: undefined, followRedirects: true, searchPath: '' };
    this.concurrency = persistedSetting(this.store, 'concurrency', o.settings.concurrency, Number);
    this.urgentBypass = persistedSetting(this.store, 'urgent_bypass', o.settings.urgentBypass, (v) => v === 'true');
    const slurm = o.slurm ?? { daemonUrl: () => '', caFile: undefined, log: { info: () => undefined, warn: (m: string) => console.error(`bl-daemon: ${m}`) }, where: '(defaults)' };
    this.allocations = new SlurmAllocations(
      {
        db: o.db,
        events: o.events,
        stateDir: o.stateDir,
        daemonUrl: slurm.daemonUrl,
        caFile: slurm.caFile,
        host: this.host.split('.')[0]!,
        log: slurm.log,
        broker: {
          demand: () => {
            const c = this.store.counts();
            const localCap = this.settings.localSlots ?? this.concurrency;
            return {
              pendingNormal: c.pendingByQueue.normal,
              pendingUrgent: c.pendingByQueue.urgent,
              running: c.byState.running,
              concurrency: this.concurrency,
              urgentBypass: this.urgentBypass,
              localFree: this.draining ? 0 : Math.max(0, localCap - this.launcher.size),
            };
          },
          launchers: () => this.remote.list(),
          connectedWithinMs: () => this.settings.leaseTtl * 1000,
          launcherGone: (name, reason, countAttempt) => this.remote.launcherGone(name, reason, countAttempt),
        },
      },
      o.settings.slurm,
      slurm.where,
    );
  }

  /**
   * SIGHUP with a new config: a limit or bypass the file now says differently wins over the
   * value set at run time; one the file still says the same leaves the run-time value alone.
   */
  reconfigure(settings: BrokerSettings): void {
    this.settings = settings;
    this.allocations.configure(settings.slurm, this.o.slurm?.where ?? '(defaults)', true);
    this.concurrency = persistedSetting(this.store, 'concurrency', settings.concurrency, Number);
    this.urgentBypass = persistedSetting(this.store, 'urgent_bypass', settings.urgentBypass, (v) => v === 'true');
    this.schedule();
  }

  /** A reload's allowed_commands, allowed_env and follow_redirects: the next submit is judged by them. */
  setPolicy(policy: SubmitPolicy): void {
    this.policy = policy;
  }

  /** Crash recovery, then dispatch. */
  start(): void {
    if (this.started) return;
    recoverLocalJobs({ store: this.store, events: this.o.events, launcher: this.launcher, ended: (job, r) => this.onEnded(job, r) });
    // Only now may anything be claimed: recovery must not mistake a fresh claim for a leftover.
    this.started = true;
    // The spawner helpers (two python3 processes, ~7 MiB PSS each) start with the first work:
    // a daemon that only supervises never pays for them.
    if (this.store.counts().byState.pending > 0) this.warmLocal();
    this.remote.start();
    this.allocations.start();
    this.schedule();
  }

  /**
   * Another daemon changed the shared queue (or this one's leases took jobs back): dispatch,
   * and kill the jobs held here that another daemon was asked to cancel.
   */
  wake(): void {
    if (this.store.shared && !this.closed) {
      for (const id of this.store.cancelRequests()) this.killHere(id, 'cancelled by request (asked through another daemon)');
    }
    this.schedule();
  }

  /**
   * On a shared store, after this daemon renewed its leases: kills the jobs running here whose
   * lease another daemon took over while this one could not renew it (cut off from the
   * server, or stopped). They run again elsewhere, and an end from here would not count.
   */
  dropTakenOver(): void {
    if (!this.store.shared || this.closed) return;
    const held = new Map(this.store.running(LOCAL_LAUNCHER).map((j) => [j.id, j.attempt]));
    for (const [id, attempt] of this.launcher.held()) {
      if (held.get(id) === attempt) continue;
      this.launcher.kill(id, 'lost', `attempt ${attempt}: another daemon took its lease over while this one could not renew it; its copy here was killed`);
    }
  }

  /** Kills a running job of this daemon's launchers; false when none of them runs it. */
  private killHere(id: string, reason: string): boolean {
    return this.launcher.kill(id, 'cancelled', reason) || this.remote.cancel(id);
  }

  /** On a shared store, the limit and bypass any daemon set last (in the caller's transaction). */
  private readShared(): void {
    if (!this.store.shared) return;
    const c = this.store.getSetting('concurrency');
    if (c !== undefined && Number.isInteger(Number(c))) this.concurrency = Number(c);
    const u = this.store.getSetting('urgent_bypass');
    if (u !== undefined) this.urgentBypass = u === 'true';
  }

  private warmLocal(): void {
    if (this.settings.localSlots !== 0) this.launcher.warm();
  }

  // ---- submit and per-job verbs -------------------------------------------------------

  /** `skipped`: sweep combinations that already succeeded (submit-gate.ts). */
  submit(submitted: NewJob[]): EnqueueResult & { skipped: number } {
    const res = this.enqueueChecked(submitted);
    this.announce(res);
    return res;
  }

  /**
   * `submit`, answered once its commit is done; with `groupCommits`, every submit of one turn
   * of the event loop goes in one transaction (each judged alone: a refused one fails alone,
   * a commit that fails fails them all, as nothing of them was stored).
   */
  submitGrouped(submitted: NewJob[]): Promise<EnqueueResult & { skipped: number }> {
    if (!this.o.groupCommits) {
      try {
        return Promise.resolve(this.submit(submitted));
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return new Promise((resolve, reject) => {
      if (this.submits.push({ submitted, resolve, reject }) === 1) setTimeout(() => this.flushSubmits(), GROUP_COMMIT_MS);
    });
  }

  private flushSubmits(): void {
    const batch = this.submits.splice(0);
    const out: ({ res: EnqueueResult & { skipped: number } } | { err: unknown })[] = [];
    try {
      this.store.atomically(() => {
        for (const b of batch) {
          try {
            out.push({ res: this.enqueueChecked(b.submitted) });
          } catch (err) {
            out.push({ err });
          }
        }
      });
    } catch (e) {
      const err = storeUnavailable(e, 'nothing was submitted') ?? e;
      for (const b of batch) b.reject(err);
      return;
    }
    batch.forEach((b, i) => {
      const o = out[i]!;
      if ('err' in o) return b.reject(o.err);
      this.announce(o.res);
      b.resolve(o.res);
    });
  }

  /** The checks of a submit and its enqueue, nothing told yet. */
  private enqueueChecked(submitted: NewJob[]): EnqueueResult & { skipped: number } {
    if (this.closed) throw new BlError('unavailable', 'the broker is shutting down; no job was submitted');
    checkSpawnable(submitted);
    const allowed = gateJobs(submitted, this.policy);
    let res: EnqueueResult;
    let skipped: number;
    try {
      const gated = dropDoneSweeps(allowed, this.store);
      skipped = gated.skipped;
      res = this.store.enqueue(resolveAfter(this.store, gated.jobs), Date.now());
    } catch (e) {
      throw storeUnavailable(e, 'nothing was submitted') ?? e;
    }
    return { ...res, skipped };
  }

  /** What a stored submit tells: its events, and a dispatch round. */
  private announce(res: EnqueueResult): void {
    res.jobs.forEach((j, i) => !res.reused[i] && this.o.events.publish('job.submitted', { id: j.id, queue: j.queue, ...(j.state === 'waiting' ? { waiting: true } : {}) }));
    this.publishSettled();
    this.warmLocal();
    this.schedule();
  }

  /**
   * The job `ref` names: its id, a prefix of it or its last 8 characters, in any case. A
   * reference that names several is refused with the candidates, one that names none with 404.
   */
  get(ref: string): JobRecord {
    const m = this.store.resolveId(ref, CANDIDATES_SHOWN);
    if (m.count === 0) throw new BlError('unknown_job', unknownJobMessage(ref));
    if (m.count > 1) throw new BlError('ambiguous_job', ambiguousJobMessage(ref, m));
    return this.withLive(m.jobs[0]!);
  }

  list(filter: JobListFilter | 'all', after: string | undefined, limit: number, order: ListOrder = 'asc'): Page {
    const page = this.store.listPage(filter, after, limit, order);
    return { ...page, jobs: page.jobs.map((j) => this.withLive(j)) };
  }

  /** Usage of a running job lives in memory until it ends (no write a second a job). */
  private withLive(j: JobRecord): JobRecord {
    const live = j.state === 'running' ? (this.launcher.live(j.id) ?? this.remote.live(j.id)) : undefined;
    return live ? { ...j, usage: live.usage, pid: j.pid ?? live.pid, pgid: j.pgid ?? live.pid } : j;
  }

  /**
   * Pending → cancelled now; running → killed, `cancelled` once its tree is gone. `askedOf`:
   * the daemon that holds the running job and was asked to kill it (a shared store).
   */
  cancel(ref: string): JobRecord & { askedOf?: string } {
    const j = this.get(ref);
    const id = j.id;
    if (j.state === 'pending' || j.state === 'waiting') {
      const c = this.store.cancelPending(id, Date.now());
      if (c) {
        this.o.events.publish('job.finished', { id, state: 'cancelled', reason: c.reason });
        this.publishSettled();
        return c;
      }
      return this.cancel(id); // it started meanwhile
    }
    if (j.state === 'running') {
      if (this.killHere(id, 'cancelled by request')) return j;
      // On a shared store another daemon may hold it: that one kills it once it hears.
      const holder = this.store.requestCancel(id, Date.now());
      if (holder !== undefined) return { ...j, askedOf: holder };
      throw new BlError('conflict', `job ${id} runs on launcher ${j.launcher ?? '?'}, which cannot be reached to cancel it`);
    }
    throw new BlError('conflict', `job ${id} has already ended (${j.state}); nothing to cancel`);
  }

  /** A new attempt of an ended job, at the tail of its queue. */
  retry(ref: string): JobRecord {
    const j = this.get(ref);
    const id = j.id;
    if (j.state === 'pending' || j.state === 'running' || j.state === 'waiting') throw new BlError('conflict', `job ${id} is ${j.state}; only an ended job can be retried`);
    // A retry is judged by the list in force now (a reload may have narrowed it since the submit).
    gateJobs([j], this.policy);
    let r: JobRecord | undefined;
    try {
      r = this.store.requeue(id, { head: false, attempt: j.attempt + 1, reason: `retry requested after ${j.state}` });
    } catch (e) {
      throw storeUnavailable(e, 'the job was not retried') ?? e;
    }
    if (!r) throw new BlError('conflict', `job ${id} changed state meanwhile; try again`);
    this.o.events.publish('job.requeued', { id, attempt: r.attempt, reason: r.reason });
    this.schedule();
    return r;
  }

  logPath(ref: string): string {
    return jobLogPath(this.o.stateDir, this.get(ref).id);
  }

  // ---- broker-wide verbs --------------------------------------------------------------

  status(): BrokerJson & { draining: boolean; local_slots: number | null; exit_workers_at: string | null } {
    this.readShared();
    const c = this.store.counts();
    return {
      concurrency: this.concurrency,
      urgent_bypass: this.urgentBypass,
      paused: this.concurrency === 0 || this.draining,
      running: c.byState.running,
      pending: c.byState.pending,
      pending_urgent: c.pendingByQueue.urgent,
      waiting: c.byState.waiting,
      counts: c.byState,
      launchers: [
        {
          name: LOCAL_LAUNCHER,
          host: this.host,
          slots: this.settings.localSlots ?? this.concurrency,
          running: this.launcher.size,
          last_seen_at: new Date().toISOString(),
          exiting: false,
          state: 'working',
          silent_s: 0,
        },
        ...this.remote.list().map((l) => {
          const allocation = this.allocations.allocationOfLauncher(l.name);
          return allocation ? { ...l, allocation } : l;
        }),
      ],
      ...(this.allocations.configured ? { allocations: this.allocations.list() } : {}),
      draining: this.draining,
      local_slots: this.settings.localSlots ?? null,
      exit_workers_at: this.launchersExitAt === null ? null : new Date(this.launchersExitAt).toISOString(),
    };
  }

  setConcurrency(n: number): number {
    if (!Number.isInteger(n) || n < 0) throw new BlError('bad_value', `expected the concurrency to be an integer ≥ 0, found ${describe(n)}`);
    try {
      this.store.setSetting('concurrency', String(n));
    } catch (e) {
      throw storeUnavailable(e, 'the concurrency was not changed') ?? e;
    }
    this.concurrency = n;
    this.o.events.publish('broker.concurrency', { concurrency: n });
    this.schedule();
    return n;
  }

  changeConcurrency(delta: number): number {
    this.readShared();
    return this.setConcurrency(Math.max(0, this.concurrency + delta));
  }

  setUrgentBypass(on: boolean): boolean {
    try {
      this.store.setSetting('urgent_bypass', String(on));
    } catch (e) {
      throw storeUnavailable(e, 'urgent bypass was not changed') ?? e;
    }
    this.urgentBypass = on;
    this.o.events.publish('broker.urgent_bypass', { urgent_bypass: on });
    this.schedule();
    return on;
  }

  purge(what: PurgeWhat): number {
    let r;
    try {
      r = this.store.purge(what);
    } catch (e) {
      throw storeUnavailable(e, 'nothing was purged') ?? e;
    }
    // Logs go after the commit; a log left behind by a crash here is harmless.
    void Promise.all(r.withLogs.map((id) => removeLogFiles(jobLogPath(this.o.stateDir, id)))).catch(() => undefined);
    this.o.events.publish('broker.purged', { what, removed: r.removed });
    return r.removed;
  }

  /**
   * Remote launchers stop taking jobs and exit after their running ones (they read it in their
   * next lease). The wire keeps BrokeredLauncher's word for launchers, "workers"
   * (`/broker/exit-workers`, `exit_workers_at`, `broker.exit_workers`); inside bl a worker is a
   * process of a task's pool.
   */
  exitLaunchers(): void {
    this.launchersExitAt = Date.now();
    this.o.events.publish('broker.exit_workers', {});
    this.remote.serve();
  }

  /** Resolves when `id` is no longer pending or running (for log follow). */
  isEnded(id: string): boolean {
    const j = this.store.get(id);
    return !j || (j.state !== 'pending' && j.state !== 'running' && j.state !== 'waiting');
  }

  /** Events for the waiting jobs the store released or cancelled (dependencies.ts). */
  private publishSettled(): void {
    const settled = this.store.takeSettled();
    for (const { job, released } of settled) {
      if (released) this.o.events.publish('job.released', { id: job.id, queue: job.queue });
      else this.o.events.publish('job.finished', { id: job.id, state: job.state, reason: job.reason });
    }
    if (settled.some((s) => s.released)) {
      this.warmLocal();
      this.schedule();
    }
  }

  // ---- dispatch -----------------------------------------------------------------------

  private schedule(): void {
    if (this.pumpQueued || this.closed || !this.started) return;
    this.pumpQueued = true;
    setImmediate(() => {
      this.pumpQueued = false;
      this.pump();
      // Ends written elsewhere (remote launchers, recovery) kick a round: theirs come out here.
      this.publishSettled();
    });
  }

  /**
   * Claims what the limits allow and starts those jobs. `prior`: the write that freed a slot
   * (a job's end), made in the same transaction as the claims it allows: one commit a job
   * less, and a job's end and its successor's start are durable together.
   */
  private pump(prior?: () => void): void {
    // Writes the store refused earlier go first: this one waits its turn behind them.
    if (prior && this.writes.waiting > 0) {
      this.writes.write(prior);
      prior = undefined;
    }
    if (this.closed || this.draining) {
      if (prior) this.writes.write(prior);
      return;
    }
    let claimed: JobRecord[] = [];
    try {
      claimed = this.store.atomically(() => {
        prior?.();
        return this.claim();
      });
    } catch (e) {
      // The end alone (kept to retry if the store still refuses), then the claims alone.
      if (prior) {
        this.writes.write(prior);
        return this.pump();
      }
      // A store that cannot take the claim: running jobs go on, dispatch tries again later.
      console.error(`bl-daemon: dispatch paused, the store refused a claim: ${(e as Error).message}`);
      if (!this.pumpRetry) {
        // Unref'd: a retry is no reason to live on (the daemon's server keeps it up; a
        // broker whose db was closed under it must not keep its process alive retrying).
        this.pumpRetry = setTimeout(() => {
          this.pumpRetry = undefined;
          this.schedule();
        }, RETRY_CLAIM_MS).unref();
      }
    }
    for (const job of claimed) this.launcher.run(job);
    // Remote launchers waiting in a lease get what the built-in launcher left.
    this.remote.serve();
  }

  /** The jobs the limits let the built-in launcher start now, claimed (in the caller's transaction). */
  private claim(): JobRecord[] {
    this.readShared();
    const c = this.store.counts();
    const d = decideDispatch({
      concurrency: this.concurrency,
      urgentBypass: this.urgentBypass,
      localSlots: this.settings.localSlots,
      running: c.byState.running,
      runningLocal: this.launcher.size,
      pendingUrgent: c.pendingByQueue.urgent,
      pendingNormal: c.pendingByQueue.normal,
      draining: this.draining,
    });
    const at = { launcher: LOCAL_LAUNCHER, host: this.host, now: Date.now() };
    const claimed: JobRecord[] = [];
    forEachClaim(d, (urgentOnly) => {
      const job = this.store.claimNext({ urgentOnly, ...at });
      if (job) claimed.push(job);
      return job !== undefined;
    });
    return claimed;
  }

  private onEnded(job: JobRecord, r: RunResult): void {
    const now = r.exitedAt ?? Date.now();
    let write: () => void;
    let event: [string, Record<string, unknown>];
    const d = decideEnd(r.outcome, r.exitCode, job.attempt, job.retries);
    if (d.kind === 'again') {
      // Shutdown or the launcher's allocation stopped it: back first in line (decideEnd says
      // whether this attempt counted).
      const reason =
        r.outcome === 'evicted' ? `attempt ${job.attempt}: ${r.reason ?? `evicted from launcher ${job.launcher ?? '?'}`}` : r.outcome === 'orphaned' ? `attempt ${job.attempt}: ${r.reason ?? 'its spawn helper died'}` : r.reason;
      write = () => this.store.requeue(job.id, { head: true, attempt: d.attempt, reason });
      event = ['job.requeued', { id: job.id, attempt: d.attempt, reason, ...(job.launcher ? { launcher: job.launcher } : {}) }];
    } else if (d.kind === 'retry') {
      const why = r.reason ?? (r.signal ? `killed by ${r.signal}` : `exit code ${r.exitCode}`);
      const reason = `attempt ${job.attempt} ended: ${why}`;
      write = () => this.store.requeue(job.id, { head: false, attempt: d.attempt, reason });
      event = ['job.requeued', { id: job.id, attempt: d.attempt, reason }];
    } else {
      const reason = d.why ? `${r.reason ?? r.outcome}; ${d.why}` : r.reason;
      const fields = { state: d.state, exitCode: r.exitCode, signal: r.signal, usage: r.usage, reason, now };
      write = () => this.store.finish(job.id, fields);
      event = ['job.finished', { id: job.id, state: d.state, exit_code: r.exitCode, signal: r.signal, reason: reason ?? null }];
    }
    // Straight to the next claim, no hop through the event loop: with few slots the time from
    // one job's exit to the next one's spawn is what bounds throughput.
    if (this.started && !this.closed) this.pump(write);
    else this.writes.write(write);
    this.o.events.publish(...event);
    // After the end that released or cancelled them.
    this.publishSettled();
    for (const w of this.endWaiters.splice(0)) w();
  }

  // ---- shutdown -----------------------------------------------------------------------

  /**
   * Stops dispatching, lets running jobs end for up to `forceTimeoutMs`, then kills the rest
   * and puts them back at the head of their queue (same attempt). `keepJobs`: the built-in
   * launcher's jobs are left running under their keepers instead, for the next daemon to
   * follow (http jobs, which cannot outlive the daemon, go back to the queue). Every write is
   * done when it resolves; the db is the daemon's to close.
   */
  async drain(forceTimeoutMs: number, force?: AbortSignal, keepJobs = false): Promise<void> {
    this.draining = true;
    if (keepJobs) this.launcher.releaseAll('the daemon shut down keeping its jobs running; an http job cannot outlive it');
    this.remote.close();
    // Beside the built-in launcher's drain: scancel, and the pilots' jobs back in the queue.
    const allocations = this.allocations.shutdown().catch((e: Error) => console.error(`bl-daemon: cancelling the Slurm allocations failed: ${e.message}`));
    if (this.pumpRetry) clearTimeout(this.pumpRetry);
    // A forced shutdown (second CTRL+C) waits for nothing: kill now, SIGKILL without grace.
    const onForce = () => {
      for (const w of this.endWaiters.splice(0)) w();
      this.launcher.hurryAll();
    };
    force?.addEventListener('abort', onForce, { once: true });
    const deadline = Date.now() + forceTimeoutMs;
    while (this.launcher.size > 0 && Date.now() < deadline && !force?.aborted) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        this.endWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    for (const id of this.launcher.ids()) this.launcher.kill(id, 'drained', `the daemon shut down after waiting ${forceTimeoutMs} ms`);
    if (force?.aborted) this.launcher.hurryAll();
    await this.launcher.settled();
    force?.removeEventListener('abort', onForce);
    // onEnded of the last runs happens in the same tick as settled(); let it run first.
    await new Promise((r) => setImmediate(r));
    await allocations;
    this.writes.stop();
    this.writes.flush();
    this.launcher.close();
    this.closed = true;
  }
}

export function createBroker(o: BrokerOptions): Broker {
  return new Broker(o);
}

