// Health, shutdown, the route list.
import type Router from '@koa/router';
import type { Services } from '../../services.js';
import { reply } from '../respond.js';
import { healthText } from '../health-text.js';

export function mountSystemRoutes(router: Router, s: Services): void {
  router.get('/healthz', (ctx) => {
    const h = {
      status: 'ok',
      pid: process.pid,
      uptime_s: Math.round((Date.now() - s.startedAt) / 1000),
      tasks_running: s.supervisor.running().length,
      keepalives: s.keepalives.toJSON(),
    };
    reply(ctx, healthText(h), h);
  });

  router.post('/shutdown', (ctx) => {
    reply(ctx, 'Shutting down', { ok: true }, 202);
    // Answer first: the shutdown closes the server this request came through.
    setImmediate(() => s.requestShutdown('POST /shutdown'));
  });

  router.get('/help', (ctx) => {
    const routes = router.stack
      .filter((l) => l.methods.length)
      .map((l) => `${l.methods.filter((m) => m !== 'HEAD').join(',').padEnd(14)} ${l.path}`);
    reply(ctx, routes.join('\n'), { routes: router.stack.map((l) => ({ methods: l.methods, path: l.path })) });
  });
}
