// bl's own cgroup subtree and the groups in it: `<v2 dir>/bl-<daemon id>/job-<id>` for a job,
// `.../task-<name>/worker-<id>` for a worker, mirrored in each v1 hierarchy bl uses for a
// limit (host.ts). Makes and removes directories and writes limits; entering a group is the
// spawner's (a process writes its own pid before it execs, so all it forks is inside).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CPU_PERIOD_US, type Limits } from '../../contract/limits.js';
import { CONTROLLERS, type CgroupPlan, type Controller, type ControllerWay } from './host.js';

export interface Group {
  /** Its path under bl's subtree (`job-12`, `task-web/worker-3f2a…`). */
  rel: string;
  /** Its v2 directory: membership, cgroup.kill, cpu.stat. */
  dir: string;
  /** Its directories in v1 hierarchies, by controller. */
  v1: Partial<Record<Controller, string>>;
  /** The cgroup.procs files a process writes its pid to, to enter it everywhere. */
  procs: string[];
  /** Where its memory is accounted (memory.current / memory.usage_in_bytes), if anywhere. */
  memory: { via: 'v2' | 'v1'; dir: string } | null;
  limits: Limits | null;
}

type Plan = Extract<CgroupPlan, { mode: 'cgroup' }>;

export class CgroupTree {
  /** bl's own v2 directory. */
  readonly root: string;
  /** cgroup.kill is there (Linux 5.14+); else a stop freezes the group and kills each pid. */
  readonly hasKill: boolean;
  /** The plan as it turned out: a v2 controller that could not be delegated moves to missing. */
  readonly plan: Plan;
  private readonly v1Roots: Partial<Record<Controller, string>> = {};

  /** Makes bl's subtree (`bl-<id>`) and hands the v2 controllers down to it. Throws with the reason. */
  constructor(plan: Plan, id: string) {
    const name = `bl-${id}`;
    this.root = path.join(plan.v2Dir, name);
    const controllers: Partial<Record<Controller, ControllerWay>> = {};
    const missing = { ...plan.missing };
    // An earlier daemon of this state dir that was killed left its groups: the empty ones go
    // (a group still holding a job that outlived it stays, for recovery to find).
    for (const r of subtreeDirs(plan, name)) removeEmpty(r);
    mkdirSync(this.root, { recursive: true });
    for (const c of CONTROLLERS) {
      const w = plan.controllers[c];
      if (!w) continue;
      if (w.via === 'v1') {
        const dir = path.join(w.dir, name);
        try {
          mkdirSync(dir, { recursive: true });
          this.v1Roots[c] = dir;
          controllers[c] = w;
        } catch (e) {
          missing[c] = `cannot make ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
        }
        continue;
      }
      const why = enable(plan.v2Dir, c) ?? enable(this.root, c);
      if (why) missing[c] = `the ${c} controller cannot be handed down in cgroup v2: ${why}`;
      else controllers[c] = w;
    }
    this.plan = { ...plan, controllers, missing };
    this.hasKill = existsSync(path.join(this.root, 'cgroup.kill'));
  }

  /**
   * Makes a group (and its parents) with these limits. Memory is accounted wherever the host
   * allows, limit or not (the peak, and an OOM kill, are read from it); cpu and pids only where
   * a limit asks for them.
   */
  make(rel: string, limits: Limits | null): Group {
    const dir = path.join(this.root, rel);
    this.parents(this.root, rel, true);
    mkdirSync(dir, { recursive: true });
    const g: Group = { rel, dir, v1: {}, procs: [path.join(dir, 'cgroup.procs')], memory: null, limits };
    const wanted: Controller[] = ['memory'];
    if (limits?.cpu_max !== undefined) wanted.push('cpu');
    if (limits?.pids_max !== undefined) wanted.push('pids');
    for (const c of wanted) {
      const w = this.plan.controllers[c];
      if (!w) continue;
      let cdir = dir;
      if (w.via === 'v1') {
        const root = this.v1Roots[c]!;
        cdir = path.join(root, rel);
        mkdirSync(cdir, { recursive: true });
        g.v1[c] = cdir;
        g.procs.push(path.join(cdir, 'cgroup.procs'));
      }
      if (c === 'memory') g.memory = { via: w.via, dir: cdir };
    }
    if (limits) writeLimits(g, limits);
    return g;
  }

  /**
   * A group made earlier (by a daemon of this state dir that has stopped since), found again as
   * it is: nothing made, no limit written (its processes run under the ones it was given).
   * Undefined when it is not there.
   */
  find(rel: string, limits: Limits | null): Group | undefined {
    const dir = path.join(this.root, rel);
    if (!existsSync(dir)) return undefined;
    const g: Group = { rel, dir, v1: {}, procs: [path.join(dir, 'cgroup.procs')], memory: null, limits };
    for (const c of CONTROLLERS) {
      const w = this.plan.controllers[c];
      if (!w) continue;
      let cdir = dir;
      if (w.via === 'v1') {
        cdir = path.join(this.v1Roots[c]!, rel);
        if (!existsSync(cdir)) continue;
        g.v1[c] = cdir;
        g.procs.push(path.join(cdir, 'cgroup.procs'));
      }
      if (c === 'memory') g.memory = { via: w.via, dir: cdir };
    }
    return g;
  }

  /** Removes an emptied group's directories (a group still holding processes stays). */
  remove(g: Group): void {
    for (const d of [g.dir, ...Object.values(g.v1)]) rmdirQuiet(d);
  }

  /** Removes the directories of bl's subtree that hold no process (at the daemon's end). */
  close(): void {
    for (const r of [this.root, ...Object.values(this.v1Roots)]) removeEmpty(r);
  }

  /** v2 parents between the root and a group hand the root's controllers down too. */
  private parents(root: string, rel: string, v2: boolean): void {
    const parts = rel.split('/').slice(0, -1);
    let dir = root;
    for (const p of parts) {
      dir = path.join(dir, p);
      if (existsSync(dir)) continue;
      mkdirSync(dir);
      if (v2) for (const c of CONTROLLERS) if (this.plan.controllers[c]?.via === 'v2') enable(dir, c);
    }
  }
}

/** Adds a controller to a v2 directory's subtree_control; the reason when it cannot. */
function enable(dir: string, c: Controller): string | null {
  try {
    const file = path.join(dir, 'cgroup.subtree_control');
    if (readFileSync(file, 'utf8').split(/\s+/).includes(c)) return null;
    writeFileSync(file, `+${c}`);
    return null;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // EBUSY: the directory holds processes itself (a delegated cgroup the daemon runs in).
    return code === 'EBUSY' ? `${dir} holds processes itself (run bl in a cgroup of its own)` : `${dir}: ${code ?? (e as Error).message}`;
  }
}

function writeLimits(g: Group, l: Limits): void {
  if (l.memory_max !== undefined && g.memory) {
    const bytes = String(l.memory_max);
    if (g.memory.via === 'v2') {
      writeFileSync(path.join(g.memory.dir, 'memory.max'), bytes);
      // Swap would let a job run past its limit, only slower.
      writeOptional(path.join(g.memory.dir, 'memory.swap.max'), '0');
    } else {
      writeFileSync(path.join(g.memory.dir, 'memory.limit_in_bytes'), bytes);
      writeOptional(path.join(g.memory.dir, 'memory.memsw.limit_in_bytes'), bytes);
    }
  }
  if (l.cpu_max !== undefined) {
    const quota = String(Math.round(l.cpu_max * CPU_PERIOD_US));
    const v1 = g.v1.cpu;
    if (v1) {
      writeFileSync(path.join(v1, 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
      writeFileSync(path.join(v1, 'cpu.cfs_quota_us'), quota);
    } else writeFileSync(path.join(g.dir, 'cpu.max'), `${quota} ${CPU_PERIOD_US}`);
  }
  if (l.pids_max !== undefined) writeFileSync(path.join(g.v1.pids ?? g.dir, 'pids.max'), String(l.pids_max));
}

function writeOptional(file: string, value: string): void {
  try {
    writeFileSync(file, value);
  } catch {
    // absent on this kernel (no swap accounting): nothing to limit
  }
}

/** Where bl's subtree `name` is under a plan: its v2 directory and its v1 ones. */
export function subtreeDirs(plan: Plan, name: string): string[] {
  const dirs = [path.join(plan.v2Dir, name)];
  for (const c of CONTROLLERS) {
    const w = plan.controllers[c];
    if (w?.via === 'v1') dirs.push(path.join(w.dir, name));
  }
  return dirs;
}

function rmdirQuiet(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // gone already, or processes still in it (they are stopped by then; a left-over dies soon)
  }
}

/** Removes a directory tree of cgroups bottom-up, every one that holds no process. */
export function removeEmpty(dir: string): void {
  let entries: string[] = [];
  try {
    entries = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return;
  }
  for (const e of entries) removeEmpty(path.join(dir, e));
  rmdirQuiet(dir);
}
