// The launcher protocol (docs/spec.md "HTTP API", Launcher protocol): long-poll leases,
// heartbeats and finish reports from bl-launcher agents, plus the list of launchers and the
// notes a late report leaves on a job. Handlers parse and answer; the broker decides.
import { appendFileSync } from 'node:fs';
import type Router from '@koa/router';
import type { Context } from 'koa';
import { BlError, describe } from '../../../contract/errors.js';
import { MAX_LEASE_WAIT_S, type LauncherJson, type LeaseJson, type UsageJson } from '../../../contract/types.js';
import { jobJson } from '../job-json.js';
import { OUTCOMES, type RunResult } from '../../../contract/run.js';
import { readJson } from '../body.js';
import { rfc3339, reply } from '../respond.js';
import type { Services } from '../../services.js';
import { checkLauncherName } from '../auth.js';
import { launcherAllocationText } from '../allocation-text.js';


type Body = Record<string, unknown>;

async function body(ctx: Context): Promise<Body> {
  const b = await readJson(ctx, 1024 * 1024);
  if (b === undefined) return {};
  if (typeof b !== 'object' || b === null || Array.isArray(b)) throw new BlError('bad_value', `expected a JSON object, found ${describe(b)}`);
  return b as Body;
}

function str(b: Body, name: string, fallback?: string): string {
  const v = b[name];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'string' || v === '') throw new BlError('bad_value', `expected \`${name}\` to be a non-empty string, found ${describe(v)}`);
  return v;
}

function int(b: Body, name: string, min: number): number | undefined {
  const v = b[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new BlError('bad_value', `expected \`${name}\` to be an integer ≥ ${min}, found ${describe(v)}`);
  return v;
}

function usage(b: Body): UsageJson | null {
  const u = b.usage;
  if (u === undefined || u === null) return null;
  const ok = typeof u === 'object' && ['cpu_max', 'rss_max', 'cpu_last', 'rss_last'].every((k) => typeof (u as Body)[k] === 'number');
  if (!ok) throw new BlError('bad_value', `expected \`usage\` to be {cpu_max, rss_max, cpu_last, rss_last} (numbers), found ${describe(u)}`);
  return u as UsageJson;
}

/** End states a report may give instead of an outcome (the SPEC's `{state, exit_code, …}`). */
const STATE_OUTCOMES: Record<string, RunResult['outcome']> = {
  succeeded: 'exited', failed: 'exited', timed_out: 'timed_out', dead: 'dead', oom: 'oom', cancelled: 'cancelled', lost: 'lost',
};

function runResult(b: Body): RunResult {
  let outcome: RunResult['outcome'];
  if (b.outcome !== undefined) {
    if (!(OUTCOMES as readonly unknown[]).includes(b.outcome)) throw new BlError('bad_value', `expected \`outcome\` to be one of ${OUTCOMES.join(', ')}, found ${describe(b.outcome)}`);
    outcome = b.outcome as RunResult['outcome'];
  } else {
    const o = STATE_OUTCOMES[b.state as string];
    if (!o) throw new BlError('bad_value', `expected \`outcome\` or \`state\` (${Object.keys(STATE_OUTCOMES).join(', ')}), found ${describe(b.state)}`);
    outcome = o;
  }
  let exitCode = int(b, 'exit_code', -255) ?? null;
  // `state: failed` with no code still must not read as a success.
  if (b.outcome === undefined && exitCode === null) exitCode = b.state === 'succeeded' ? 0 : b.state === 'failed' ? 1 : null;
  const signal = b.signal === undefined || b.signal === null ? null : str(b, 'signal');
  const reason = b.reason === undefined || b.reason === null ? null : str(b, 'reason');
  return { outcome, exitCode, signal, usage: usage(b), reason };
}

/** Aborts when the client hangs up before the answer: its lease must not take jobs. */
function hangUp(ctx: Context): AbortSignal {
  const ac = new AbortController();
  ctx.res.once('close', () => {
    if (!ctx.res.writableEnded) ac.abort();
  });
  return ac.signal;
}

async function lease(ctx: Context, s: Services): Promise<void> {
  const broker = s.broker;
  const name = ctx.params.name!;
  checkLauncherName(ctx, name, broker.allocations, s.config.auth);
  const b = await body(ctx);
  const slots = int(b, 'slots', 1);
  if (slots === undefined) throw new BlError('bad_value', 'expected `slots` (how many jobs the launcher runs at once), found nothing');
  const wait = b.wait === undefined ? MAX_LEASE_WAIT_S : Number(b.wait);
  if (!Number.isFinite(wait) || wait < 0) throw new BlError('bad_value', `expected \`wait\` to be seconds ≥ 0, found ${describe(b.wait)}`);
  const m = b.max_timeout_s;
  if (m !== undefined && m !== null && (typeof m !== 'number' || !Number.isFinite(m) || m < 0)) {
    throw new BlError('bad_value', `expected \`max_timeout_s\` (the seconds the launcher has left to run jobs) to be a number ≥ 0, found ${describe(m)}`);
  }
  const a = await broker.remote.lease(
    {
      name, host: str(b, 'host', ctx.ip || 'unknown'), slots, waitMs: Math.min(wait, MAX_LEASE_WAIT_S) * 1000, untilIdle: b.exit_when_empty === true,
      maxTimeoutS: typeof m === 'number' ? m : undefined,
    },
    hangUp(ctx),
  );
  const leaseTtl = s.config.broker.leaseTtl;
  if (a.kind === 'exit') return reply(ctx, 'exit: the launchers were asked to exit after their running jobs', { jobs: [], exit: true, lease_ttl: leaseTtl } satisfies LeaseJson);
  if (a.kind === 'none') {
    ctx.status = 204;
    return;
  }
  reply(ctx, a.jobs.map((j) => `Leased job ${j.id} (attempt ${j.attempt})`).join('\n'), { jobs: a.jobs.map(jobJson), lease_ttl: leaseTtl } satisfies LeaseJson);
}

/** A remote job's log lives on its launcher's host; the end of it comes with the report. */
function keepLogTail(file: string, launcher: string, attempt: number | undefined, tail: string, skipped: number): void {
  const cut = skipped > 0 ? ` (the last ${Buffer.byteLength(tail)} bytes; ${skipped} more before them stay in the launcher's log)` : '';
  try {
    appendFileSync(file, `--- bl: attempt ${attempt ?? '?'} ran on launcher ${launcher}; its log${cut}: ---\n${tail}${tail.endsWith('\n') ? '' : '\n'}`);
  } catch (e) {
    console.error(`bl-daemon: could not keep the log of ${file}: ${(e as Error).message}`);
  }
}

/** A launcher's state column: `working`, `exiting`, `silent for 12 s`, `gone (silent for 40 s)`. */
export function launcherStateText(l: LauncherJson): string {
  const state = l.state ?? (l.exiting ? 'exiting' : 'working');
  if (state === 'silent') return `silent for ${l.silent_s ?? '?'} s`;
  if (state === 'gone') return `gone (silent for ${l.silent_s ?? '?'} s)`;
  return state;
}

export function mountLauncherRoutes(router: Router, s: Services): void {
  router.post('/launchers/:name/lease', (ctx) => lease(ctx, s));
  router.delete('/launchers/:name', (ctx) => {
    checkLauncherName(ctx, ctx.params.name!, s.broker.allocations, s.config.auth);
    // Why it leaves (`?reason=`, bl-launcher says it): kept as where its Slurm allocation ended.
    const why = typeof ctx.query.reason === 'string' && ctx.query.reason.trim() !== '' ? ctx.query.reason.trim().slice(0, 300) : undefined;
    const known = s.broker.remote.bye(ctx.params.name!, why);
    reply(ctx, known ? `Launcher ${ctx.params.name} left` : `no launcher ${ctx.params.name} was known`, { left: known });
  });
  router.get('/launchers', (ctx) => {
    const all = s.broker.status().launchers;
    const lines = all.map((l) => [l.name, l.host, `${l.running}/${l.slots}`, `seen ${rfc3339(Date.parse(l.last_seen_at ?? ''))}`, launcherStateText(l) + launcherAllocationText(l)].join('\t'));
    reply(ctx, lines.join('\n'), { launchers: all });
  });

  router.post('/jobs/:id/heartbeat', async (ctx) => {
    const b = await body(ctx);
    const pid = int(b, 'pid', 1) ?? null;
    const launcher = str(b, 'launcher');
    checkLauncherName(ctx, launcher, s.broker.allocations, s.config.auth);
    const r = s.broker.remote.heartbeat(ctx.params.id!, { launcher, attempt: int(b, 'attempt', 1), usage: usage(b), pid });
    reply(ctx, `Lease of job ${ctx.params.id} renewed for ${r.leaseTtl} s`, { ok: true, lease_ttl: r.leaseTtl });
  });

  router.post('/jobs/:id/finish', async (ctx) => {
    const b = await body(ctx);
    const id = ctx.params.id!;
    const broker = s.broker;
    const launcher = str(b, 'launcher');
    checkLauncherName(ctx, launcher, broker.allocations, s.config.auth);
    const attempt = int(b, 'attempt', 1);
    const tail = b.log_tail === undefined || b.log_tail === null ? '' : String(b.log_tail);
    const a = broker.remote.finish(id, { launcher, attempt, result: runResult(b) });
    // In the same tick as the end is recorded, so no reader sees the job ended and its log not.
    if (a.kind === 'recorded' && tail) keepLogTail(broker.logPath(id), launcher, attempt, tail, Number(b.log_skipped) || 0);
    const state = a.job?.state ?? 'unknown';
    if (a.kind === 'duplicate') return reply(ctx, `Job ${id}: this report was already recorded (${state})`, { recorded: false, duplicate: true, state });
    reply(ctx, `Job ${id}: report recorded (${state})`, { recorded: true, duplicate: false, state, job: jobJson(a.job) });
  });

  router.get('/jobs/:id/notes', (ctx) => {
    const b = s.broker;
    const { id } = b.get(ctx.params.id!);
    const notes = b.remote.notesOf(id);
    const text = notes.length ? notes.map((n) => `${rfc3339(n.at)}\t${n.text}`).join('\n') : `no notes on job ${id}`;
    reply(ctx, text, { notes: notes.map((n) => ({ at: new Date(n.at).toISOString(), text: n.text })) });
  });
}
