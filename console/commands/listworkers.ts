// `lw` | `listworkers [TASK]`: a task's workers, or every running task's, with pid, start,
// last keep-alive, CPU and memory.
import type { TasksJson, WorkerJson } from '../../contract/types.js';
import { stateCell, text, type CommandResult } from '../result.js';
import { cpuText, memText } from '../task-table.js';
import { ago, enc, expectArgs } from './shared.js';
import type { Command } from './types.js';

/** GET /tasks/:name/list answers `{workers}`; a bare array is taken too. */
function workersOf(json: unknown): WorkerJson[] {
  if (Array.isArray(json)) return json as WorkerJson[];
  return ((json as { workers?: WorkerJson[] } | undefined)?.workers ?? []) as WorkerJson[];
}

const HEADERS = ['TASK', 'PID', 'STATE', 'STARTED', 'LAST ALIVE', 'CPU', 'MEM', 'INFO'];

export const listworkers: Command = {
  name: 'listworkers',
  aliases: ['lw'],
  usage: 'listworkers [TASK]',
  description: "a task's workers, or every task's: pid, start, last keep-alive, CPU, memory",
  fanOut: true,
  route: (args) => (args[0] === undefined ? { to: 'every' } : { to: 'task', name: args[0] }),
  async run(ctx, args): Promise<CommandResult> {
    expectArgs(this, args, 0, 1);
    const task = args[0];
    let workers: WorkerJson[];
    let json: unknown;
    if (task === undefined) {
      const all = await ctx.client.json<TasksJson>('GET', '/tasks');
      workers = all.tasks.flatMap((t) => t.workers);
      json = { workers };
    } else {
      json = await ctx.client.json<unknown>('GET', `/tasks/${enc(task)}/list`);
      workers = workersOf(json);
    }
    if (workers.length === 0) return { blocks: [text(task === undefined ? 'No workers' : `No workers of ${task}`, 'dim')], json };
    const rows = workers.map((w) => [w.task, String(w.pid), stateCell(w.state), w.started_at, ago(w.last_alive_at), cpuText(w.usage), memText(w.usage), w.info ?? '']);
    return { blocks: [{ kind: 'table', headers: HEADERS, rows, flex: HEADERS.length - 1 }], json };
  },
  complete: (ctx, i) => (i === 0 ? ctx.taskNames('running') : []),
};
