// Health, shutdown, config reload, the route list.
import type Router from '@koa/router';
import type { Services } from '../../services.js';
import { reply } from '../respond.js';
import { healthText } from '../health-text.js';
import { reloadText } from '../../config/reload-result.js';

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
    };
    reply(ctx, healthText(h), h, problems.length ? 503 : 200);
  });

  router.post('/shutdown', (ctx) => {
    reply(ctx, 'Shutting down', { ok: true }, 202);
    // Answer first: the shutdown closes the server this request came through.
    setImmediate(() => s.requestShutdown('POST /shutdown'));
  });

  // SIGHUP's work over HTTP: 409 with no config file, 400 with the file's error when it is
  // broken (the running config stays).
  router.post('/config/reload', async (ctx) => {
    const r = await s.reloadConfig();
    reply(ctx, `Reloaded ${s.config.file}: ${reloadText(r)}`, r);
  });

  router.get('/help', (ctx) => {
    const routes = router.stack
      .filter((l) => l.methods.length)
      .map((l) => `${l.methods.filter((m) => m !== 'HEAD').join(',').padEnd(14)} ${l.path}`);
    reply(ctx, routes.join('\n'), { routes: router.stack.map((l) => ({ methods: l.methods, path: l.path })) });
  });
}
