// `log [TASK|ID] [LINES] [-n N] [-f]`: the end of a task's captured output (a name that is a
// known task), of a job's (anything else: an id, a prefix, the 8-character suffix), or of
// every task's, interleaved (no name). -f (--follow) goes on with what comes: a job's until it
// ends, then how it ended; a task's until the user leaves.
import { UsageError } from '../../contract/flags.js';
import type { JobJson } from '../../contract/types.js';
import { DaemonError, type Client } from '../client.js';
import { jobEndLine } from '../job-table.js';
import { text, type CommandResult, type Follow } from '../result.js';
import { enc } from './shared.js';
import type { Command } from './types.js';

export const LOG_TAIL = 200;
const FOLLOW = new Set(['-f', '--follow']);
const USAGE = 'log [TASK|ID] [LINES] [-n LINES] [-f]';

interface LogArgs {
  target?: string;
  lines: number;
  follow: boolean;
}

function lineCount(raw: string | undefined): number {
  const n = Number(raw);
  if (raw === undefined || !/^\d+$/.test(raw) || n <= 0) throw new UsageError(`log: LINES must be a positive integer, got ${raw === undefined ? 'nothing' : JSON.stringify(raw)}`);
  return n;
}

export function parseLogArgs(all: string[]): LogArgs {
  let follow = false;
  let lines: number | undefined;
  const pos: string[] = [];
  for (let i = 0; i < all.length; i++) {
    const a = all[i]!;
    if (FOLLOW.has(a)) follow = true;
    else if (a === '-n' || a === '--lines') lines = lineCount(all[++i]);
    else if (/^--?(n|lines)=/.test(a)) lines = lineCount(a.slice(a.indexOf('=') + 1));
    else pos.push(a);
  }
  if (pos.length > 2) throw new UsageError(`usage: ${USAGE} (got arguments: ${all.map((a) => JSON.stringify(a)).join(' ')})`);
  if (pos[1] !== undefined) lines = lineCount(pos[1]);
  return { target: pos[0], lines: lines ?? LOG_TAIL, follow };
}

/** The daemon's answer to GET /tasks/log, explained when it is an older daemon's (a task named "log"). */
async function allTasks<T>(ask: () => Promise<T>): Promise<T> {
  try {
    return await ask();
  } catch (e) {
    // Asked for text, an error comes without its code: the status and the name tell it.
    if (e instanceof DaemonError && e.status === 404 && /\blog\b/.test(e.message) && /task/.test(e.message)) {
      throw new DaemonError(e.status, e.code, `this daemon does not serve every task's output together (GET /tasks/log answered: ${e.message}); log TASK shows one task's`);
    }
    throw e;
  }
}

/** A job's log as it comes, then how the job ended. */
function followJob(client: Client, id: string, path: string): Follow {
  return {
    async stream(onText, signal) {
      await client.stream(`${path}&follow=1`, onText, signal);
      if (signal.aborted) return '';
      return jobEndLine(await client.json<JobJson>('GET', `/jobs/${enc(id)}`));
    },
    leftNote: 'left; the job runs on',
  };
}

function followTasks(client: Client, path: string, what: string): Follow {
  return {
    async stream(onText, signal) {
      await client.stream(`${path}&follow=1`, onText, signal);
      return signal.aborted ? '' : `--- the daemon ended the log of ${what}`;
    },
    leftNote: `left; ${what === 'every task' ? 'the tasks run' : 'the task runs'} on`,
  };
}

export const log: Command = {
  name: 'log',
  aliases: ['logs'],
  usage: USAGE,
  description: "a task's or a job's output (every task's with no name); -f follows it",
  route(args) {
    const { target, follow } = parseLogArgs(args);
    if (target !== undefined) return { to: 'task-or-job', name: target };
    // Several hosts' logs, each labelled; a follow is one stream: from one host.
    return follow ? { to: 'one' } : { to: 'every' };
  },
  async run(ctx, all): Promise<CommandResult> {
    const { target, lines, follow } = parseLogArgs(all);
    if (follow && ctx.json) throw new UsageError('log --follow prints the output as it comes; leave out --json');
    const c = ctx.client;
    if (target === undefined || (await ctx.taskNames()).includes(target)) {
      const what = target === undefined ? 'every task' : `task ${target}`;
      const path = target === undefined ? `/tasks/log?tail=${lines}` : `/tasks/${enc(target)}/log?tail=${lines}`;
      const ask = (p: string) => (target === undefined ? allTasks(() => c.text('GET', p)) : c.text('GET', p));
      if (follow) {
        // Asked first so that a refusal (no such route, output not captured) is this command's
        // error, before the shell opens its live view.
        await ask(path.replace(/tail=\d+/, 'tail=0'));
        return { blocks: [], follow: followTasks(c, path, what) };
      }
      const out = await ask(path);
      return { blocks: [out === '' ? text(`(no output from ${what})`, 'dim') : text(out)], json: { task: target ?? null, log: out } };
    }
    const path = `/jobs/${enc(target)}/log?tail=${lines}`;
    if (follow) {
      // The log route answers 404 for an unknown job itself, but only when the stream is asked
      // for, after this command has returned (the shell has opened its live view by then).
      // Asking first makes it this command's own error: exit 1, and no live view.
      const j = await c.json<JobJson>('GET', `/jobs/${enc(target)}`);
      return { blocks: [], follow: followJob(c, j.id, `/jobs/${enc(j.id)}/log?tail=${lines}`) };
    }
    // Logs are text whatever the mode; --json wraps them.
    const out = await c.text('GET', path);
    return { blocks: [out === '' ? text('(no output)', 'dim') : text(out)], json: { id: target, log: out } };
  },
  async complete(ctx, i) {
    if (i > 0) return ['--follow'];
    const [tasks, jobs] = await Promise.all([ctx.taskNames(), ctx.jobCandidates('any')]);
    return [...tasks.map((t) => ({ value: t, note: 'task' })), ...jobs];
  },
};
