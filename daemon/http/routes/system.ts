// Health, shutdown, config reload, the route list.
import type Router from '@koa/router';
import type { Services } from '../../services.js';
import { reply } from '../respond.js';
import { healthText } from '../health-text.js';
import { planText } from '../../config/reload-text.js';
import { readText } from '../body.js';
import { BlError } from '../../../contract/errors.js';

/** A config file sent to POST /config/check. */
const CONFIG_LIMIT = 1024 * 1024;

export function mountSystemRoutes(router: Router, s: Services): void {
  router.get('/healthz', (ctx) => {
    // A dead keep-alive listener fails the probe: every worker would be stalled and replaced.
    const problems = [s.keepaliveListener.problem].filter((p): p is string => p !== undefined);
    const h = {
      status: problems.length ? 'failing' : 'ok',
      // `error` as every other failed request has it: clients that read errors read this one.
      ...(problems.length ? { problems, error: { code: 'unavailable', message: problems.join('; ') } } : {}),
      pid: process.pid,
      uptime_s: Math.round((Date.now() - s.startedAt) / 1000),
      tasks_running: s.supervisor.running().length,
      keepalives: s.keepalives.toJSON(),
      cgroups: s.cgroups.toJSON(),
    };
    reply(ctx, healthText(h), h, problems.length ? 503 : 200);
  });

  // ?keep_jobs=1: the built-in launcher's running jobs run on under their keepers, for the
  // next daemon to follow (docs/spec.md "Shutdown").
  router.post('/shutdown', (ctx) => {
    const keep = ctx.query.keep_jobs;
    if (keep !== undefined && keep !== '1' && keep !== '0') throw new BlError('bad_value', `expected keep_jobs to be 1 or 0, found ${JSON.stringify(keep)}`);
    const keepJobs = keep === '1';
    reply(ctx, keepJobs ? 'Shutting down; running jobs keep running' : 'Shutting down', { ok: true, keep_jobs: keepJobs }, 202);
    // Answer first: the shutdown closes the server this request came through.
    setImmediate(() => s.requestShutdown(keepJobs ? 'POST /shutdown?keep_jobs=1' : 'POST /shutdown', { keepJobs }));
  });

  // SIGHUP's work over HTTP: 409 with no config file, 400 with the file's error when it is
  // broken (the running config stays). The answer is the plan carried out.
  router.post('/config/reload', async (ctx) => {
    const plan = await s.reloadConfig();
    reply(ctx, planText(plan, false), plan);
  });

  // What a reload would do, nothing done: with the file on disk (an empty body), or with the
  // config in the body in its place (relative paths resolve against the file's folder).
  router.post('/config/check', async (ctx) => {
    const body = await readText(ctx, CONFIG_LIMIT);
    const plan = s.checkConfig(body.trim() === '' ? undefined : body);
    reply(ctx, planText(plan, true), plan);
  });

  router.get('/help', (ctx) => {
    const routes = router.stack
      .filter((l) => l.methods.length)
      .map((l) => `${l.methods.filter((m) => m !== 'HEAD').join(',').padEnd(14)} ${l.path}`);
    reply(ctx, routes.join('\n'), { routes: router.stack.map((l) => ({ methods: l.methods, path: l.path })) });
  });
}
