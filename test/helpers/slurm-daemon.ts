// A bl-daemon with `broker.slurm` over the real one-node Slurm (slurm.ts), for the tests of what
// users see of allocations (the console, the dashboard): the daemon in this process
// (in-process.ts), its Slurm commands counted (slurm-wrappers.ts), and the verbs those tests
// need: submit and cancel allocations as a user would, wait for what Slurm makes of them, drain
// the partition (sbatch then fails as on a cluster under maintenance), take the block out of the
// config or put it back with a reload.
//
// By default one pilot fills the node (cpus_per_launcher = the node's CPUs): one allocation
// runs, the next ones wait in Slurm's queue (Resources) until it ends, which gives a test pending
// and running allocations side by side. Pilots idle for an hour, so one stays until cancelled.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AllocationJson, AllocationsJson } from '../../contract/types.js';
import { submit, waitState } from './jobs.js';
import { startInProcess, type InProcessDaemon } from './in-process.js';
import { startSlurm, type Slurm } from './slurm.js';
import { slurmWrappers, type SlurmWrappers } from './slurm-wrappers.js';
import { waitFor } from './wait.js';

export interface SlurmDaemonOptions {
  /** CPUs of the node (2); the default pilot asks for all of them. */
  cpus?: number;
  /** Slurm's first job id (4001): the allocations' ids, known beforehand. */
  firstJobId?: number;
  /** broker.slurm keys over the defaults below. */
  slurm?: Record<string, unknown>;
  /** broker keys beside `slurm` (concurrency 2, local_slots 0). */
  broker?: Record<string, unknown>;
  /** Start with broker.slurm (true) or without it, to be added by `reload(true)`. */
  withSlurm?: boolean;
}

export interface SlurmDaemon {
  slurm: Slurm;
  d: InProcessDaemon;
  /** host:port, for bl-console's -host=. */
  host: string;
  calls: SlurmWrappers;
  list(): Promise<AllocationsJson>;
  get(id: string): Promise<AllocationJson | undefined>;
  /** POST /broker/allocations: the new allocations' ids. */
  add(count?: number): Promise<string[]>;
  /** Waits until allocation `id` is as `want` says; returns it. */
  waitFor(id: string, what: string, want: (a: AllocationJson) => boolean, timeout?: number): Promise<AllocationJson>;
  /** Waits until the allocation runs with its launcher connected. */
  waitConnected(id: string): Promise<AllocationJson>;
  /** The partition refuses new jobs (sbatch fails: "Required partition not available") or takes them again. */
  drain(): void;
  undrain(): void;
  /**
   * What an operator meets mid-run: one allocation running with its launcher connected and one
   * job run on it, the next queued in Slurm (with Slurm's reason), a third cancelled while queued.
   */
  scene(): Promise<Scene>;
  /** Rewrites the config with or without broker.slurm and reloads it (POST /config/reload). */
  reload(withSlurm: boolean): Promise<void>;
  stop(): Promise<void>;
}

export interface Scene {
  running: string;
  pending: string;
  ended: string;
}

export async function startSlurmDaemon(o: SlurmDaemonOptions = {}): Promise<SlurmDaemon> {
  const cpus = o.cpus ?? 2;
  const slurm = await startSlurm({ cpus, firstJobId: o.firstJobId ?? 4001 });
  const dir = mkdtempSync(path.join(tmpdir(), 'bl-test-'));
  const calls = slurmWrappers(dir);
  const slurmBlock = {
    slots_per_launcher: 1,
    cpus_per_launcher: cpus,
    max_launchers: 8,
    poll_interval: 1,
    time_limit: '50:00',
    idle_exit: 3600,
    ...o.slurm,
    env: { ...slurm.env, PATH: calls.path, ...(o.slurm?.env as object | undefined) },
  };
  const config = (withSlurm: boolean) => ({ broker: { concurrency: 2, local_slots: 0, ...o.broker, ...(withSlurm ? { slurm: slurmBlock } : {}) } });
  let d: InProcessDaemon;
  try {
    d = await startInProcess({ dir, config: config(o.withSlurm ?? true) });
  } catch (e) {
    await slurm.stop();
    throw e;
  }
  const list = (): Promise<AllocationsJson> => d.api('GET', '/broker/allocations');
  const get = async (id: string) => (await list()).allocations.find((a) => a.id === id);
  const wait = (id: string, what: string, want: (a: AllocationJson) => boolean, timeout = 60_000) =>
    waitFor(`allocation ${id} ${what}`, async () => {
      const a = await get(id);
      return a && want(a) ? a : undefined;
    }, { timeout, interval: 200 });
  const partition = (state: string) => slurm.run('scontrol', ['update', `PartitionName=${slurm.partition}`, `State=${state}`]);
  const add = async (count = 1) => {
    const r = await d.request('POST', '/broker/allocations', { count }, { Accept: 'application/json' });
    if (r.status !== 201) throw new Error(`POST /broker/allocations: ${r.status} ${r.text}`);
    return (JSON.parse(r.text) as AllocationsJson).allocations.map((a) => a.id);
  };
  return {
    slurm,
    d,
    host: new URL(d.url).host,
    calls,
    list,
    get,
    add,
    waitFor: wait,
    waitConnected: (id) => wait(id, 'to run with its launcher connected', (a) => a.state === 'running' && a.connected),
    async scene() {
      const [running] = await add();
      await wait(running!, 'to run with its launcher connected', (a) => a.state === 'running' && a.connected);
      const [job] = await submit(d, { command: 'true', cwd: dir });
      await waitState(d, job!.id, 'succeeded', 60_000);
      const [pending, ended] = await add(2);
      const r = await d.request('DELETE', `/broker/allocations/${ended}`);
      if (r.status !== 200) throw new Error(`DELETE /broker/allocations/${ended}: ${r.status} ${r.text}`);
      await wait(pending!, "to show why Slurm keeps it queued", (a) => a.state === 'pending' && a.reason !== null);
      return { running: running!, pending: pending!, ended: ended! };
    },
    drain: () => void partition('DRAIN'),
    undrain: () => void partition('UP'),
    async reload(withSlurm) {
      writeFileSync(d.config.file!, JSON.stringify({ port: 0, state_dir: d.config.stateDir, ...config(withSlurm), keepalives: { inbound_port: 0, internal_port: 0 } }, null, 2));
      const r = await d.request('POST', '/config/reload');
      if (r.status !== 200) throw new Error(`POST /config/reload: ${r.status} ${r.text}`);
    },
    async stop() {
      try {
        await d.cleanup();
      } finally {
        await slurm.stop();
      }
    },
  };
}
