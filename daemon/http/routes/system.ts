// Health, shutdown, the route list.
import type Router from '@koa/router';
import type { Services } from '../../services.js';
import { keyValueLines, reply } from '../respond.js';

export function mountSystemRoutes(router: Router, s: Services): void {
  router.get('/healthz', (ctx) => {
    const h = {
      status: 'ok',
      pid: process.pid,
      uptime_s: Math.round((Date.now() - s.startedAt) / 1000),
      tasks_running: s.supervisor.running().length,
      keepalives: s.keepalives.toJSON(),
    };
    // `ok` stays the first line (what a probe reads); the counters follow, as in the JSON.
    const k = h.keepalives;
    const pairs: [string, string | number][] = [
      ['Pid', h.pid],
      ['Uptime', `${h.uptime_s} s`],
      ['Tasks running', h.tasks_running],
      ['Keep-alives received', k.received as number],
      ['Keep-alives accepted', k.accepted as number],
      ['Keep-alives malformed', k.malformed as number],
      ['Keep-alives for unknown tasks', k.unknown_task as number],
      ['Keep-alives from unknown pids', k.unknown_pid as number],
    ];
    if (k.last_drop_reason) pairs.push(['Last keep-alive dropped', k.last_drop_reason as string]);
    reply(ctx, `ok\n${keyValueLines(pairs)}`, h);
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
