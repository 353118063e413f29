// A task manager as the seed's text lines and as TaskJson.
import type { LastExitJson, ProcessUsageJson, TaskJson, WorkerJson } from '../../contract/types.js';
import { deadCount, liveWorkers, taskState, type TaskView } from '../supervisor/decide.js';
import type { TaskManager } from '../supervisor/task-manager.js';
import { sumUsage, type ProcessUsage } from '../supervisor/worker-usage.js';
import { awaitedText } from '../../contract/awaited-text.js';
import { keyValueLines, rfc3339 } from './respond.js';

const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : null);

const usageJson = (u: ProcessUsage | undefined): ProcessUsageJson | null => (u ? { cpu_percent: u.cpuPercent, rss_bytes: u.rssBytes } : null);

export function workerJson(m: TaskManager): WorkerJson[] {
  return [...m.view.workers.values()]
    .sort((a, b) => a.startedAt - b.startedAt)
    .map((w) => ({
      task: m.name,
      pid: w.pid,
      started_at: new Date(w.startedAt).toISOString(),
      last_alive_at: iso(w.lastAlive),
      state: w.phase,
      info: w.info ?? null,
      adopted: w.adopted,
      usage: usageJson(m.usageOf(w.pid)),
    }));
}

/** Every worker's process tree still there, those being stopped included: they use what they use. */
function taskUsage(m: TaskManager): ProcessUsage | undefined {
  return sumUsage([...m.view.workers.keys()].map((pid) => m.usageOf(pid)));
}

function lastExitJson(rt: TaskView): LastExitJson | null {
  const e = rt.lastExit;
  if (!e) return null;
  return { pid: e.pid, kind: e.kind, code: e.code, signal: e.signal, at: new Date(e.at).toISOString(), message: e.message, output: [...e.output] };
}

export function taskJson(m: TaskManager, now = Date.now()): TaskJson {
  const rt = m.view;
  const c = rt.counters;
  return {
    name: m.name,
    running: rt.running,
    state: taskState(rt, now),
    cmd: rt.spec.cmd,
    args: [...rt.spec.args],
    cardinality: rt.spec.cardinality,
    active: liveWorkers(rt).length,
    dead: deadCount(c),
    started_at: iso(rt.startedAt),
    last_alive_at: iso(rt.lastAlive),
    stall_timeout: rt.spec.stallTimeout,
    grace_period: rt.spec.gracePeriod,
    counters: { stalled: c.stalled, exited_ok: c.exitedOk, exited_error: c.exitedError, stopped: c.stopped, restarts: c.restarts },
    next_start_at: rt.running && rt.nextStartAt > now ? iso(rt.nextStartAt) : null,
    workers: workerJson(m),
    usage: usageJson(taskUsage(m)),
    last_exit: lastExitJson(rt),
    requires: [...rt.spec.requires],
    waiting_for: rt.waiting.map((w) => ({ ...w })),
  };
}

export const cpuText = (u: ProcessUsage) => `${u.cpuPercent.toFixed(1)} %`;
export const memoryText = (u: ProcessUsage) => `${(u.rssBytes / (1024 * 1024)).toFixed(1)} MiB`;

/** The seed's status block, then bl's added keys; the last exit's output lines indented beneath it. */
export function taskText(m: TaskManager, now = Date.now()): string {
  const j = taskJson(m, now);
  const usage = taskUsage(m);
  const pairs: [string, string | number | boolean][] = [
    ['Task name', j.name],
    ['Running', j.running],
    ['Started at', rfc3339(m.view.startedAt)],
    ['Last alive at', rfc3339(m.view.lastAlive)],
    ['Active Workers', `${j.active} / ${j.cardinality}`],
    ['Dead Workers', j.dead],
    ['Stalled Workers', j.counters.stalled],
    ['State', j.state],
    ['Exited OK', j.counters.exited_ok],
    ['Exited with error', j.counters.exited_error],
    ['Stopped on purpose', j.counters.stopped],
    ['Restarts', j.counters.restarts],
    ['Stall timeout', j.stall_timeout === 0 ? 'off' : `${j.stall_timeout} ms`],
    ['Grace period', `${j.grace_period} ms`],
    ['CPU', usage ? cpuText(usage) : '-'],
    ['Memory', usage ? memoryText(usage) : '-'],
  ];
  if (j.next_start_at) pairs.push(['Next start at', rfc3339(m.view.nextStartAt)]);
  if (j.requires.length) pairs.push(['Requires', j.requires.join(', ')]);
  if (j.waiting_for.length) pairs.push(['Waiting for', awaitedText(j.waiting_for)]);
  const last = m.view.lastExit;
  // "Last error" is why the task is not running as asked: the last exit's message, or what the
  // check of its command found before any start.
  if (m.lastError && j.state !== 'running') pairs.push(['Last error', m.lastError]);
  let text = keyValueLines(pairs);
  if (last) {
    const what = last.kind === 'spawn_failed' ? `not started: ${last.message}` : last.message;
    text += `\nLast exit:\t${what} at ${rfc3339(last.at)}${last.pid === null ? '' : ` (pid ${last.pid})`}`;
    for (const line of last.output) text += `\n\t${line}`;
  }
  return text;
}

/** `Task: T,\tPid: P,\tStarted: …,\tLast alive at: … (N seconds ago)[,\tCPU: …,\tMemory: …]` */
export function workerLines(m: TaskManager, now = Date.now()): string {
  return [...m.view.workers.values()]
    .sort((a, b) => a.startedAt - b.startedAt)
    .map((w) => {
      const s = w.lastAlive ? Math.round((now - w.lastAlive) / 1000) : 0;
      const ago = w.lastAlive ? ` (${s} second${s === 1 ? '' : 's'} ago)` : '';
      const u = m.usageOf(w.pid);
      const usage = u ? `,\tCPU: ${cpuText(u)},\tMemory: ${memoryText(u)}` : '';
      const extra = (w.phase === 'stopping' ? ',\tState: stopping' : '') + (w.info ? `,\tInfo: ${w.info}` : '');
      return `Task: ${m.name},\tPid: ${w.pid},\tStarted: ${rfc3339(w.startedAt)},\tLast alive at: ${w.lastAlive ? rfc3339(w.lastAlive) : 'never'}${ago}${usage}${extra}`;
    })
    .join('\n');
}
