// `st` | `status [T]`: running tasks as a table (`No active tasks` when none, as the seed),
// or one task's status as the seed's `Key: value` lines plus the new counters.
import type { TaskJson, TasksJson } from '../../contract/types.js';
import { stateCell, text, type Cell, type CommandResult } from '../result.js';
import { ago, enc, expectArgs, taskCandidates } from './shared.js';
import type { Command } from './types.js';

export function taskRow(t: TaskJson): Cell[] {
  const workers = `${t.active}/${t.cardinality}`;
  return [t.name, stateCell(t.state), { text: workers, tone: t.active < t.cardinality ? 'wait' : 'plain' }, String(t.dead), String(t.counters.stalled), ago(t.started_at), ago(t.last_alive_at)];
}
export const TASK_HEADERS = ['TASK', 'STATE', 'WORKERS', 'DEAD', 'STALLED', 'STARTED', 'LAST ALIVE'];

function taskPairs(t: TaskJson): [string, Cell][] {
  return [
    ['Task name', t.name],
    ['Running', stateCell(String(t.running))],
    ['State', stateCell(t.state)],
    ['Started at', t.started_at ?? '-'],
    ['Last alive at', t.last_alive_at ?? '-'],
    ['Active Workers', `${t.active} / ${t.cardinality}`],
    ['Dead Workers', String(t.dead)],
    ['Stalled Workers', String(t.counters.stalled)],
    ['Exited ok / error', `${t.counters.exited_ok} / ${t.counters.exited_error}`],
    ['Command', [t.cmd, ...t.args].join(' ')],
    ['Stall timeout', `${t.stall_timeout} ms`],
    ['Grace period', `${t.grace_period} ms`],
  ];
}

export const status: Command = {
  name: 'status',
  aliases: ['st'],
  usage: 'status [TASK]',
  description: 'status of the running tasks, or of one task',
  fanOut: true,
  async run(ctx, args): Promise<CommandResult> {
    expectArgs(this, args, 0, 1);
    if (args.length === 1) {
      const t = await ctx.client.json<TaskJson>('GET', `/tasks/${enc(args[0]!)}`);
      return { blocks: [{ kind: 'pairs', pairs: taskPairs(t) }], json: t };
    }
    const all = await ctx.client.json<TasksJson>('GET', '/tasks');
    if (all.tasks.length === 0) return { blocks: [text('No active tasks', 'dim')], json: all };
    return { blocks: [{ kind: 'table', headers: TASK_HEADERS, rows: all.tasks.map(taskRow) }], json: all };
  },
  complete: taskCandidates,
};
