// The daemon's (or a launcher's) choice at start: cgroups where the host allows them and the
// `cgroups` setting wants them, else process groups, with the reason either way.
import { createHash } from 'node:crypto';
import type { Limits } from '../../contract/limits.js';
import { CgroupTree, removeEmpty, subtreeDirs } from './group.js';
import { CONTROLLERS, planCgroups, planText, refuseLimits, type CgroupPlan, type CgroupSetting, type HostFacts } from './host.js';
import { probeHost } from './probe.js';

export interface CgroupsJson {
  mode: 'cgroup' | 'process-group';
  /** Why process groups (mode process-group), or the controllers this host lacks. */
  reason: string | null;
  root: string | null;
  /** How each limit's controller is reached: v2, v1, or null (a limit needing it is refused). */
  controllers: Record<string, 'v2' | 'v1' | null>;
  /** How a stop kills what is left: cgroup.kill, or freezing the group and killing each pid. */
  kill: 'cgroup.kill' | 'freeze' | null;
}

export class Cgroups {
  constructor(
    readonly plan: CgroupPlan,
    readonly tree: CgroupTree | undefined,
  ) {}

  /** Why these limits cannot be enforced here, or null. */
  refuse(l: Limits | null | undefined): string | null {
    return refuseLimits(l, this.plan);
  }

  /** One line: `cgroups under … (memory via v1, …)` or `process groups (why)`. */
  text(): string {
    return planText(this.plan);
  }

  toJSON(): CgroupsJson {
    const p = this.plan;
    if (p.mode !== 'cgroup') return { mode: 'process-group', reason: p.reason, root: null, controllers: Object.fromEntries(CONTROLLERS.map((c) => [c, null])), kill: null };
    const missing = CONTROLLERS.filter((c) => p.missing[c]).map((c) => p.missing[c]!);
    return {
      mode: 'cgroup',
      reason: missing.length > 0 ? missing.join('; ') : null,
      root: this.tree?.root ?? null,
      controllers: Object.fromEntries(CONTROLLERS.map((c) => [c, p.controllers[c]?.via ?? null])),
      kill: this.tree?.hasKill ? 'cgroup.kill' : 'freeze',
    };
  }

  close(): void {
    this.tree?.close();
  }
}

/** A short stable name for bl's subtree: the same state dir finds the same cgroup again. */
export const subtreeId = (key: string): string => createHash('sha256').update(key).digest('hex').slice(0, 12);

/**
 * Removes the empty cgroups a daemon of this state dir left (one killed with -9 cannot): for
 * whoever removes the state dir itself (tests).
 */
export function removeLeftovers(key: string, facts: HostFacts = probeHost()): void {
  const plan = planCgroups('auto', facts);
  if (plan.mode === 'cgroup') for (const d of subtreeDirs(plan, `bl-${subtreeId(key)}`)) removeEmpty(d);
}

/**
 * Plans and makes bl's subtree. `cgroups: true` that cannot be had throws (the start stops,
 * naming the setting); `auto` falls back to process groups with the reason.
 */
export function setupCgroups(setting: CgroupSetting, key: string, facts: HostFacts = probeHost()): Cgroups {
  const plan = planCgroups(setting, facts);
  if (plan.mode !== 'cgroup') {
    if (setting === true) throw new Error(`cgroups: true, but no cgroup can be made here: ${plan.reason}`);
    return new Cgroups(plan, undefined);
  }
  try {
    const tree = new CgroupTree(plan, subtreeId(key));
    return new Cgroups(tree.plan, tree);
  } catch (e) {
    const reason = `cannot make bl's cgroup in ${plan.v2Dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
    if (setting === true) throw new Error(`cgroups: true, but ${reason}`);
    return new Cgroups({ mode: 'process-group', reason }, undefined);
  }
}
