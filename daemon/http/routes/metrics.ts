// GET /metrics: Prometheus text exposition of the daemon's own registry (docs/spec.md "Also").
import type Router from '@koa/router';
import type { Services } from '../../services.js';
import { createMetrics } from '../../metrics/index.js';

export function mountMetricsRoutes(router: Router, s: Services): void {
  const metrics = createMetrics(s);
  router.get('/metrics', async (ctx) => {
    const body = await metrics.registry.metrics();
    ctx.type = metrics.registry.contentType;
    ctx.body = body;
  });
}
