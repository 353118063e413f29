// Builds the koa app from the daemon's services. No port is opened here (koa's own split):
// run.ts puts it behind the http(s) server.
import Koa from 'koa';
import Router from '@koa/router';
import { BlError, ERROR_CODES, escapeControls, type ErrorBody, type ErrorCode } from '../../contract/errors.js';
import { reply } from './respond.js';
import { authMiddleware } from './auth.js';
import type { Services } from '../services.js';
import { mountTaskRoutes } from './routes/tasks.js';
import { mountSystemRoutes } from './routes/system.js';
import { mountEventRoutes } from './routes/events.js';
import { mountMetricsRoutes } from './routes/metrics.js';
import { dashboardPublicPaths, mountDashboardRoutes } from './routes/dashboard.js';
import { mountBrokerRoutes } from './routes/broker.js';
import { mountLauncherRoutes } from './routes/launchers.js';
import { mountAllocationRoutes } from './routes/allocations.js';
import { storeUnavailable } from '../broker/store/store-errors.js';

export function createApp(services: Services): Koa {
  const app = new Koa();
  app.proxy = false;
  app.silent = true;
  const router = new Router();
  mountSystemRoutes(router, services);
  mountTaskRoutes(router, services);
  mountEventRoutes(router, services);
  mountMetricsRoutes(router, services);
  mountDashboardRoutes(router, services);
  mountBrokerRoutes(router, services);
  mountLauncherRoutes(router, services);
  mountAllocationRoutes(router, services);

  const allMethods = [...new Set([...router.stack.flatMap((l) => l.methods), 'OPTIONS'])].join(', ');
  app.use(errorMiddleware(services));
  // The dashboard's page and code are open; it answers 401 itself (routes/dashboard.ts).
  app.use(authMiddleware(services.config.auth, new Set(['/healthz', ...dashboardPublicPaths()]), services.broker.allocations, services.keepaliveKeys));
  app.use(async (ctx, next) => {
    await next();
    // Runs after allowedMethods had its say: a known path with another method is a 405
    // (with its Allow header); what is left matched no route at all. A method no route has
    // (TRACE, PROPFIND) is refused the same way, not with the router's 501: the path's
    // methods, or the daemon's when the path has none.
    if (ctx.status === 501 && ctx.body == null) {
      ctx.status = 405;
      if (!ctx.response.get('Allow')) ctx.set('Allow', allMethods);
    }
    if (ctx.status === 405 && ctx.body == null) {
      throw new BlError('method_not_allowed', `method ${ctx.method} is not allowed on ${ctx.path}; allowed: ${ctx.response.get('Allow') || 'none'}`);
    }
    if (ctx.status === 404 && ctx.body == null) throw new BlError('not_found', `no route for ${ctx.method} ${ctx.path} (see GET /help)`);
  });
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

/** Every error becomes a one-line message with a real status; nothing escapes to crash us. */
function errorMiddleware(s: Services): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const e = err as { status?: number; statusCode?: number; message?: string; code?: string; expose?: boolean };
      let status = e.status ?? e.statusCode ?? 500;
      let code: ErrorCode;
      let message: string;
      const unavailable = err instanceof BlError ? undefined : storeUnavailable(err, 'try again once it is back');
      if (err instanceof BlError) {
        code = err.code;
        message = err.message;
      } else if (unavailable) {
        // A read (or a write no verb caught) while the store cannot be reached: a 503 saying why.
        status = unavailable.status;
        code = unavailable.code;
        message = unavailable.message;
      } else if (status < 500 && status >= 400) {
        code = (Object.entries(ERROR_CODES).find(([, s]) => s === status)?.[0] as ErrorCode) ?? 'bad_request';
        message = e.expose && e.message ? e.message : `request failed with status ${status}`;
      } else {
        status = 500;
        code = 'internal';
        message = `internal error: ${e.message ?? String(err)}`;
        s.log.error(`${ctx.method} ${ctx.url} failed: ${message}`, { stack: (err as Error)?.stack });
      }
      reply(ctx, `ERROR: ${escapeControls(message)}\n`, { error: { code, message } } satisfies ErrorBody, status);
    }
  };
}
