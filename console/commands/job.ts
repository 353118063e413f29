// `job ID`: every field of one job.
import type { JobJson } from '../../contract/types.js';
import { logOutputOf, logOutputText } from '../../contract/run.js';
import { stateCell, type Cell, type CommandResult } from '../result.js';
import { jobCommand } from '../job-table.js';
import { enc, expectArgs } from './shared.js';
import type { Command } from './types.js';

/** Bytes → MB with one decimal (the daemon samples RSS in bytes). */
const mb = (bytes: number) => (bytes / 1048576).toFixed(1);

function jobPairs(j: JobJson): [string, Cell][] {
  const pairs: [string, Cell][] = [
    ['Job', j.id],
    ['State', stateCell(j.state)],
    ['Command', jobCommand(j)],
    ['Cwd', j.cwd],
    ['Queue', j.queue],
    ['Attempt', String(j.attempt)],
    ['Submitted at', j.submitted_at],
    ['Started at', j.started_at ?? '-'],
    ['Finished at', j.finished_at ?? '-'],
  ];
  if (j.launcher || j.host) pairs.push(['Launcher', `${j.launcher ?? '-'} on ${j.host ?? '-'}`]);
  if (j.pid !== null) pairs.push(['Pid', String(j.pid)]);
  if (j.exit_code !== null || j.signal) pairs.push(['Exit', j.exit_code !== null ? String(j.exit_code) : `signal ${j.signal}`]);
  if (j.reason) pairs.push(['Reason', j.reason]);
  if (j.timeout !== null) pairs.push(['Timeout', `${j.timeout} s`]);
  const log = logOutputOf(j);
  if (log) pairs.push(['Log', logOutputText(log)]);
  if (j.usage) {
    pairs.push(['CPU', `${j.usage.cpu_last}% (max ${j.usage.cpu_max}%)`]);
    pairs.push(['RSS', `${mb(j.usage.rss_last)} MB (max ${mb(j.usage.rss_max)} MB)`]);
  }
  return pairs;
}

export const job: Command = {
  name: 'job',
  aliases: [],
  usage: 'job ID',
  description: 'one job in full',
  route: (args) => ({ to: 'job', id: args[0] ?? '' }),
  async run(ctx, args): Promise<CommandResult> {
    expectArgs(this, args, 1);
    const j = await ctx.client.json<JobJson>('GET', `/jobs/${enc(args[0]!)}`);
    return { blocks: [{ kind: 'pairs', pairs: jobPairs(j) }], json: j };
  },
  complete: (ctx, i) => (i === 0 ? ctx.jobCandidates('any') : []),
};
