// Health, shutdown, config reload, the route list.
import type Router from '@koa/router';
import type { Services } from '../../services.js';
import { reply } from '../respond.js';
import { healthText } from '../health-text.js';
import { reloadText } from '../../config/reload-result.js';

export function mountSystemRoutes(router: Router, s: Services): void {
  router.get('/healthz', (ctx) => {
    const h = {
      status: 'ok',
      pid: process.pid,
      uptime_s: Math.round((Date.now() - s.startedAt) / 1000),
      tasks_running: s.supervisor.running().length,
      keepalives: s.keepalives.toJSON(),
      cgroups: s.cgroups.toJSON(),
    };
    reply(ctx, healthText(h), h);
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
