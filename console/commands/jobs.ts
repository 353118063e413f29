// `jobs [waiting|pending|running|completed|errors]`: the newest jobs first (what was just done is on
// top, as in pueue and pm2); pending ones in the order they will start.
import { UsageError } from '../../contract/flags.js';
import { END_STATES, type BrokerJson, type JobJson, type JobPageJson } from '../../contract/types.js';
import { jobTable } from '../job-table.js';
import { newestJobs } from '../newest-jobs.js';
import { text, type CommandResult } from '../result.js';
import { expectArgs, JOB_FILTERS } from './shared.js';
import type { Command } from './types.js';

export const JOBS_LIMIT = 50;

type Filter = (typeof JOB_FILTERS)[number];

/** How many jobs the filter holds, from the broker's counts. */
function totalOf(b: BrokerJson, state: Filter | undefined): number {
  const c = b.counts as Record<string, number>;
  const sum = (states: readonly string[]) => states.reduce((n, s) => n + (c[s] ?? 0), 0);
  if (state === 'pending' || state === 'running' || state === 'waiting') return c[state] ?? 0;
  if (state === 'completed') return sum(END_STATES);
  if (state === 'errors') return sum(END_STATES.filter((s) => s !== 'succeeded'));
  return sum(['waiting', 'pending', 'running', ...END_STATES]);
}

export const jobs: Command = {
  name: 'jobs',
  aliases: [],
  usage: `jobs [${JOB_FILTERS.join('|')}]`,
  description: 'list jobs, newest first (pending ones in the order they will start)',
  fanOut: true,
  async run(ctx, args): Promise<CommandResult> {
    expectArgs(this, args, 0, 1);
    const state = args[0] as Filter | undefined;
    if (state !== undefined && !(JOB_FILTERS as readonly string[]).includes(state)) {
      throw new UsageError(`jobs: the state must be one of ${JOB_FILTERS.join(', ')}, got ${JSON.stringify(state)}`);
    }
    const broker = ctx.client.json<BrokerJson>('GET', '/broker').catch(() => undefined);
    let list: JobJson[];
    let more: boolean;
    if (state === 'pending') {
      const page = await ctx.client.json<JobPageJson>('GET', `/jobs?state=pending&limit=${JOBS_LIMIT}`);
      [list, more] = [page.jobs, page.next !== null];
    } else {
      const r = await newestJobs(ctx.client, state, JOBS_LIMIT);
      [list, more] = [r.jobs, r.more];
    }
    const b = await broker;
    const total = b ? totalOf(b, state) : undefined;
    const json = { jobs: list, order: state === 'pending' ? 'queue' : 'newest first', more, total: total ?? null };
    if (list.length === 0) return { blocks: [text(noJobs(state), 'dim')], json };
    const blocks: CommandResult['blocks'] = [jobTable(list)];
    const of = total !== undefined && total > list.length ? ` of ${total}` : '';
    if (more) blocks.push(text(state === 'pending' ? `(the next ${list.length}${of} to start)` : `(the newest ${list.length}${of})`, 'dim'));
    return { blocks, json };
  },
  complete: (_ctx, i) => (i === 0 ? JOB_FILTERS : []),
};

/** "No jobs", "No pending jobs", "No jobs ended in error" (the filter `errors`). */
function noJobs(state: string | undefined): string {
  if (state === undefined) return 'No jobs';
  return state === 'errors' ? 'No jobs ended in error' : `No ${state} jobs`;
}
