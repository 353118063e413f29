// The broker's routes (docs/spec.md "HTTP API", Broker): BrokeredLauncher's client commands as routes.
// Handlers parse and answer; the broker decides.
import type Router from '@koa/router';
import type { Context } from 'koa';
import { BlError, describeText } from '../../../contract/errors.js';
import { plural } from '../../../contract/plural.js';
import { END_STATES, type JobListFilter, type JobPageJson, type SubmitReplyJson } from '../../../contract/types.js';
import { jobDetail, jobJson, jobLine, JOB_LINE_HEADER } from '../job-json.js';
import { parseJsonSubmit, parseTextSubmit, type SubmitDefaults } from '../../broker/submit/submit-parse.js';
import { submitReply } from '../../broker/submit/submit-reply.js';
import type { ListOrder } from '../../broker/store/store.js';
import { checkJsonDepth, intParam, isJsonRequest, readJson, readText } from '../body.js';
import { serveLog } from '../log-file.js';
import { LOG_KEEP } from '../../supervisor/log-writer.js';
import { keyValueLines, reply } from '../respond.js';
import type { Services } from '../../services.js';
import { allocationCounts, launcherAllocationText } from '../allocation-text.js';

const FILTERS: readonly string[] = ['all', 'waiting', 'pending', 'running', 'completed', 'errors', ...END_STATES];
const ORDERS: readonly string[] = ['asc', 'desc'];
const MAX_PAGE = 10000;

function defaults(s: Services): SubmitDefaults {
  const b = s.config.broker;
  return { cwd: process.cwd(), timeout: b.defaultTimeout, idleCpu: b.idleCpu, retries: b.retries, refuseLimits: (l) => s.cgroups.refuse(l), log: { maxBytes: b.logMaxBytes ?? null, keep: b.logKeep ?? LOG_KEEP, timestamps: b.logTimestamps ?? false } };
}

function queryString(ctx: Context, name: string): string | undefined {
  const v = ctx.query[name];
  if (Array.isArray(v)) throw new BlError('bad_value', `expected one \`${name}\`, found ${v.length}`);
  return v;
}

/**
 * `curl -d '{"command": …}'` sends JSON labelled as a form. A body that parses as a JSON object
 * or an array of objects is taken as jobs: no shell command is valid JSON of that shape
 * (`{ cmd; }` and `[ -f x ]` are not JSON at all).
 */
function jobsJson(text: string): unknown {
  const t = text.trim();
  if (!t.startsWith('{') && !t.startsWith('[')) return undefined;
  checkJsonDepth(t);
  try {
    const v: unknown = JSON.parse(t);
    const isObj = (x: unknown) => typeof x === 'object' && x !== null && !Array.isArray(x);
    return isObj(v) || (Array.isArray(v) && v.length > 0 && v.every(isObj)) ? v : undefined;
  } catch {
    return undefined;
  }
}

async function submit(ctx: Context, s: Services): Promise<void> {
  const broker = s.broker;
  const d = defaults(s);
  let parsed;
  if (isJsonRequest(ctx)) {
    parsed = parseJsonSubmit(await readJson(ctx), d);
  } else {
    const text = await readText(ctx);
    const sniffed = jobsJson(text);
    if (sniffed !== undefined) {
      parsed = parseJsonSubmit(sniffed, d);
    } else {
      const q = (name: string) => queryString(ctx, name);
      const job = parseTextSubmit(text, { urgent: q('urgent'), cwd: q('cwd'), after: q('after'), after_any: q('after_any') }, d);
      parsed = { jobs: [job], single: true };
    }
  }
  const res = await broker.submitGrouped(parsed.jobs);
  // A sweep says how many of its combinations were left out as already done (sweep.ts).
  const sweep = parsed.jobs.some((j) => j.sweepKey);
  const { text, status } = submitReply(res, sweep);
  const sweepId = res.jobs.find((j) => j.sweep)?.sweep;
  const json: SubmitReplyJson = parsed.single
    ? jobJson(res.jobs[0]!)
    : { jobs: res.jobs.map(jobJson), ...(sweep ? { skipped: res.skipped } : {}), ...(sweepId ? { sweep: sweepId } : {}) };
  reply(ctx, text, json, status);
}

/** "no jobs", "no pending jobs", "no jobs ended in error", "no timed out jobs". */
function noJobs(filter: string): string {
  if (filter === 'all') return 'no jobs';
  if (filter === 'errors') return 'no jobs ended in error';
  return `no ${filter.replace('_', ' ')} jobs`;
}

function list(ctx: Context, s: Services): void {
  const state = queryString(ctx, 'state') ?? 'all';
  if (!FILTERS.includes(state)) throw new BlError('bad_value', `expected \`state\` to be one of ${FILTERS.join(', ')}, found ${describeText(state)}`);
  const order = queryString(ctx, 'order') ?? 'asc';
  if (!ORDERS.includes(order)) throw new BlError('bad_value', `expected \`order\` to be asc (the default: oldest first, pending in dispatch order) or desc (newest first), found ${describeText(order)}`);
  const limitRaw = queryString(ctx, 'limit');
  const limit = limitRaw === undefined ? 100 : intParam('limit', limitRaw, 1);
  if (limit > MAX_PAGE) throw new BlError('bad_value', `expected \`limit\` to be at most ${MAX_PAGE}, found ${limit}`);
  const page = s.broker.list(state as JobListFilter | 'all', queryString(ctx, 'after'), limit, order as ListOrder);
  const json: JobPageJson = { jobs: page.jobs.map(jobJson), next: page.next };
  let text = page.jobs.length ? [JOB_LINE_HEADER, ...page.jobs.map(jobLine)].join('\n') : noJobs(state);
  if (page.next) text += `\n(more: after=${page.next})`;
  reply(ctx, text, json);
}

export function mountBrokerRoutes(router: Router, s: Services): void {
  router.post('/jobs', (ctx) => submit(ctx, s));
  router.get('/jobs', (ctx) => list(ctx, s));
  router.get('/jobs/:id', (ctx) => {
    const j = s.broker.get(ctx.params.id!);
    reply(ctx, jobDetail(j), jobJson(j));
  });
  router.get('/jobs/:id/log', (ctx) => {
    const b = s.broker;
    const { id } = b.get(ctx.params.id!);
    // Written by the job itself, or copied by its spawn helper and rotated (log_max_bytes): its
    // rotated files are read from the disk, by their places and inodes (log-follow.ts).
    serveLog(ctx, b.logPath(id), { until: () => b.isEnded(id), rotated: true });
  });
  router.delete('/jobs/:id', (ctx) => {
    const j = s.broker.cancel(ctx.params.id!);
    const text = j.state !== 'running' ? `Cancelled job ${j.id}` : j.askedOf ? `Killing job ${j.id}: asked of daemon ${j.askedOf}, which runs it` : `Killing job ${j.id}`;
    reply(ctx, text, jobJson(j), j.state === 'running' ? 202 : 200);
  });
  router.post('/jobs/:id/retry', (ctx) => {
    const j = s.broker.retry(ctx.params.id!);
    reply(ctx, `Re-queued job ${j.id} (attempt ${j.attempt})`, jobJson(j));
  });

  router.get('/broker', (ctx) => {
    const st = s.broker.status();
    // Running and pending have their own lines above: the counts add the states jobs end in.
    const counts = Object.entries(st.counts)
      .filter(([k]) => k !== 'running' && k !== 'pending' && k !== 'waiting')
      .map(([k, v]) => [`Jobs ${k}`, v] as [string, number]);
    const text = keyValueLines([
      ['Concurrency', st.concurrency],
      ['Urgent concurrent', st.urgent_bypass ? 'enabled' : 'disabled'],
      ['Paused', st.paused],
      ['Running', st.running],
      ['Pending', st.pending],
      ['Pending urgent', st.pending_urgent],
      ['Waiting', st.waiting],
      ...counts,
      ...st.launchers.map((l) => [`Launcher ${l.name}`, `${l.running} / ${l.slots} on ${l.host}${launcherAllocationText(l)}`] as [string, string]),
      ...(st.allocations
        ? ([
            ['Allocations', `${allocationCounts(st.allocations)} (${s.broker.allocations.limitsText()})`],
            ...(st.allocations.paused ? [['Allocations paused', st.allocations.paused]] : []),
          ] as [string, string][])
        : []),
    ]);
    reply(ctx, text, st);
  });
  const concurrency = (ctx: Context, n: number) => reply(ctx, `Concurrency:\t${n}`, { concurrency: n });
  router.post('/broker/concurrency/increase', (ctx) => concurrency(ctx, s.broker.changeConcurrency(+1)));
  router.post('/broker/concurrency/decrease', (ctx) => concurrency(ctx, s.broker.changeConcurrency(-1)));
  for (const m of ['put', 'post'] as const) {
    router[m]('/broker/concurrency/:n', (ctx) => concurrency(ctx, s.broker.setConcurrency(intParam('concurrency', ctx.params.n))));
  }
  const bypass = (ctx: Context, on: boolean) => {
    s.broker.setUrgentBypass(on);
    reply(ctx, `Urgent concurrent:\t${on ? 'enabled' : 'disabled'}`, { urgent_bypass: on });
  };
  router.post('/broker/urgent-concurrent/enable', (ctx) => bypass(ctx, true));
  router.post('/broker/urgent-concurrent/disable', (ctx) => bypass(ctx, false));
  const purges = { purge: 'all', 'purge-completed': 'completed', 'purge-pending': 'pending' } as const;
  for (const [route, what] of Object.entries(purges)) {
    router.post(`/broker/${route}`, (ctx) => {
      const removed = s.broker.purge(what);
      reply(ctx, `Purged ${plural(removed, 'job')}`, { purged: what, removed });
    });
  }
  router.post('/broker/exit-workers', (ctx) => {
    s.broker.exitLaunchers();
    reply(ctx, 'Launchers will exit after their running jobs', { exit_workers: true });
  });
}
