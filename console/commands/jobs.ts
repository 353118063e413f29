// `jobs [pending|running|completed|errors]`: a page of jobs (GET /jobs), newest state first.
import { UsageError } from '../../contract/flags.js';
import type { JobPageJson } from '../../contract/types.js';
import { text, type CommandResult } from '../result.js';
import { expectArgs, JOB_FILTERS, JOB_HEADERS, jobRow } from './shared.js';
import type { Command } from './types.js';

export const JOBS_LIMIT = 50;

export const jobs: Command = {
  name: 'jobs',
  aliases: [],
  usage: `jobs [${JOB_FILTERS.join('|')}]`,
  description: 'list jobs, all or in one state',
  fanOut: true,
  async run(ctx, args): Promise<CommandResult> {
    expectArgs(this, args, 0, 1);
    const state = args[0];
    if (state !== undefined && !(JOB_FILTERS as readonly string[]).includes(state)) {
      throw new UsageError(`jobs: the state must be one of ${JOB_FILTERS.join(', ')}, got ${JSON.stringify(state)}`);
    }
    const q = new URLSearchParams({ limit: String(JOBS_LIMIT) });
    if (state) q.set('state', state);
    const page = await ctx.client.json<JobPageJson>('GET', `/jobs?${q}`);
    if (page.jobs.length === 0) return { blocks: [text(noJobs(state), 'dim')], json: page };
    const now = Date.now();
    const blocks: CommandResult['blocks'] = [{ kind: 'table', headers: JOB_HEADERS, rows: page.jobs.map((j) => jobRow(j, now)) }];
    if (page.next) blocks.push(text(`(first ${page.jobs.length} shown)`, 'dim'));
    return { blocks, json: page };
  },
  complete: (_ctx, i) => (i === 0 ? JOB_FILTERS : []),
};

/** "No jobs", "No pending jobs", "No jobs ended in error" (the filter `errors`). */
function noJobs(state: string | undefined): string {
  if (state === undefined) return 'No jobs';
  return state === 'errors' ? 'No jobs ended in error' : `No ${state} jobs`;
}
