// Tasks as tables and pairs (`ls`, `status`, `watch`): state, workers live/desired, restarts,
// CPU and memory (the daemon's samples; `-` until it has one), and why a task that is not
// running well last lost a worker.
import type { ProcessUsageJson, TaskJson } from '../contract/types.js';
import { stateCell, type Block, type Cell, type Tone } from './result.js';
import { ago } from './commands/shared.js';
import { awaitedText } from '../contract/awaited-text.js';

/** `12.5%` of one core (`188%`: nearly two); `-` when not sampled. */
export function cpuText(u: ProcessUsageJson | null | undefined): string {
  if (!u) return '-';
  return `${u.cpu_percent >= 100 ? Math.round(u.cpu_percent) : u.cpu_percent.toFixed(1)}%`;
}

/** Resident memory in binary units: `512 KiB`, `45.2 MiB`, `1.3 GiB`; `-` when not sampled. */
export function memText(u: ProcessUsageJson | null | undefined): string {
  if (!u) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = u.rss_bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 || v >= 100 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

/** Running with every worker it wants, or stopped on purpose: nothing to explain. */
export function runningWell(t: TaskJson): boolean {
  return t.state === 'stopped' || (t.state === 'running' && t.active >= t.cardinality);
}

function workersCell(t: TaskJson): Cell {
  const tone: Tone = t.state !== 'stopped' && t.active < t.cardinality ? 'wait' : 'plain';
  return { text: `${t.active}/${t.cardinality}`, tone };
}

/** Why a task does not run well: what it waits for, else its last exit; nothing when it does. */
function whyCell(t: TaskJson): Cell {
  if (t.state === 'waiting' && t.waiting_for?.length) return { text: `waiting for ${awaitedText(t.waiting_for)}`, tone: 'wait' };
  return !runningWell(t) && t.last_exit ? { text: `${t.last_exit.message} (${ago(t.last_exit.at)})`, tone: 'bad' } : '';
}

export const LS_HEADERS = ['TASK', 'STATE', 'WORKERS', 'RESTARTS', 'CPU', 'MEM', 'LAST EXIT'];

/** `ls`: every task; the last exit only where the task is not running well. */
export function lsTable(tasks: TaskJson[]): Block {
  const rows = tasks.map((t): Cell[] => [
    t.name,
    stateCell(t.state),
    workersCell(t),
    String(t.counters.restarts),
    cpuText(t.usage),
    memText(t.usage),
    whyCell(t),
  ]);
  return { kind: 'table', headers: LS_HEADERS, rows, flex: LS_HEADERS.length - 1 };
}

export const TASK_HEADERS = ['TASK', 'STATE', 'WORKERS', 'RESTARTS', 'CPU', 'MEM', 'STARTED', 'LAST ALIVE'];

/** `status` and `watch`: the running tasks. */
export function taskTable(tasks: TaskJson[], now = Date.now()): Block {
  const rows = tasks.map((t): Cell[] => [t.name, stateCell(t.state), workersCell(t), String(t.counters.restarts), cpuText(t.usage), memText(t.usage), ago(t.started_at, now), ago(t.last_alive_at, now)]);
  return { kind: 'table', headers: TASK_HEADERS, rows };
}

/** `status TASK`: the seed's `Key: value` lines, bl's counters, and the last exit with its output. */
export function taskBlocks(t: TaskJson): Block[] {
  const pairs: [string, Cell][] = [
    ['Task name', t.name],
    ['Running', stateCell(String(t.running))],
    ['State', stateCell(t.state)],
    ['Started at', t.started_at ?? '-'],
    ['Last alive at', t.last_alive_at ?? '-'],
    ['Active Workers', `${t.active} / ${t.cardinality}`],
    ['Dead Workers', String(t.dead)],
    ['Stalled Workers', String(t.counters.stalled)],
    ['Exited ok / error', `${t.counters.exited_ok} / ${t.counters.exited_error}`],
    ['Restarts', String(t.counters.restarts)],
    ['CPU', cpuText(t.usage)],
    ['Memory', memText(t.usage)],
    ['Command', [t.cmd, ...t.args].join(' ')],
    ['Stall timeout', `${t.stall_timeout} ms`],
    ['Grace period', `${t.grace_period} ms`],
  ];
  if (t.next_start_at) pairs.push(['Next start at', `${t.next_start_at} (${ago(t.next_start_at)})`]);
  if (t.requires?.length) pairs.push(['Requires', t.requires.join(', ')]);
  if (t.waiting_for?.length) pairs.push(['Waiting for', { text: awaitedText(t.waiting_for), tone: 'wait' }]);
  const e = t.last_exit;
  pairs.push(['Last exit', e ? { text: `${e.message}${e.pid !== null ? ` (pid ${e.pid})` : ''} at ${e.at} (${ago(e.at)})`, tone: runningWell(t) ? 'plain' : 'bad' } : '-']);
  const blocks: Block[] = [{ kind: 'pairs', pairs }];
  if (e && e.output.length) blocks.push({ kind: 'text', text: e.output.map((l) => `  │ ${l}`).join('\n'), tone: 'dim' });
  return blocks;
}
