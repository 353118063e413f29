// A real one-node Slurm for tests: munged, slurmctld and slurmd (Debian's packages) started as
// this process's children in a temp dir, on free ports, with a slurm.conf of their own
// (proctrack/linuxproc, task/none: no cgroups; no accounting daemon), and stopped after.
// Every Slurm command a test or the daemon runs needs SLURM_CONF (`env`).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { freePort } from './net.js';
import { alive, pidsWithEnv } from './proc.js';
import { waitFor } from './wait.js';

export interface Slurm {
  dir: string;
  /** SLURM_CONF (and the munge socket it names): what every Slurm command needs. */
  env: Record<string, string>;
  node: string;
  partition: string;
  /** Runs a Slurm command (sbatch, squeue, scontrol…) against this cluster; its stdout. */
  run(cmd: string, args: string[]): string;
  stop(): Promise<void>;
}

export interface SlurmOptions {
  /** CPUs of the one node (2). */
  cpus?: number;
  /** The first job id Slurm gives (1): ids a test can name beforehand. */
  firstJobId?: number;
}

export async function startSlurm(o: SlurmOptions = {}): Promise<Slurm> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bl-slurm-'));
  const node = hostname().split('.')[0]!;
  const partition = 'debug';
  const children: ChildProcess[] = [];
  const pidFiles = ['munged.pid', 'ctld.pid', 'd.pid'].map((f) => path.join(dir, f));
  const conf = path.join(dir, 'slurm.conf');
  const stop = async () => {
    // Jobs first, while slurmctld and munged still hear of their end: a job's slurmstepd (not our
    // child) whose end no controller acknowledges retries for ever, and keeps slurmd up.
    if (existsSync(conf)) {
      const env = { ...process.env, SLURM_CONF: conf };
      spawnSync('scancel', ['-u', userInfo().username], { env });
      await waitFor('the test cluster to have no job left', () => spawnSync('squeue', ['-h', '-o', '%i'], { env, encoding: 'utf8' }).stdout.trim() === '', { timeout: 30_000, interval: 200 }).catch(
        () => undefined,
      );
    }
    // Then slurmd, slurmctld, munged, each gone before the next.
    for (const [i, f] of [...pidFiles.entries()].reverse()) {
      const pid = existsSync(f) ? Number(readFileSync(f, 'utf8').trim()) : 0;
      if (pid > 0 && alive(pid)) process.kill(pid, 'SIGTERM');
      const c = children[i];
      if (c && c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
      await waitFor(`${path.basename(f, '.pid')} to stop`, () => !c || c.exitCode !== null || c.signalCode !== null, { timeout: 15_000 }).catch(() => c?.kill('SIGKILL'));
    }
    // A step daemon left over all the same is this cluster's: it carries its SLURM_CONF.
    for (const pid of pidsWithEnv('SLURM_CONF', conf)) if (pid !== process.pid) process.kill(pid, 'SIGKILL');
    await waitFor('Slurm and munge to stop', () => children.every((c) => c.exitCode !== null || c.signalCode !== null));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const d of ['state', 'spool']) mkdirSync(path.join(dir, d));
    const sock = path.join(dir, 'munge.sock');
    // munged daemonizes itself unless told not to: --foreground keeps it our child.
    children.push(
      spawn('/usr/sbin/munged', ['--foreground', '--force', `--socket=${sock}`, `--pid-file=${pidFiles[0]}`, `--log-file=${path.join(dir, 'munge.log')}`, `--seed-file=${path.join(dir, 'munge.seed')}`], { stdio: 'ignore' }),
    );
    await waitFor('munged to listen', () => existsSync(sock));
    const [ctldPort, dPort] = [await freePort(), await freePort()];
    writeFileSync(
      conf,
      [
        'ClusterName=bltest',
        `SlurmctldHost=${node}`,
        'SlurmUser=root',
        'SlurmdUser=root',
        'AuthType=auth/munge',
        `AuthInfo=socket=${sock}`,
        `StateSaveLocation=${path.join(dir, 'state')}`,
        `SlurmdSpoolDir=${path.join(dir, 'spool')}`,
        `SlurmctldPidFile=${pidFiles[1]}`,
        `SlurmdPidFile=${pidFiles[2]}`,
        `SlurmctldPort=${ctldPort}`,
        `SlurmdPort=${dPort}`,
        'ProctrackType=proctrack/linuxproc',
        'TaskPlugin=task/none',
        'SchedulerType=sched/backfill',
        'SelectType=select/cons_tres',
        'SelectTypeParameters=CR_Core',
        'ReturnToService=2',
        // Time limits are checked (and signals sent) at this granularity, in seconds.
        'KillWait=5',
        'MessageTimeout=10',
        `SlurmctldLogFile=${path.join(dir, 'ctld.log')}`,
        `SlurmdLogFile=${path.join(dir, 'd.log')}`,
        'JobCompType=jobcomp/none',
        'AccountingStorageType=accounting_storage/none',
        'MpiDefault=none',
        `FirstJobId=${o.firstJobId ?? 1}`,
        `NodeName=${node} CPUs=${o.cpus ?? 2} RealMemory=2000 State=UNKNOWN`,
        `PartitionName=${partition} Nodes=${node} Default=YES MaxTime=INFINITE State=UP`,
        '',
      ].join('\n'),
    );
    const env = { SLURM_CONF: conf };
    const childEnv = { ...process.env, ...env };
    children.push(spawn('/usr/sbin/slurmctld', ['-D', '-i'], { env: childEnv, stdio: 'ignore' }));
    children.push(spawn('/usr/sbin/slurmd', ['-D'], { env: childEnv, stdio: 'ignore' }));
    const run = (cmd: string, args: string[]) => {
      const r = spawnSync(cmd, args, { env: childEnv, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr.trim()}`);
      return r.stdout;
    };
    await waitFor('the Slurm node to be idle', () => {
      try {
        return /\bidle\b/.test(run('sinfo', ['-h', '-N', '-o', '%T']));
      } catch {
        return false;
      }
    }, { timeout: 30_000, interval: 200 });
    return { dir, env, node, partition, run, stop };
  } catch (e) {
    await stop().catch(() => undefined);
    throw e;
  }
}
