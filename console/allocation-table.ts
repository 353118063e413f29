// Slurm allocations as the console shows them (`alloc`, `broker`, the status line, `watch`):
// a table whose reason column is the one cut to fit the terminal, the pause on top, and short
// counts. Pure.
import type { AllocationJson, AllocationsJson } from '../contract/types.js';
import { stateCell, text, type Block, type Cell } from './result.js';

export const ALLOC_HEADERS = ['ID', 'STATE', 'NODE', 'TIME LEFT', 'JOBS', 'CONNECTED', 'REASON'];

/** An allocation that Slurm still has: queued, running or being ended. */
export const isLive = (a: AllocationJson): boolean => a.state !== 'ended';

/** Queued or running: what `alloc cancel` can still stop (an `ending` one is being stopped already). */
export const isCancellable = (a: AllocationJson): boolean => a.state === 'pending' || a.state === 'running';

/** `45s`, `12m 05s`, `3h 07m`, `2d 04h`; `-` when unknown. */
export function timeLeftText(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '-';
  const s = Math.max(0, Math.round(seconds));
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86400)}d ${pad(Math.floor((s % 86400) / 3600))}h`;
}

function connectedCell(a: AllocationJson): Cell {
  if (!isLive(a)) return '-';
  if (a.connected) return { text: 'yes', tone: 'good' };
  // Running in Slurm but its launcher has not called in: worth a look.
  return { text: 'no', tone: a.state === 'running' ? 'wait' : 'dim' };
}

export function allocationRow(a: AllocationJson): Cell[] {
  const left = a.state === 'running' || a.state === 'ending' ? timeLeftText(a.time_left_s) : '-';
  // One line a row: a reason with a newline (sbatch's stderr) would break it.
  const reason = (a.reason ?? '').replace(/\s*\n\s*/g, ' ⏎ ');
  return [a.id, stateCell(a.state), a.node ?? '-', left, String(a.jobs_run), connectedCell(a), reason];
}

/** The pause first (why no allocation is being submitted), then a row an allocation. */
export function allocationBlocks(a: AllocationsJson): Block[] {
  const out: Block[] = [];
  if (a.paused) out.push(text(`Paused: ${a.paused} (alloc resume submits again)`, 'bad'));
  if (a.allocations.length === 0) out.push(text('No allocations', 'dim'));
  else out.push({ kind: 'table', headers: ALLOC_HEADERS, rows: a.allocations.map(allocationRow), flex: ALLOC_HEADERS.length - 1 });
  return out;
}

/** `3 allocations`, `1 allocation (paused)`: the live ones, for the status line and `watch`. */
export function allocationCount(a: AllocationsJson): string {
  const n = a.allocations.filter(isLive).length;
  return `${n} allocation${n === 1 ? '' : 's'}${a.paused ? ' (paused)' : ''}`;
}

/** `2 running, 1 pending` (`none` when Slurm has none of them), for `broker`. */
export function allocationStates(a: AllocationsJson): string {
  const order: AllocationJson['state'][] = ['running', 'pending', 'ending'];
  const parts = order.flatMap((s) => {
    const n = a.allocations.filter((x) => x.state === s).length;
    return n ? [`${n} ${s}`] : [];
  });
  return parts.length ? parts.join(', ') : 'none';
}

/** What Tab shows beside an allocation id: its state and node. */
export function allocationNote(a: AllocationJson): string {
  return `${a.state.padEnd(8)} ${a.node ?? '-'}`;
}
