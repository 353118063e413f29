// Samples CPU and RSS of every running job's process tree about once a second, with one scan
// of /proc per tick for all jobs (a scan per job would cost as much as the jobs at high
// concurrency). CPU % is the tree's CPU time since the last sample over wall time (100 = a core).
// A job in a cgroup is sampled from the cgroup's own accounting instead (cpu.stat, memory),
// which counts every process that was ever in it, escaped from the tree or not.
import type { UsageJson } from '../contract/types.js';
import { CLOCK_TICKS, PAGE_SIZE, scanStats, type ProcStat } from '../proc/stat.js';
import { treeOf, type TreeRoot } from '../proc/job-tree.js';
import type { Group } from '../proc/cgroup/group.js';
import { members } from '../proc/cgroup/stop-group.js';
import { readUsage } from '../proc/cgroup/usage.js';

export interface Sample {
  cpuPercent: number;
  rssBytes: number;
  /** Start of the span the CPU figure covers (ms). */
  since: number;
  at: number;
  /** pid → start time of every process seen in the tree, for the final kill. */
  pids: Map<number, number>;
}

interface Entry {
  root: TreeRoot;
  group: Group | undefined;
  /** The group's CPU µs at the last sample. */
  lastUsec: number;
  last: Map<number, number>;
  lastAt: number;
  onSample: (s: Sample) => void;
}

export class UsageSampler {
  private readonly entries = new Set<Entry>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly intervalMs = 1000) {}

  /** Starts sampling a tree; the returned function stops it. */
  watch(root: TreeRoot, startedAt: number, onSample: (s: Sample) => void, group?: Group): () => void {
    const e: Entry = { root, group, lastUsec: 0, last: new Map(), lastAt: startedAt, onSample };
    this.entries.add(e);
    if (!this.timer) {
      this.timer = setInterval(() => this.tick(), this.intervalMs);
      this.timer.unref();
    }
    return () => {
      this.entries.delete(e);
      if (this.entries.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }

  private tick(): void {
    let scanned: ProcStat[] | undefined;
    const stats = () => (scanned ??= scanStats());
    const now = Date.now();
    for (const e of this.entries) {
      if (e.group) {
        this.sampleGroup(e, e.group, now, stats);
        continue;
      }
      const tree = treeOf({ pid: e.root.pid, pgid: e.root.pgid }, stats());
      let ticks = 0;
      let rss = 0;
      const next = new Map<number, number>();
      const pids = new Map<number, number>();
      for (const s of tree) {
        // A process new since the last tick counts with all its CPU time so far.
        ticks += Math.max(0, s.cpuTicks - (e.last.get(s.pid) ?? 0));
        rss += s.rssPages * PAGE_SIZE;
        next.set(s.pid, s.cpuTicks);
        pids.set(s.pid, s.startTime);
      }
      const span = Math.max(1, now - e.lastAt);
      const cpuPercent = Math.round(((ticks * 1000) / CLOCK_TICKS / span) * 1000) / 10;
      const since = e.lastAt;
      e.last = next;
      e.lastAt = now;
      try {
        e.onSample({ cpuPercent, rssBytes: rss, since, at: now, pids });
      } catch {
        // a failing consumer must not stop sampling of the other jobs
      }
    }
  }

  private sampleGroup(e: Entry, g: Group, now: number, stats: () => ProcStat[]): void {
    const u = readUsage(g);
    let rss = u.memory;
    if (rss === null) {
      // No memory accounting on this host: the resident sets of its members.
      const inGroup = new Set(members(g));
      rss = 0;
      for (const s of stats()) if (inGroup.has(s.pid)) rss += s.rssPages * PAGE_SIZE;
    }
    const span = Math.max(1, now - e.lastAt);
    const cpuPercent = Math.round(((u.cpuUsec - e.lastUsec) / 10 / span) * 10) / 10;
    const since = e.lastAt;
    e.lastUsec = u.cpuUsec;
    e.lastAt = now;
    try {
      e.onSample({ cpuPercent: Math.max(0, cpuPercent), rssBytes: rss, since, at: now, pids: new Map() });
    } catch {
      // as above
    }
  }
}

export function addSample(u: UsageJson | null, s: Sample): UsageJson {
  return {
    cpu_max: Math.max(u?.cpu_max ?? 0, s.cpuPercent),
    rss_max: Math.max(u?.rss_max ?? 0, s.rssBytes),
    cpu_last: s.cpuPercent,
    rss_last: s.rssBytes,
  };
}

/** What a job's keeper measured of it (spawn-helpers/end-file.ts): CPU seconds, peak RSS bytes. */
export interface Rusage {
  cpu: number | null;
  maxrss: number | null;
}

/**
 * Folds a keeper's measures into the sampled usage of a run of `spanMs`: its peak RSS counts
 * towards rss_max; with no sample at all (the job ran while no daemon watched), its CPU time
 * over the span stands for both CPU figures and its peak for both RSS ones.
 */
export function addRusage(u: UsageJson | null, r: Rusage, spanMs: number): UsageJson | null {
  if (u) return r.maxrss === null ? u : { ...u, rss_max: Math.max(u.rss_max, r.maxrss) };
  if (r.cpu === null && r.maxrss === null) return null;
  const cpu = r.cpu === null ? 0 : Math.round((r.cpu * 1000 * 1000) / Math.max(1, spanMs)) / 10;
  return { cpu_max: cpu, cpu_last: cpu, rss_max: r.maxrss ?? 0, rss_last: r.maxrss ?? 0 };
}
