// Slurm allocations (broker.slurm; docs/spec.md "On a Slurm cluster"): the list, a manual
// submit, a cancel, the resume of a paused submission. 409 when the config has no broker.slurm.
import type Router from '@koa/router';
import type { Context } from 'koa';
import { BlError, describe } from '../../../contract/errors.js';
import { plural } from '../../../contract/plural.js';
import type { AllocationsJson } from '../../../contract/types.js';
import { allocationsText } from '../allocation-text.js';
import { readText } from '../body.js';
import { reply } from '../respond.js';
import type { Services } from '../../services.js';

/** `{"count": N}`, a text body `N`, or nothing (one). */
async function countOf(ctx: Context): Promise<number> {
  const text = (await readText(ctx, 4096)).trim();
  if (text === '') return 1;
  let v: unknown = text;
  if (text.startsWith('{')) {
    try {
      v = (JSON.parse(text) as { count?: unknown }).count;
    } catch (e) {
      throw new BlError('bad_json', `expected {"count": N} or a number, found invalid JSON: ${(e as Error).message}`);
    }
  } else if (/^\d+$/.test(text)) v = Number(text);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new BlError('bad_value', `expected the count of allocations to submit, an integer ≥ 1 ({"count": N} or N), found ${describe(v)}`);
  return v;
}

export function mountAllocationRoutes(router: Router, s: Services): void {
  const allocations = () => {
    const a = s.broker.allocations;
    if (!a.configured) throw new BlError('conflict', 'no broker.slurm in the config');
    return a;
  };
  router.get('/broker/allocations', (ctx) => {
    const a = allocations();
    const j: AllocationsJson = a.list();
    reply(ctx, allocationsText(j, a.limitsText()), j);
  });
  router.post('/broker/allocations', async (ctx) => {
    const a = allocations();
    const count = await countOf(ctx);
    const o = await a.submitNow(count, 'POST /broker/allocations');
    const ids = o.submitted.map((x) => x.id).join(', ');
    const text = `Submitted ${plural(o.submitted.length, 'allocation')}: ${ids}${o.error ? `; the next sbatch failed: ${o.error}` : ''}`;
    reply(ctx, text, { paused: a.list().paused, allocations: o.submitted, error: o.error }, 201);
  });
  router.post('/broker/allocations/resume', (ctx) => {
    const a = allocations();
    const was = a.resume('POST /broker/allocations/resume');
    reply(ctx, was ? 'Allocation submission resumed' : 'Allocation submission was not paused', a.list());
  });
  router.delete('/broker/allocations/:id', async (ctx) => {
    const j = await allocations().cancel(ctx.params.id!, `DELETE /broker/allocations/${ctx.params.id}`);
    if (j.state === 'ended') return reply(ctx, `Cancelled allocation ${j.id}`, j);
    reply(ctx, `Cancelling allocation ${j.id}: scancel sent, it ends when Slurm has stopped it`, j, 202);
  });
}
