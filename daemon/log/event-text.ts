// What the daemon's log says of each event on the bus, pure: its level, and one line of text
// naming the task and pid (or the job), what happened and what happens next. An operator
// reading the terminal of a crash-looping task sees each exit with its code or signal and the
// backoff that follows; successes of jobs are debug (a batch of 10,000 must not flood it).
import type { BlEvent } from '../events/bus.js';
import type { Level } from './level.js';
import type { AwaitedJson, ReloadPlanJson } from '../../contract/types.js';
import { planSummary } from '../config/reload-text.js';
import { awaitedText } from '../../contract/awaited-text.js';

/** Why a worker was stopped on purpose (decide.ts's StopReason), as the log says it. */
const PURPOSE: Record<string, string> = {
  stop: 'the task was stopped',
  scale: 'scaled down',
  restart: 'rolling restart',
  shutdown: 'daemon shutdown',
  replaced: 'replaced',
  stalled: 'it stalled',
};

export function eventLevel(e: BlEvent): Level {
  const d = e.data;
  switch (e.topic) {
    case 'task.flapping':
    case 'alloc.paused':
      return 'error';
    case 'alloc.failed':
      return 'warn';
    case 'alloc.submitted':
    case 'alloc.started':
    case 'alloc.connected':
    case 'alloc.ended':
    case 'alloc.resumed':
      return 'info';
    case 'worker.exited':
      return typeof d.reason === 'string' && d.reason in PURPOSE ? 'info' : 'warn';
    case 'worker.stalled':
    case 'worker.killed':
    case 'worker.spawn_failed':
    case 'job.late_report':
      return 'warn';
    case 'job.finished':
      return d.state === 'succeeded' ? 'debug' : 'warn';
    case 'job.submitted':
    case 'job.started':
    case 'job.released':
      return 'debug';
    default:
      return e.topic.startsWith('task.') || e.topic.startsWith('broker.') || e.topic.startsWith('daemon.') || e.topic.startsWith('config.') || e.topic === 'worker.started' || e.topic === 'job.requeued' || e.topic === 'job.reattached'
        ? 'info'
        : 'debug';
  }
}

export function eventText(e: BlEvent): string {
  const d = e.data;
  const task = str(d.task);
  const who = `${task}[${str(d.pid)}]`;
  switch (e.topic) {
    case 'worker.started':
      return `${who} started`;
    case 'worker.exited': {
      const oom = typeof d.oom === 'string' ? `: ${d.oom}` : '';
      const how = `${exitText(d.code, d.signal)}${typeof d.uptime_ms === 'number' ? ` after ${duration(d.uptime_ms)}` : ''}${oom}`;
      const purpose = typeof d.reason === 'string' ? PURPOSE[d.reason] : undefined;
      if (purpose) return `${who} ${how}; stopped on purpose (${purpose})`;
      return `${who} ${how}${nextText(d, 'exit')}`;
    }
    case 'worker.stalled': {
      const last = typeof d.last_alive_at === 'number' ? `last keep-alive ${duration(e.time - d.last_alive_at)} ago` : 'no keep-alive since it started';
      return `${who} stalled (${last}); stopping it and starting a replacement`;
    }
    case 'worker.killed': {
      const purpose = typeof d.reason === 'string' ? (PURPOSE[d.reason] ?? d.reason) : 'stop';
      const after = typeof d.after_ms === 'number' ? ` after ${duration(d.after_ms)}` : '';
      return `${who} did not exit on SIGTERM within its grace period (${purpose}); killed with SIGKILL${after}`;
    }
    case 'worker.spawn_failed':
      return `${task}: cannot start a worker: ${str(d.error)}${nextText(d, 'spawn')}`;
    case 'task.started':
      return `${task} started`;
    case 'task.stopped':
      return `${task} stopped`;
    case 'task.waiting':
      return `${task} waits for ${Array.isArray(d.waiting_for) ? awaitedText(d.waiting_for as AwaitedJson[]) : 'the tasks it requires'} before its first worker`;
    case 'task.requirements_ready':
      return `${task}: ${Array.isArray(d.requires) ? d.requires.join(', ') : 'the tasks it requires'} ready; starting its workers`;
    case 'task.scaled':
      return `${task} cardinality set to ${str(d.cardinality)}`;
    case 'task.flapping':
      return `${task} is flapping: ${str(d.failures)} quick deaths in a row (last: ${str(d.last)}); one try a minute until a worker stays up`;
    case 'task.recovered':
      return `${task} recovered: a worker stayed up, restarts are no longer held back`;
    case 'task.restarting':
      return `${task}: rolling restart of ${str(d.workers)} workers`;
    case 'task.restarted':
      return `${task}: rolling restart done`;
    case 'config.reloaded':
      return `${str(d.trigger)}: reloaded ${str(d.file)}: ${planSummary(d as unknown as ReloadPlanJson)}`;
    case 'daemon.stopping':
      return `shutting down (${str(d.reason)}): ${d.keep_jobs === true ? 'stopping workers; running jobs keep running under their keepers' : 'stopping workers and jobs'}`;
    case 'job.submitted':
      return `job ${str(d.id)} submitted (${str(d.queue)} queue)`;
    case 'job.started': {
      const where = d.launcher && d.launcher !== 'local' ? ` on launcher ${str(d.launcher)}${d.host ? ` (${str(d.host)})` : ''}` : '';
      return `job ${str(d.id)} started${typeof d.pid === 'number' ? ` (pid ${d.pid})` : ''}${where}`;
    }
    case 'job.finished': {
      if (d.state === 'succeeded') return `job ${str(d.id)} succeeded`;
      const why = typeof d.reason === 'string' && d.reason ? d.reason : d.signal || typeof d.exit_code === 'number' ? exitText(d.exit_code, d.signal) : 'no reason given';
      return `job ${str(d.id)} ${str(d.state)}: ${why}`;
    }
    case 'job.released':
      return `job ${str(d.id)} released: what it waited on has ended`;
    case 'job.reattached': {
      if (typeof d.pid !== 'number') return `job ${str(d.id)} of the earlier daemon: no process left; waiting for its keeper to write its end`;
      const kept = typeof d.keeper === 'number' ? `its keeper pid ${d.keeper}` : 'its keeper is gone, its exit code will be unknown';
      return `job ${str(d.id)} of the earlier daemon followed on (pid ${d.pid}, ${kept})`;
    }
    case 'job.requeued':
      return `job ${str(d.id)} re-queued for attempt ${str(d.attempt)}: ${str(d.reason)}`;
    case 'job.late_report':
      return `job ${str(d.id)}: a late report from launcher ${str(d.launcher)} (attempt ${str(d.attempt)}, ${str(d.outcome)}) was ignored: ${str(d.reason)}`;
    case 'broker.concurrency':
      return `broker concurrency set to ${str(d.concurrency)}${d.concurrency === 0 ? ' (dispatch paused)' : ''}`;
    case 'broker.urgent_bypass':
      return d.urgent_bypass ? 'broker: urgent jobs now start beside a full limit' : 'broker: urgent jobs now wait for a free slot like the others';
    case 'broker.purged':
      return `broker: ${str(d.removed)} ${str(d.what)} jobs purged`;
    case 'broker.exit_workers':
      return 'broker: launchers asked to exit once their running jobs end';
    case 'alloc.submitted':
      return `allocation ${str(d.id)} submitted to Slurm (launcher ${str(d.launcher)}; ${d.by === 'demand' ? 'jobs are waiting' : `by ${str(d.by)}`})`;
    case 'alloc.started': {
      const ends = typeof d.end_at === 'string' ? `; its time ends at ${d.end_at} (in ${duration(Date.parse(d.end_at) - e.time)})` : '';
      return `allocation ${str(d.id)} started on ${str(d.node)}${ends}`;
    }
    case 'alloc.connected':
      return `allocation ${str(d.id)}: its launcher ${str(d.launcher)} connected from ${str(d.node)}`;
    case 'alloc.ended': {
      const ran = typeof d.ran_s === 'number' ? ` after ${duration(d.ran_s * 1000)}` : ' before it started';
      return `allocation ${str(d.id)} ended${ran}, ${str(d.jobs_run)} job${d.jobs_run === 1 ? '' : 's'} run: ${str(d.reason)}`;
    }
    case 'alloc.failed':
      return d.kind === 'sbatch'
        ? `sbatch failed (${str(d.failures)} in a row): ${str(d.error)}`
        : `allocation ${str(d.id)} died at start (${str(d.failures)} in a row): ${str(d.reason)}`;
    case 'alloc.paused':
      return `allocations paused: ${str(d.reason)}; POST /broker/allocations/resume (or a manual submit, or a config reload) resumes them`;
    case 'alloc.resumed':
      return `allocations resumed (by ${str(d.by)})`;
    default:
      return `${e.topic} ${JSON.stringify(d)}`;
  }
}

/** `; restarting in 400 ms (backoff: 3 quick deaths in a row)`: the exit-outlook fields. */
function nextText(d: Record<string, unknown>, after: 'exit' | 'spawn'): string {
  const f = typeof d.failures === 'number' ? d.failures : 0;
  const unit = after === 'exit' ? (f === 1 ? 'quick death' : 'quick deaths') : f === 1 ? 'failure' : 'failures';
  const inARow = f > 0 ? `${f} ${unit} in a row` : '';
  const again = after === 'exit' ? 'restarting' : 'retrying';
  const delay = typeof d.delay_ms === 'number' ? duration(d.delay_ms) : undefined;
  switch (d.next) {
    case 'restart':
      return `; ${again} now`;
    case 'backoff':
      return `; ${again} in ${delay ?? 'a while'} (backoff${inARow ? `: ${inARow}` : ''})`;
    case 'flapping':
      return `; flapping: next try in ${delay ?? 'a minute'}${inARow ? ` (${inARow})` : ''}`;
    case 'stopped':
      return '; not restarted: the task is stopped';
    case 'none':
      return '; not replaced: the task has all its workers';
    default:
      return '';
  }
}

export function exitText(code: unknown, signal: unknown): string {
  if (typeof signal === 'string' && signal) return `killed by ${signal}`;
  if (typeof code === 'number') return `exited with code ${code}`;
  // An adopted worker is not our child: its exit status is not ours to read (waitpid is the
  // parent's), only that it is gone.
  return 'exited, exit code unknown (adopted)';
}

/** 400 ms, 2.5 s, 60 s, 3 min, 2 h 5 min. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 10_000) return `${Number((ms / 1000).toFixed(1))} s`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  const h = Math.floor(ms / 3_600_000);
  return `${h} h ${Math.floor((ms - h * 3_600_000) / 60_000)} min`;
}

function str(v: unknown): string {
  return v === undefined || v === null ? '?' : typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}
