// `lw` | `listworkers T`: the workers of a task with pid, start and last keep-alive.
import type { WorkerJson } from '../../contract/types.js';
import { stateCell, text, type CommandResult } from '../result.js';
import { ago, enc, expectArgs, taskCandidates } from './shared.js';
import type { Command } from './types.js';

/** GET /tasks/:name/list answers `{workers}`; a bare array is taken too. */
function workersOf(json: unknown): WorkerJson[] {
  if (Array.isArray(json)) return json as WorkerJson[];
  return ((json as { workers?: WorkerJson[] } | undefined)?.workers ?? []) as WorkerJson[];
}

export const listworkers: Command = {
  name: 'listworkers',
  aliases: ['lw'],
  usage: 'listworkers TASK',
  description: "a task's workers: pid, start, last keep-alive",
  fanOut: true,
  async run(ctx, args): Promise<CommandResult> {
    expectArgs(this, args, 1);
    const json = await ctx.client.json<unknown>('GET', `/tasks/${enc(args[0]!)}/list`);
    const workers = workersOf(json);
    if (workers.length === 0) return { blocks: [text(`No workers of ${args[0]}`, 'dim')], json };
    const rows = workers.map((w) => [w.task, String(w.pid), stateCell(w.state), w.started_at, w.last_alive_at ? `${w.last_alive_at} (${ago(w.last_alive_at)})` : '-', w.info ?? '']);
    return { blocks: [{ kind: 'table', headers: ['TASK', 'PID', 'STATE', 'STARTED', 'LAST ALIVE', 'INFO'], rows }], json };
  },
  complete: taskCandidates,
};
