// One line per host under the prompt: reachable or not, tasks and workers, running and
// pending jobs, the concurrency limit, Slurm allocations (a daemon with `broker.slurm`). Fed by
// a poll of about a second (app.tsx). Cut at the terminal's width rather than wrapped, so the
// prompt never jumps.
import React from 'react';
import { Text } from 'ink';
import { allocationCount } from '../allocation-table.js';
import type { Snapshot } from '../snapshot.js';

export interface HostStatus {
  label: string;
  snapshot?: Snapshot;
}

export function statusText(h: HostStatus): string {
  const s = h.snapshot;
  if (!s) return `${h.label}  connecting…`;
  if (!s.connected) return `${h.label}  not connected`;
  const parts = [`${h.label}  connected`];
  if (s.tasks) {
    const workers = s.tasks.reduce((n, t) => n + t.active, 0);
    parts.push(`${s.tasks.length} task${s.tasks.length === 1 ? '' : 's'}, ${workers} worker${workers === 1 ? '' : 's'}`);
  }
  if (s.broker) {
    parts.push(`jobs ${s.broker.running} running, ${s.broker.pending} pending${s.broker.waiting ? `, ${s.broker.waiting} waiting` : ''}`);
    parts.push(`concurrency ${s.broker.concurrency}${s.broker.urgent_bypass ? ' +urgent' : ''}`);
    if (s.broker.allocations) parts.push(allocationCount(s.broker.allocations));
  }
  return parts.join(' · ');
}

export function StatusLine({ hosts, busy }: { hosts: HostStatus[]; busy: string | null }) {
  return (
    <>
      {hosts.map((h) => (
        <Text key={h.label} wrap="truncate-end">
          <Text color={h.snapshot?.connected ? 'green' : h.snapshot ? 'red' : 'yellow'}>{h.snapshot?.connected ? '●' : '○'}</Text>
          <Text dimColor> {statusText(h)}</Text>
        </Text>
      ))}
      {busy ? <Text dimColor wrap="truncate-end">running {busy}…</Text> : null}
    </>
  );
}
