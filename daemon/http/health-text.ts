// GET /healthz for curl: `ok` or `failing` first (the line a probe reads), each problem, then
// the figures the JSON has.
import { keyValueLines } from './respond.js';
import type { CgroupsJson } from '../../proc/cgroup/setup.js';

export interface Health {
  status: string;
  problems?: string[];
  pid: number;
  uptime_s: number;
  tasks_running: number;
  keepalives: Record<string, unknown>;
  cgroups: CgroupsJson;
}

export function healthText(h: Health): string {
  const k = h.keepalives;
  const pairs: [string, string | number][] = [
    ['Pid', h.pid],
    ['Uptime', `${h.uptime_s} s`],
    ['Tasks running', h.tasks_running],
    ['Keep-alives received', Number(k.received)],
    ['Keep-alives accepted', Number(k.accepted)],
    ['Keep-alives malformed', Number(k.malformed)],
    ['Keep-alives for unknown tasks', Number(k.unknown_task)],
    ['Keep-alives from unknown pids', Number(k.unknown_pid)],
  ];
  if (typeof k.last_drop_reason === 'string') pairs.push(['Last keep-alive dropped', k.last_drop_reason]);
  const c = h.cgroups;
  if (c.mode === 'cgroup') {
    const ways = Object.entries(c.controllers).map(([k2, v]) => (v ? `${k2} via ${v}` : `no ${k2}`));
    pairs.push(['Processes held by', `cgroups under ${c.root} (${ways.join(', ')}; stop by ${c.kill})`]);
    if (c.reason) pairs.push(['Limits not enforceable', c.reason]);
  } else pairs.push(['Processes held by', `process groups (${c.reason})`]);
  const problems = (h.problems ?? []).map((p) => `Problem: ${p}\n`).join('');
  return `${h.status}\n${problems}${keyValueLines(pairs)}`;
}
