#!/usr/bin/env node
// bl-launcher: reads argv and the environment (the token, the spawner, Slurm's job id and end),
// learns when its allocation ends, installs the signal handlers, runs a Launcher.
import { readFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { UsageError } from '../contract/flags.js';
import { HelperSpawner } from '../runner/spawn-helpers/helper-spawner.js';
import { helperPrograms } from '../runner/spawn-helpers/programs.js';
import { DaemonClient } from './client.js';
import { Launcher } from './launcher.js';
import { parseOptions, USAGE } from './options.js';
import { planEnd, type Allocation } from './allocation-end.js';
import { slurmJobEnd } from './scontrol.js';

/** The allocation this launcher runs in, if any: --end-at, else Slurm's word on its job. */
async function findAllocation(endAtFlag: number | undefined): Promise<Allocation | undefined> {
  const plan = planEnd({ endAtFlag, slurmJobId: process.env.SLURM_JOB_ID, slurmJobEndTime: process.env.SLURM_JOB_END_TIME });
  if (plan.kind === 'none') return undefined;
  if (plan.warning) console.error(`bl-launcher: ${plan.warning}`);
  if (plan.kind === 'known') return plan.allocation;
  try {
    return { endAt: await slurmJobEnd(plan.jobId), source: `scontrol show job ${plan.jobId}`, slurmJobId: plan.jobId };
  } catch (e) {
    console.error(`bl-launcher: cannot learn when Slurm job ${plan.jobId} ends (${(e as Error).message}); leasing with no end known`);
    return { endAt: null, source: 'scontrol failed', slurmJobId: plan.jobId };
  }
}

async function main(): Promise<number> {
  let o;
  try {
    o = parseOptions(process.argv.slice(2), { hostname: hostname(), pid: process.pid, home: homedir(), envToken: process.env.BL_TOKEN || undefined });
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`bl-launcher: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
  if (o.help) {
    console.log(USAGE);
    return 0;
  }
  let ca: string | undefined;
  if (o.caFile) {
    try {
      ca = readFileSync(o.caFile, 'utf8');
    } catch (e) {
      console.error(`bl-launcher: cannot read the CA file --ca ${o.caFile}: ${(e as Error).message}`);
      return 2;
    }
  }
  const spawner = process.env.BL_SPAWNER || undefined;
  if (spawner !== undefined && spawner !== 'python' && spawner !== 'node') {
    console.error(`bl-launcher: expected BL_SPAWNER to be "python" or "node", found "${spawner}"`);
    return 2;
  }
  const allocation = await findAllocation(o.endAt);
  const launcher = new Launcher({
    client: new DaemonClient({
      base: o.url,
      others: o.urls.slice(1),
      token: o.token,
      ca,
      onSwitch: (from, to, why) => console.error(`bl-launcher ${o.name}: ${why}; moving to the daemon at ${to}`),
    }),
    name: o.name,
    host: hostname(),
    slots: o.slots,
    stateDir: o.stateDir,
    exitWhenEmpty: o.exitWhenEmpty,
    killGraceMs: o.killGraceMs,
    allocation,
    endMarginMs: o.endMarginMs,
    idleExitMs: o.idleExitMs,
    // A job whose launcher died would finish unobserved while the daemon runs it again
    // elsewhere: the helpers kill it when this process goes without a word.
    spawner: new HelperSpawner(helperPrograms(spawner), { onEof: 'kill' }),
    log: (l) => console.error(l),
  });
  process.on('SIGINT', () => launcher.stop('SIGINT'));
  // In an allocation SIGTERM is its end (scancel, Slurm's time limit): jobs go back to the queue
  // now, before Slurm's SIGKILL; outside one it is a graceful stop.
  process.on('SIGTERM', () => (allocation ? launcher.end('SIGTERM') : launcher.stop('SIGTERM')));
  // Slurm's warning before the end (sbatch --signal=B:USR2@<margin>).
  process.on('SIGUSR2', () => launcher.end('SIGUSR2: its end is near'));
  console.error(`bl-launcher ${o.name}: ${o.slots} slot${o.slots === 1 ? '' : 's'}, daemon${o.urls.length > 1 ? `s ${o.urls.join(', ')}` : ` ${o.url}`}, state in ${o.stateDir}`);
  return launcher.run();
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`bl-launcher: ${e.stack ?? e.message}`);
    process.exit(1);
  },
);
