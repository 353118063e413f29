// What this host lets bl do with cgroups, decided from what it shows (probe.ts reads it): a
// plan (where bl's own subtree goes, which controller each limit is enforced through) or the
// reason no cgroup can be made. Pure.
//
// Membership and stopping need cgroup v2 (one hierarchy, cgroup.procs of a whole subtree,
// cgroup.kill or cgroup.freeze). Limits need a controller: from v2 where the unified hierarchy
// has it, else from a v1 hierarchy mounted beside it (a hybrid host: v2 for membership, v1
// memory/cpu/pids for limits), mirrored at the same relative path.
import { LIMIT_CONTROLLER, limitFields, type Limits } from '../../contract/limits.js';

export const CONTROLLERS = ['memory', 'cpu', 'pids'] as const;
export type Controller = (typeof CONTROLLERS)[number];

export type CgroupSetting = boolean | 'auto';

export interface HostFacts {
  /** The unified (v2) hierarchy, if mounted. */
  v2: {
    mount: string;
    /** This process's cgroup in it (`/` for the root). */
    own: string;
    /** cgroup.controllers of that cgroup: what its children can be given. */
    controllers: string[];
    /** Whether a child cgroup can be made in it (null when it can; else why not). */
    cannotWrite: string | null;
  } | null;
  /** v1 hierarchies of the controllers bl uses, where mounted. */
  v1: Partial<Record<Controller, { mount: string; own: string; cannotWrite: string | null }>>;
}

export type ControllerWay = { via: 'v2' } | { via: 'v1'; dir: string };

export type CgroupPlan =
  | {
      mode: 'cgroup';
      /** The directory bl's own subtree (`bl-<daemon id>`) is made in. */
      v2Dir: string;
      /** How each usable controller is reached; `dir` is where the v1 subtree is made. */
      controllers: Partial<Record<Controller, ControllerWay>>;
      /** Why each other controller cannot be used. */
      missing: Partial<Record<Controller, string>>;
      /** The cgroup.procs files of this process, for a helper to go back to after a spawn. */
      home: string[];
    }
  | { mode: 'process-group'; reason: string };

const join = (mount: string, rel: string) => (rel === '/' ? mount : mount + rel);

export function planCgroups(setting: CgroupSetting, f: HostFacts): CgroupPlan {
  if (setting === false) return { mode: 'process-group', reason: 'cgroups: false in the config' };
  const v2 = f.v2;
  if (!v2) return { mode: 'process-group', reason: 'no cgroup v2 (unified) hierarchy is mounted' };
  const v2Dir = join(v2.mount, v2.own);
  if (v2.cannotWrite) return { mode: 'process-group', reason: `cannot make cgroups in ${v2Dir}: ${v2.cannotWrite}` };
  const controllers: Partial<Record<Controller, ControllerWay>> = {};
  const missing: Partial<Record<Controller, string>> = {};
  const home = [join(v2Dir, '/cgroup.procs')];
  for (const c of CONTROLLERS) {
    if (v2.controllers.includes(c)) {
      controllers[c] = { via: 'v2' };
      continue;
    }
    const v1 = f.v1[c];
    if (v1 && !v1.cannotWrite) {
      const dir = join(v1.mount, v1.own);
      controllers[c] = { via: 'v1', dir };
      home.push(join(dir, '/cgroup.procs'));
      continue;
    }
    const notV2 = `the ${c} controller is not available in cgroup v2 at ${v2Dir}`;
    missing[c] = v1 ? `${notV2}, and its v1 hierarchy ${join(v1.mount, v1.own)} is not writable (${v1.cannotWrite})` : `${notV2} nor mounted as cgroup v1`;
  }
  return { mode: 'cgroup', v2Dir, controllers, missing, home };
}

/**
 * Why these limits cannot be enforced under this plan (the first one that cannot), or null
 * when every one can. A limit is never silently ignored.
 */
export function refuseLimits(limits: Limits | null | undefined, plan: CgroupPlan): string | null {
  for (const field of limitFields(limits)) {
    const c = LIMIT_CONTROLLER[field];
    if (plan.mode !== 'cgroup') return `${field} cannot be enforced on this host: bl is not using cgroups (${plan.reason})`;
    const why = plan.missing[c];
    if (why) return `${field} cannot be enforced on this host: ${why}`;
  }
  return null;
}

/** One line for the start-up log and /healthz: which way processes are held, and why. */
export function planText(plan: CgroupPlan): string {
  if (plan.mode !== 'cgroup') return `process groups (${plan.reason})`;
  const ways = CONTROLLERS.map((c) => {
    const w = plan.controllers[c];
    return w ? `${c} via ${w.via}` : `no ${c}`;
  });
  return `cgroups under ${plan.v2Dir} (${ways.join(', ')})`;
}
