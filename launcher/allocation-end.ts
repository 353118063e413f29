// When the allocation a bl-launcher runs in ends (docs/spec.md "Launchers"), from what main.ts
// read: `--end-at` first, else under Slurm (SLURM_JOB_ID) the job's SLURM_JOB_END_TIME (newer
// Slurm sets it), else what `scontrol show job` says once at start. Pure: the parsing and the
// choice; scontrol.ts runs the command.

/** An allocation that ends: its end stops this launcher's leasing and evicts its jobs. */
export interface Allocation {
  /** When it ends (ms since the epoch); null when unknown (a signal still ends it). */
  endAt: number | null;
  /** Where endAt came from, for the start-up line. */
  source: string;
  /** The Slurm job it is, when SLURM_JOB_ID is set. */
  slurmJobId: string | null;
}

/**
 * `--end-at`: epoch seconds (`1796232112`, `1796232112.5`) or an ISO date and time
 * (`2026-12-02T16:06:19Z`; without an offset, this host's local time, as Slurm prints it).
 * Returns ms since the epoch; throws with what was expected and what came.
 */
export function parseEndAt(raw: string): number {
  const v = raw.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  // Date.parse alone takes "12" or "March 7" as dates; an ISO date is what is documented.
  const t = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(v) ? Date.parse(v.replace(' ', 'T')) : NaN;
  if (Number.isNaN(t)) throw new Error(`expected --end-at to be epoch seconds or an ISO date and time (2026-12-02T16:06:19Z), found "${raw}"`);
  return t;
}

/**
 * The EndTime of `scontrol show job` output (Slurm prints `EndTime=2026-12-02T16:06:19` in the
 * cluster's local time, which is this host's). Null when Slurm does not know it (`Unknown`, a
 * job with no time limit); throws when the output has no EndTime at all.
 */
export function parseScontrolEndTime(text: string): number | null {
  const m = /(?:^|\s)EndTime=(\S+)/.exec(text);
  if (!m) throw new Error(`expected an EndTime= field in scontrol's output, found: ${text.trim().slice(0, 200) || 'nothing'}`);
  const d = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(m[1]!);
  if (!d) return null;
  const [y, mo, day, h, mi, s] = d.slice(1).map(Number) as [number, number, number, number, number, number];
  return new Date(y, mo - 1, day, h, mi, s).getTime();
}

/** What main.ts read, before any command ran. */
export interface EndInputs {
  /** --end-at, parsed (ms). */
  endAtFlag: number | undefined;
  slurmJobId: string | undefined;
  slurmJobEndTime: string | undefined;
}

/**
 * Where the end comes from: known already (the flag, the environment), to be asked of Slurm
 * (`scontrol`), or nowhere (not in an allocation: SIGTERM keeps its meaning outside one).
 * `warning`: SLURM_JOB_END_TIME was there but unreadable.
 */
export type EndPlan =
  | { kind: 'known'; allocation: Allocation; warning?: string }
  | { kind: 'scontrol'; jobId: string; warning?: string }
  | { kind: 'none' };

export function planEnd(i: EndInputs): EndPlan {
  const slurmJobId = i.slurmJobId?.trim() || null;
  if (i.endAtFlag !== undefined) return { kind: 'known', allocation: { endAt: i.endAtFlag, source: '--end-at', slurmJobId } };
  if (slurmJobId === null) return { kind: 'none' };
  const env = i.slurmJobEndTime?.trim();
  if (env) {
    if (/^\d+$/.test(env) && Number(env) > 0) return { kind: 'known', allocation: { endAt: Number(env) * 1000, source: 'SLURM_JOB_END_TIME', slurmJobId } };
    return { kind: 'scontrol', jobId: slurmJobId, warning: `expected SLURM_JOB_END_TIME to be epoch seconds, found "${env}"; asking scontrol` };
  }
  return { kind: 'scontrol', jobId: slurmJobId };
}

/** How a reason names the allocation: `the Slurm allocation of launcher slurm-123`. */
export function allocationName(a: Pick<Allocation, 'slurmJobId'> | undefined, launcher: string): string {
  return `the ${a?.slurmJobId ? 'Slurm ' : ''}allocation of launcher ${launcher}`;
}
