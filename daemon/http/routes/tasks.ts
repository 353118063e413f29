// Supervisor routes: the seed's paths and text bodies, JSON when asked (docs/spec.md "Supervisor").
import path from 'node:path';
import type Router from '@koa/router';
import type { Context } from 'koa';
import { BlError, describe } from '../../../contract/errors.js';
import type { Services } from '../../services.js';
import { reply } from '../respond.js';
import { intParam, readJson, readText } from '../body.js';
import { taskJson, taskText, workerJson, workerLines } from '../task-json.js';
import { serveLog } from '../log-file.js';
import { isWorkerId } from '../../supervisor/task-manager.js';
import { ALL_TASKS_LOG } from '../../supervisor/output-capture.js';

/** `?with_dependents=1` (or `true`, or the bare key). */
const flag = (ctx: Context, key: string) => {
  const v = ctx.query[key];
  return v !== undefined && v !== '0' && v !== 'false';
};

const OPTIONS = ['cardinality', 'stall_timeout', 'grace_period'] as const;
/** Lines of GET /tasks/log without `tail` (the interleaved log of every task can be big). */
const ALL_LOG_TAIL = 100;

export function mountTaskRoutes(router: Router, s: Services): void {
  const sup = s.supervisor;
  const name = (ctx: Context) => String((ctx as any).params.name);

  router.get('/list', (ctx) => {
    const names = sup.names().sort();
    const running = new Set(sup.running().map((m) => m.name));
    reply(ctx, names.join('\n'), { tasks: names.map((n) => ({ name: n, running: running.has(n) })) });
  });

  router.get('/tasks', (ctx) => {
    const ms = sup.running();
    const text = ms.length ? ms.map((m) => taskText(m)).join('\n\n') : 'no active tasks';
    reply(ctx, text, { tasks: ms.map((m) => taskJson(m)) });
  });

  // Before /tasks/:name: every task's output, `TASK PID | line`, in the order it came.
  router.get('/tasks/log', (ctx) => {
    serveLog(ctx, path.join(s.config.stateDir, 'logs', ALL_TASKS_LOG), undefined, ALL_LOG_TAIL);
  });

  router.get('/tasks/:name', (ctx) => {
    const m = sup.get(name(ctx));
    reply(ctx, taskText(m), taskJson(m));
  });

  router.get('/tasks/:name/list', (ctx) => {
    const m = sup.get(name(ctx));
    reply(ctx, workerLines(m), { workers: workerJson(m) });
  });

  // The seed's answer; the requirements a start started too are named after it.
  const start = (ctx: Context) => {
    const m = sup.get(name(ctx));
    const first = sup.start(m.name).filter((n) => n !== m.name);
    const also = first.length ? `; started ${first.join(', ')} first (required)` : '';
    reply(ctx, `Started task manager${also}`, taskJson(m));
  };
  router.post('/tasks/:name/start', start);
  router.put('/tasks/:name/start', start);

  // A task that running tasks require: 409 naming them, unless ?with_dependents=1 (they stop first).
  const stop = async (ctx: Context) => {
    const m = sup.get(name(ctx));
    const wait = ctx.query.wait !== '0';
    const { stopping, done } = sup.stop(m.name, flag(ctx, 'with_dependents'));
    if (wait) await done;
    else done.catch(() => {});
    reply(ctx, stopping.map((n) => `Stopped ${n} workers`).join('\n'), taskJson(m));
  };
  router.post('/tasks/:name/stop', stop);
  router.put('/tasks/:name/stop', stop);
  router.delete('/tasks/:name', stop);

  router.delete('/tasks', async (ctx) => {
    const stopped = await sup.stopAll();
    reply(ctx, stopped.map((n) => `Stopped ${n} workers`).join('\n') || 'no active tasks', { stopped });
  });

  const set = (ctx: Context) => {
    const m = sup.get(name(ctx));
    const { option, value } = (ctx as any).params as { option: string; value: string };
    if (!(OPTIONS as readonly string[]).includes(option)) {
      throw new BlError('bad_value', `unknown option "${option}"; expected one of: ${OPTIONS.join(', ')}`);
    }
    if (option === 'cardinality') {
      m.dispatch({ type: 'set-cardinality', value: intParam('cardinality', value) });
      reply(ctx, 'Changed workers cardinality', taskJson(m));
      return;
    }
    m.dispatch({ type: 'set-option', option: option === 'stall_timeout' ? 'stallTimeout' : 'gracePeriod', value: intParam(option, value) });
    reply(ctx, `Changed ${option}`, taskJson(m));
  };
  router.post('/tasks/:name/set/:option/:value', set);
  router.put('/tasks/:name/set/:option/:value', set);

  router.post('/tasks/:name/restart', (ctx) => {
    const m = sup.get(name(ctx));
    if (!m.view.running) throw new BlError('conflict', `task "${m.name}" is not running; start it instead`);
    const n = m.view.workers.size;
    m.dispatch({ type: 'restart' });
    reply(ctx, `Restarting ${n} ${m.name} worker${n === 1 ? '' : 's'}`, taskJson(m), 202);
  });

  router.get('/tasks/:name/log', (ctx) => {
    const m = sup.get(name(ctx));
    if (!m.view.spec.captureOutput) throw new BlError('not_found', `task "${m.name}" does not capture its output (capture_output is false)`);
    serveLog(ctx, m.logFile());
  });

  router.post('/tasks/:name/workers/:pid/alive', async (ctx) => {
    const task = name(ctx);
    sup.get(task);
    // BL_KEEPALIVE_URL carries the worker's id: with it the pid is only a label (a guess
    // made before the worker started, see proc/next-pid.ts).
    const id = ctx.query.id;
    if (id !== undefined && (typeof id !== 'string' || !isWorkerId(id))) {
      throw new BlError('bad_value', `expected \`id\` to be a worker id (12 hex digits, as in BL_KEEPALIVE_URL), found ${describe(id)}`);
    }
    const pid = intParam('pid', (ctx as any).params.pid, id === undefined ? 2 : 0);
    let status: string | undefined;
    let info: string | undefined;
    const body = /json/i.test(ctx.get('Content-Type')) ? await readJson(ctx, 64 * 1024) : await readText(ctx, 64 * 1024);
    if (body && typeof body === 'object' && !Array.isArray(body)) {
      const b = body as Record<string, unknown>;
      if (b.status !== undefined && typeof b.status !== 'string') throw new BlError('bad_value', `expected \`status\` to be a string, found ${describe(b.status)}`);
      status = b.status as string | undefined;
      if (b.info !== undefined) info = String(b.info).slice(0, 200);
    }
    const r = sup.keepalive(task, pid, status?.toLowerCase(), info, id);
    s.keepalives.count(r, task);
    if (r !== 'ok' && id !== undefined) throw new BlError('unknown_worker', `no worker with id ${id} in task "${task}" (it has exited, or the id is from another daemon)`);
    if (r !== 'ok') throw new BlError('unknown_worker', `pid ${pid} is not a worker of task "${task}" (nor a descendant of one)`);
    reply(ctx, 'OK', { ok: true });
  });
}
