// The daemon's Slurm allocations (broker.slurm), the I/O side of alloc-rules.ts: sbatch of a
// pilot that runs bl-launcher, ONE squeue a poll interval for all allocations together (with a
// backoff while it fails), scancel on request and at shutdown. Nothing here runs per bl job:
// jobs go to the pilots over the lease channel like to any launcher, and a job's start on a
// pilot is counted from the bus. Allocations are in the store (alloc-store.ts): a restarted
// daemon polls the ones it left and their pilots' tokens still work.
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { BlError } from '../../../contract/errors.js';
import { plural } from '../../../contract/plural.js';
import type { AllocationJson, AllocationsJson, LauncherJson } from '../../../contract/types.js';
import type { SlurmSettings } from '../../config/types.js';
import type { EventBus, BlEvent } from '../../events/bus.js';
import type { Db } from '../../state/db.js';
import { decideSubmit, initialRules, reduceRules, type AllocCounts, type Demand, type RulesAction, type RulesEvent, type RulesState } from './alloc-rules.js';
import { AllocStore, type AllocRecord } from './alloc-store.js';
import { pilotProgram } from './pilot-program.js';
import type { PilotSpec } from './pilot-script.js';
import { submitPilot } from './submit-pilot.js';
import { outputTail } from './output-tail.js';
import { LAUNCHER_PREFIX, newPilotToken, tokenHash } from './pilot-tokens.js';
import { allUnknown, endedHow, neverStarts, parseSqueue, phaseOf, SQUEUE_FORMAT, type SlurmJobView } from './squeue-parse.js';
import { failureText, findSlurmCommands, runSlurm, type SlurmCommands } from './slurm-commands.js';

const LAUNCHER_NAME = /^slurm-(\d+)$/;
/** The longest a poll waits after failures in a row (doubling from the poll interval). */
const MAX_POLL_BACKOFF_MS = 5 * 60_000;
/** squeue and scancel wait on slurmctld: slow answers are waited for, not for ever. */
const SLURM_TIMEOUT_MS = 60_000;
/** Ended allocations GET /broker/allocations shows beside the live ones. */
const ENDED_SHOWN = 10;

export interface BrokerSide {
  /** Jobs waiting and their room; `localFree`: free slots of the built-in launcher. */
  demand(): Omit<Demand, 'freeSlots'> & { localFree: number };
  /** Remote launchers the daemon knows. */
  launchers(): LauncherJson[];
  /** A launcher is seen as connected this long after its last word (the lease time). */
  connectedWithinMs(): number;
  /** Jobs still held by a launcher that is gone go back to the queue now, not at lease expiry. */
  launcherGone(name: string, reason: string, countAttempt: boolean): void;
}

export interface AllocationsDeps {
  db: Db | undefined;
  events: EventBus;
  stateDir: string;
  /** The daemon's URL for pilots when broker.slurm.launcher_url is not set (known once it listens). */
  daemonUrl: () => string;
  /** The daemon's CA file (tls.ca), handed to pilots. */
  caFile: string | undefined;
  /** The daemon's host name (the job name is `<name>-<host>`). */
  host: string;
  log: { info(m: string, f?: Record<string, unknown>): void; warn(m: string, f?: Record<string, unknown>): void };
  broker: BrokerSide;
}

interface Alloc extends AllocRecord {
  connected: boolean;
  /** Its launcher said goodbye (it exits): no more jobs from it. */
  leaving: boolean;
  /** Why bl cancelled it, once it did. */
  cancelReason: string | null;
}

export interface SubmitOutcome {
  submitted: AllocationJson[];
  /** Why the last sbatch failed, when one did. */
  error: string | null;
}

export class SlurmAllocations {
  private settings: SlurmSettings | undefined;
  private commands: SlurmCommands | undefined;
  private readonly allocs = new Map<string, Alloc>();
  private readonly store: AllocStore | undefined;
  /** Token hash → allocation id; '' while its sbatch runs (the pilot may be quicker than sbatch's answer). */
  private readonly tokens = new Map<string, string>();
  private rules: RulesState = initialRules();
  /** sbatch calls, one at a time. */
  private queue: Promise<unknown> = Promise.resolve();
  private inflight = 0;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private pollFailures = 0;
  private evalQueued = false;
  private started = false;
  private closed = false;
  private unsubscribe: (() => void) | undefined;
  private readonly dir: string;
  /** squeue calls made (each covers every allocation). */
  polls = 0;
  /** Decision rounds on the poll timer. */
  rounds = 0;

  constructor(private readonly d: AllocationsDeps, settings: SlurmSettings | undefined, where: string) {
    this.dir = path.join(d.stateDir, 'slurm');
    this.store = d.db ? new AllocStore(d.db) : undefined;
    for (const r of this.store?.load() ?? []) {
      this.allocs.set(r.id, { ...r, connected: false, leaving: r.state === 'ending', cancelReason: r.cancelledByBl ? r.reason : null });
      if (r.state !== 'ended') this.tokens.set(r.tokenHash, r.id);
    }
    this.configure(settings, where);
  }

  get configured(): boolean {
    return this.settings !== undefined;
  }

  /**
   * A config (the start's or a reload's). Without broker.slurm nothing more is submitted; the
   * allocations alive are still followed until they end. A reload resumes a paused submission.
   */
  configure(settings: SlurmSettings | undefined, where: string, reload = false): void {
    if (settings) this.commands = findSlurmCommands(settings, where);
    this.settings = settings;
    if (reload) this.resume('a config reload');
    if (this.started) {
      this.warnLoopback();
      this.arm(0);
    }
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    mkdirSync(this.dir, { recursive: true });
    this.unsubscribe = this.d.events.subscribe((e) => this.onEvent(e));
    this.warnLoopback();
    this.arm(0);
  }

  private warnLoopback(): void {
    if (!this.settings) return;
    const url = this.pilotUrl();
    let host = '';
    try {
      host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    } catch {
      return;
    }
    if (host === 'localhost' || host === '::1' || /^127\./.test(host)) {
      this.d.log.warn(
        `broker.slurm: pilots will reach the daemon at ${url}, a loopback address: only pilots on this host can; set broker.slurm.launcher_url (and bind, with auth) to an address the compute nodes reach`,
      );
    }
  }

  private pilotUrl(): string {
    return this.settings?.launcherUrl ?? this.d.daemonUrl();
  }

  // ---- the poll: one squeue for every allocation, then a decision ---------------------------

  private arm(delayMs: number): void {
    if (this.closed || !this.started) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), delayMs);
    this.timer.unref();
  }

  private intervalMs(): number {
    return (this.settings?.pollIntervalS ?? 10) * 1000;
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (this.closed || this.polling) return;
    this.rounds++;
    let delay = this.intervalMs();
    if (this.alive().length > 0 && this.commands) {
      this.polling = true;
      try {
        const ok = await this.poll();
        this.pollFailures = ok ? 0 : this.pollFailures + 1;
        if (!ok) delay = Math.min(MAX_POLL_BACKOFF_MS, delay * 2 ** this.pollFailures);
      } finally {
        this.polling = false;
      }
    }
    if (this.closed) return;
    this.evaluate();
    this.arm(delay);
  }

  private alive(): Alloc[] {
    return [...this.allocs.values()].filter((a) => a.state !== 'ended');
  }

  /** One squeue for all; false when it failed (the allocations keep their last known state). */
  private async poll(): Promise<boolean> {
    const ids = this.alive().map((a) => a.id);
    if (ids.length === 0) return true;
    this.polls++;
    const r = await runSlurm(this.commands!, 'squeue', ['-h', '-t', 'all', '-j', ids.join(','), '-o', SQUEUE_FORMAT], SLURM_TIMEOUT_MS);
    let seen: Map<string, SlurmJobView>;
    if (r.code === 0) seen = parseSqueue(r.stdout);
    else if (r.code === 1 && allUnknown(r.stderr)) seen = new Map();
    else {
      const why = failureText('squeue', r);
      if (this.pollFailures === 0) this.d.log.warn(`broker.slurm: squeue failed: ${why}; trying again with a growing wait, the allocations keep their last known state`);
      return false;
    }
    if (this.pollFailures > 0) this.d.log.info(`broker.slurm: squeue answers again after ${plural(this.pollFailures, 'failure')}`);
    const now = Date.now();
    for (const id of ids) {
      const a = this.allocs.get(id);
      if (a && a.state !== 'ended') this.follow(a, seen.get(id), now);
    }
    return true;
  }

  /** An allocation as squeue shows it now (undefined: squeue no longer has it, so it ended). */
  private follow(a: Alloc, v: SlurmJobView | undefined, now: number): void {
    const phase = v ? phaseOf(v.state) : 'ended';
    if (phase === 'ended') return this.end(a, now, v);
    const never = v ? neverStarts(v) : null;
    if (never !== null && a.cancelReason === null) return void this.giveUp(a, never);
    // A queued allocation shows why Slurm keeps it waiting (Priority, Resources…).
    if (phase === 'pending') a.reason = v?.reason ? `waiting in Slurm: ${v.reason}` : null;
    if (v?.node) a.node = v.node;
    if (phase === 'running' || phase === 'ending') {
      if (v?.timeLeftS != null) a.endAt = now + v.timeLeftS * 1000;
      const started = v?.elapsedS != null ? now - v.elapsedS * 1000 : now;
      if (a.startedAt === null || started < a.startedAt) this.markStarted(a, started);
    }
    this.settle(a, phase === 'ending', now);
  }

  private markStarted(a: Alloc, at: number): void {
    const first = a.startedAt === null;
    a.startedAt = at;
    if (a.endAt === null && this.settings) a.endAt = at + this.settings.timeLimitS * 1000;
    if (a.state === 'pending') {
      a.state = 'running';
      if (a.cancelReason === null) a.reason = null;
    }
    this.save(a);
    if (first) this.d.events.publish('alloc.started', { id: a.id, launcher: launcherOf(a.id), node: a.node, end_at: iso(a.endAt) });
  }

  /** running ↔ ending: Slurm is ending it, its last end_margin has come, or its launcher left. */
  private settle(a: Alloc, slurmEnding: boolean, now: number): void {
    if (a.state === 'pending' || a.state === 'ended') return;
    const margin = (this.settings?.endMarginS ?? 0) * 1000;
    const ending = slurmEnding || a.leaving || a.cancelReason !== null || (a.endAt !== null && a.endAt - now <= margin);
    const state = ending ? 'ending' : 'running';
    if (state !== a.state) {
      a.state = state;
      this.save(a);
    }
  }

  private end(a: Alloc, now: number, v: SlurmJobView | undefined): void {
    const how = a.cancelReason ?? endedHow(v);
    a.state = 'ended';
    a.endedAt = now;
    a.connected = false;
    a.reason = how;
    this.save(a);
    this.tokens.delete(a.tokenHash);
    rmSync(path.join(this.dir, `${a.id}.sh`), { force: true });
    const name = launcherOf(a.id);
    // Its jobs' processes went with it: they run again now rather than after the lease time.
    this.d.broker.launcherGone(name, `allocation ${a.id} ended: ${how}`, a.cancelReason === null);
    const ranMs = a.startedAt === null ? null : now - a.startedAt;
    this.d.events.publish('alloc.ended', { id: a.id, launcher: name, reason: how, jobs_run: a.jobsRun, ran_s: ranMs === null ? null : Math.round(ranMs / 1000) });
    const d = this.demandNow();
    const tail = a.everConnected ? '' : outputTail(path.join(this.dir, `${a.id}.out`));
    this.feed({
      type: 'ended',
      end: {
        id: a.id,
        everConnected: a.everConnected,
        ranMs,
        jobsRun: a.jobsRun,
        workPending: d.pendingNormal + d.pendingUrgent > 0,
        cancelledByBl: a.cancelledByBl,
        how: tail ? `${how}; its output ends: ${tail}` : a.startedAt === null ? how : `${how}; its output: ${path.join(this.dir, `${a.id}.out`)}`,
      },
    });
  }

  // ---- what the launchers and the bus say ----------------------------------------------------

  /** A launcher leased for the first time (or again after a goodbye). */
  launcherArrived(name: string, host: string): void {
    const a = this.allocOf(name);
    if (!a || a.state === 'ended') return;
    const was = a.connected;
    a.connected = true;
    a.leaving = false;
    if (!a.node) a.node = host;
    if (!a.everConnected) {
      a.everConnected = true;
      this.save(a);
    }
    if (a.startedAt === null) this.markStarted(a, Date.now());
    // Slurm usually says an allocation started before its pilot has leased: whoever shows
    // `connected` (the dashboard) hears it from this event.
    if (!was) this.d.events.publish('alloc.connected', { id: a.id, launcher: name, node: a.node });
    this.schedule();
  }

  /** A launcher said goodbye (it exits: idle, end of its time, a signal). */
  launcherLeft(name: string): void {
    const a = this.allocOf(name);
    if (!a || a.state === 'ended') return;
    a.leaving = true;
    a.connected = false;
    this.settle(a, false, Date.now());
    this.schedule();
  }

  private onEvent(e: BlEvent): void {
    if (e.topic === 'job.started') {
      const a = typeof e.data.launcher === 'string' ? this.allocOf(e.data.launcher) : undefined;
      if (a) {
        a.jobsRun++;
        // Written with its next change of state, not a write a job.
        if (a.jobsRun === 1) {
          this.save(a);
          this.feed({ type: 'first_job' });
        }
      }
      return;
    }
    // Work came or went, or the room for it changed: maybe more allocations are wanted.
    if (e.topic === 'job.submitted' || e.topic === 'job.released' || e.topic === 'job.requeued' || e.topic === 'broker.concurrency' || e.topic === 'broker.urgent_bypass') this.schedule();
  }

  private allocOf(launcher: string): Alloc | undefined {
    const m = LAUNCHER_NAME.exec(launcher);
    return m ? this.allocs.get(m[1]!) : undefined;
  }

  // ---- the decision and submission ----------------------------------------------------------

  private schedule(): void {
    if (this.evalQueued || this.closed || !this.started) return;
    this.evalQueued = true;
    setImmediate(() => {
      this.evalQueued = false;
      this.evaluate();
    });
  }

  private refreshConnections(now: number): Map<string, LauncherJson> {
    const within = this.d.broker.connectedWithinMs();
    const seen = new Map<string, LauncherJson>();
    for (const l of this.d.broker.launchers()) {
      if (l.last_seen_at && now - Date.parse(l.last_seen_at) <= within) seen.set(l.name, l);
    }
    for (const a of this.alive()) {
      const on = seen.has(launcherOf(a.id)) && !a.leaving;
      if (on && !a.connected) this.launcherArrived(launcherOf(a.id), seen.get(launcherOf(a.id))!.host);
      a.connected = on;
      this.settle(a, false, now);
    }
    return seen;
  }

  private demandNow(): Demand {
    const { localFree, ...rest } = this.d.broker.demand();
    let freeSlots = localFree;
    const now = Date.now();
    const within = this.d.broker.connectedWithinMs();
    for (const l of this.d.broker.launchers()) {
      const a = this.allocOf(l.name);
      if (l.exiting || (a && a.state !== 'running') || !l.last_seen_at || now - Date.parse(l.last_seen_at) > within) continue;
      freeSlots += Math.max(0, l.slots - l.running);
    }
    return { ...rest, freeSlots };
  }

  private counts(): AllocCounts {
    let pending = 0;
    let alive = 0;
    let unconnectedSlots = 0;
    for (const a of this.allocs.values()) {
      if (a.state !== 'pending' && a.state !== 'running') continue;
      alive++;
      if (a.state === 'pending') pending++;
      if (!a.connected) unconnectedSlots += a.slots;
    }
    return { pending: pending + this.inflight, alive: alive + this.inflight, unconnectedSlots: unconnectedSlots + this.inflight * (this.settings?.slotsPerLauncher ?? 0) };
  }

  private evaluate(): void {
    const s = this.settings;
    if (this.closed || !s || this.inflight > 0) return;
    const now = Date.now();
    this.refreshConnections(now);
    const n = decideSubmit(this.rules, this.counts(), this.demandNow(), this.limits(s), now);
    if (n > 0) void this.submit(n, 'demand').then((o) => o.error === null && this.schedule());
  }

  private limits(s: SlurmSettings) {
    return { slotsPerLauncher: s.slotsPerLauncher, maxLaunchers: s.maxLaunchers, maxPendingAllocations: s.maxPendingAllocations, pollIntervalMs: s.pollIntervalS * 1000 };
  }

  private feed(e: RulesEvent): void {
    const r = reduceRules(this.rules, e, Date.now(), this.intervalMs());
    this.rules = r.state;
    for (const a of r.actions) this.act(a);
  }

  private act(a: RulesAction): void {
    switch (a.type) {
      case 'failed':
        if (a.kind === 'sbatch') this.d.events.publish('alloc.failed', { kind: 'sbatch', error: a.error, failures: a.failures });
        else this.d.events.publish('alloc.failed', { kind: 'start', id: a.id, launcher: launcherOf(a.id), reason: a.reason, failures: a.failures });
        return;
      case 'paused':
        this.d.events.publish('alloc.paused', { reason: a.reason });
        return;
      case 'resumed':
        this.d.events.publish('alloc.resumed', { by: a.by });
        this.schedule();
        return;
    }
  }

  /** `count` sbatch calls, one after another; stops at the first failure. */
  private submit(count: number, by: string): Promise<SubmitOutcome> {
    this.inflight += count;
    const run = async (): Promise<SubmitOutcome> => {
      const out: SubmitOutcome = { submitted: [], error: null };
      try {
        for (let i = 0; i < count && !this.closed && out.error === null; i++) {
          const r = await this.submitOne(by);
          this.inflight--;
          if (typeof r === 'string') out.error = r;
          else out.submitted.push(this.json(r, Date.now()));
        }
      } finally {
        this.inflight -= count - out.submitted.length - (out.error === null ? 0 : 1);
      }
      return out;
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** The new allocation, or why sbatch failed. */
  private async submitOne(by: string): Promise<Alloc | string> {
    const s = this.settings;
    const c = this.commands;
    if (!s || !c) return 'broker.slurm is no longer in the config';
    const token = newPilotToken();
    const hash = tokenHash(token);
    const spec: PilotSpec = {
      settings: s,
      jobName: `${s.name}-${this.d.host}`,
      dir: this.dir,
      program: pilotProgram(),
      url: this.pilotUrl(),
      token,
      caFile: this.d.caFile,
    };
    // The pilot may connect before sbatch's answer reaches us: its token works meanwhile.
    this.tokens.set(hash, '');
    const r = await submitPilot(c, spec);
    if ('error' in r) {
      this.tokens.delete(hash);
      this.feed({ type: 'sbatch_failed', error: r.error });
      return r.error;
    }
    const id = r.id;
    const a: Alloc = {
      id,
      state: 'pending',
      node: null,
      slots: s.slotsPerLauncher,
      submittedAt: Date.now(),
      startedAt: null,
      endedAt: null,
      endAt: null,
      jobsRun: 0,
      everConnected: false,
      cancelledByBl: false,
      reason: null,
      tokenHash: hash,
      connected: false,
      leaving: false,
      cancelReason: null,
    };
    this.allocs.set(id, a);
    this.tokens.set(hash, id);
    this.save(a);
    this.d.events.publish('alloc.submitted', { id, launcher: launcherOf(id), by });
    this.feed({ type: 'sbatch_ok' });
    return a;
  }

  // ---- the routes' verbs -------------------------------------------------------------------

  private need(): SlurmSettings {
    if (!this.settings) throw new BlError('conflict', 'no broker.slurm in the config');
    return this.settings;
  }

  /** POST /broker/allocations: `count` now, within max_launchers; a pause is lifted first. */
  async submitNow(count: number, by: string): Promise<SubmitOutcome> {
    const s = this.need();
    if (this.closed) throw new BlError('unavailable', 'the daemon is shutting down; no allocation was submitted');
    const c = this.counts();
    const room = s.maxLaunchers - c.alive;
    if (count > room) {
      throw new BlError('conflict', `expected at most ${room} more allocation${room === 1 ? '' : 's'} (max_launchers ${s.maxLaunchers}, ${c.alive} alive or being submitted), asked for ${count}`);
    }
    this.resume(by);
    const o = await this.submit(count, by);
    if (o.submitted.length === 0 && o.error !== null) throw new BlError('unavailable', `sbatch failed: ${o.error}`);
    return o;
  }

  /** DELETE /broker/allocations/:id: scancel; it is `ending` until Slurm has it ended. */
  async cancel(id: string, by: string): Promise<AllocationJson> {
    this.need();
    const a = this.allocs.get(id);
    if (!a) {
      const known = [...this.allocs.keys()];
      throw new BlError('not_found', `no allocation ${id}${known.length ? ` (known: ${known.slice(-10).join(', ')})` : ' (none submitted)'}`);
    }
    if (a.state === 'ended') throw new BlError('conflict', `allocation ${id} has already ended: ${a.reason ?? 'no reason known'}`);
    const r = await runSlurm(this.commands!, 'scancel', [id], SLURM_TIMEOUT_MS);
    if (r.code !== 0) throw new BlError('unavailable', `scancel ${id} failed: ${failureText('scancel', r)}`);
    a.cancelledByBl = true;
    a.cancelReason = `cancelled by ${by}`;
    a.reason = a.cancelReason;
    if (a.state === 'pending') return this.endNow(a);
    this.settle(a, true, Date.now());
    this.save(a);
    return this.json(a, Date.now());
  }

  /**
   * A queued allocation Slurm will never start: scancel it and count it as one that died at
   * start (not cancelledByBl), so three in a row pause submission with the reason, and jobs
   * waiting behind it are not held by it.
   */
  private async giveUp(a: Alloc, why: string): Promise<void> {
    a.cancelReason = why;
    a.reason = why;
    this.d.log.warn(`broker.slurm: allocation ${a.id}: ${why}; cancelling it`);
    const r = await runSlurm(this.commands!, 'scancel', [a.id], SLURM_TIMEOUT_MS);
    if (r.code !== 0) this.d.log.warn(`broker.slurm: scancel ${a.id} failed: ${failureText('scancel', r)}`);
    if (a.state === 'pending') this.end(a, Date.now(), undefined);
    this.schedule();
  }

  /** A pending allocation cancelled is over at once: it never ran. */
  private endNow(a: Alloc): AllocationJson {
    this.end(a, Date.now(), undefined);
    return this.json(a, Date.now());
  }

  /** POST /broker/allocations/resume, a manual submit, a config reload. */
  resume(by: string): boolean {
    const was = this.rules.paused !== null;
    this.feed({ type: 'resume', by });
    return was;
  }

  /** The pilot's launcher name a token speaks for: `slurm-ID`, `slurm-` while its sbatch runs, undefined: none. */
  launcherForToken(token: string): string | undefined {
    const id = this.tokens.get(tokenHash(token));
    return id === undefined ? undefined : `${LAUNCHER_PREFIX}${id}`;
  }

  /** A live allocation's launcher: only its token speaks for it. */
  isAllocationLauncher(name: string): boolean {
    const a = this.allocOf(name);
    return a !== undefined && a.state !== 'ended';
  }

  /** What GET /launchers adds to a Slurm launcher. */
  allocationOfLauncher(name: string, now = Date.now()): { id: string; node: string | null; time_left_s: number | null } | undefined {
    const a = this.allocOf(name);
    return a && { id: a.id, node: a.node, time_left_s: timeLeft(a, now) };
  }

  list(now = Date.now()): AllocationsJson {
    if (this.started && !this.closed) this.refreshConnections(now);
    const all = [...this.allocs.values()];
    const alive = all.filter((a) => a.state !== 'ended').sort(byId);
    const ended = all.filter((a) => a.state === 'ended').sort((x, y) => (y.endedAt ?? 0) - (x.endedAt ?? 0)).slice(0, ENDED_SHOWN).reverse();
    return { paused: this.rules.paused, allocations: [...ended, ...alive].map((a) => this.json(a, now)) };
  }

  limitsText(): string {
    const s = this.settings;
    return s ? `max_launchers ${s.maxLaunchers}, max_pending_allocations ${s.maxPendingAllocations}, ${s.slotsPerLauncher} slots each` : 'not configured';
  }

  private json(a: Alloc, now: number): AllocationJson {
    return {
      id: a.id,
      state: a.state,
      launcher: launcherOf(a.id),
      node: a.node,
      submitted_at: iso(a.submittedAt)!,
      started_at: iso(a.startedAt),
      ended_at: iso(a.endedAt),
      end_at: iso(a.endAt),
      time_left_s: timeLeft(a, now),
      connected: a.connected,
      jobs_run: a.jobsRun,
      reason: a.reason,
    };
  }

  private save(a: Alloc): void {
    try {
      this.store?.save(a);
    } catch (e) {
      this.d.log.warn(`broker.slurm: could not record allocation ${a.id} in the store: ${(e as Error).message}`);
    }
  }

  // ---- shutdown ------------------------------------------------------------------------------

  /**
   * No more submissions; one scancel for every allocation alive; their jobs go back to the
   * head of the queue (the same attempt: bl stopped them). An allocation scancel could not
   * cancel stays recorded as alive, for the next daemon to follow.
   */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.unsubscribe?.();
    await this.queue;
    const alive = this.alive();
    if (alive.length === 0 || !this.commands) return;
    const r = await runSlurm(this.commands, 'scancel', alive.map((a) => a.id), SLURM_TIMEOUT_MS);
    if (r.code !== 0) {
      this.d.log.warn(`broker.slurm: scancel of ${plural(alive.length, 'allocation')} at shutdown failed: ${failureText('scancel', r)}; they stay recorded for the next start`);
      return;
    }
    this.d.log.info(`broker.slurm: cancelled ${plural(alive.length, 'allocation')} at shutdown: ${alive.map((a) => a.id).join(', ')}`);
    const now = Date.now();
    for (const a of alive) {
      a.cancelledByBl = true;
      a.cancelReason = "cancelled at the daemon's shutdown";
      this.end(a, now, undefined);
    }
  }
}

export function launcherOf(id: string): string {
  return `${LAUNCHER_PREFIX}${id}`;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const byId = (a: { id: string }, b: { id: string }) => Number(a.id) - Number(b.id);

function timeLeft(a: Alloc, now: number): number | null {
  if ((a.state !== 'running' && a.state !== 'ending') || a.endAt === null) return null;
  return Math.max(0, Math.round((a.endAt - now) / 1000));
}
