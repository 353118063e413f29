// The pilot an allocation runs, pure: the sbatch command line (every Slurm option there, where
// no shell quoting can go wrong) and the script, which only starts bl-launcher. The token is in
// the script's environment, not on bl-launcher's command line, where `ps` would show it to
// every user of the node.
import type { SlurmSettings } from '../../config/types.js';
import { formatSlurmDuration } from './slurm-time.js';

export interface PilotSpec {
  settings: SlurmSettings;
  /** `<name>-<daemon host>`. */
  jobName: string;
  /** state_dir/slurm: the pilots' output, scripts and launcher state dirs. */
  dir: string;
  /** Node, its loader flags and bl-launcher's main module (pilot-program.ts). */
  program: string[];
  /** Where the pilots reach the daemon. */
  url: string;
  token: string;
  /** The daemon's CA (tls.ca), for a daemon served over https with a CA of its own. */
  caFile?: string | undefined;
}

/** Single-quoted for sh. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function sbatchArgv(p: PilotSpec, script: string): string[] {
  const s = p.settings;
  const a = [
    '--parsable',
    `--job-name=${p.jobName}`,
    `--output=${p.dir}/%j.out`,
    `--chdir=${p.dir}`,
    '--nodes=1',
    '--ntasks=1',
    `--cpus-per-task=${s.cpusPerLauncher}`,
    `--time=${formatSlurmDuration(s.timeLimitS)}`,
    // B: the batch shell itself, which bl-launcher replaces (exec): without it Slurm signals
    // only job steps, and the pilot runs none.
    `--signal=B:USR2@${Math.round(s.endMarginS)}`,
  ];
  if (s.partition) a.push(`--partition=${s.partition}`);
  if (s.account) a.push(`--account=${s.account}`);
  if (s.qos) a.push(`--qos=${s.qos}`);
  if (s.mem) a.push(`--mem=${s.mem}`);
  if (s.gres) a.push(`--gres=${s.gres}`);
  // Last: the operator's words win over ours.
  a.push(...s.sbatchArgs, script);
  return a;
}

export function pilotScript(p: PilotSpec): string {
  const s = p.settings;
  const args = [
    ...p.program.map(shellQuote),
    shellQuote(p.url),
    '-x',
    String(s.slotsPerLauncher),
    '--name',
    '"slurm-$SLURM_JOB_ID"',
    '--idle-exit',
    String(s.idleExitS),
    '--end-margin',
    String(s.endMarginS),
    '--state-dir',
    `${shellQuote(p.dir)}/"launcher-$SLURM_JOB_ID"`,
  ];
  if (p.caFile) args.push('--ca', shellQuote(p.caFile));
  return [
    '#!/bin/sh',
    `# A bl pilot, written by bl-daemon: one bl-launcher in this allocation, leasing jobs from ${p.url}.`,
    '# Its Slurm options are on the sbatch command line; its output is in %j.out beside this file.',
    `BL_TOKEN=${shellQuote(p.token)}`,
    'export BL_TOKEN',
    `exec ${args.join(' ')}`,
    '',
  ].join('\n');
}
