// Real bl-launcher processes for tests. (To talk to a daemon that needs a token, start it with
// the `clientToken` option, in this process or not.)
import { spawn } from 'node:child_process';
import { programArgv } from '../helpers/daemon.js';
import { TestProcess, type ExitInfo } from '../helpers/test-process.js';
import { waitFor } from '../helpers/wait.js';

export interface LauncherStart {
  url: string;
  name: string;
  slots?: number;
  stateDir: string;
  token?: string;
  /** Run inside this network namespace (`ip netns exec`). */
  netns?: string;
  extra?: string[];
  /** Variables on top of this process's environment (SLURM_JOB_ID…). */
  env?: Record<string, string>;
}

/**
 * This process's environment without what would put a launcher in a Slurm allocation (a test
 * run inside a Slurm job): a test says so itself, through `env`.
 */
export function launcherEnv(extra: Record<string, string> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, BL_TOKEN: '' };
  for (const k of Object.keys(env)) if (k.startsWith('SLURM_')) delete env[k];
  return { ...env, ...extra };
}

/** A running bl-launcher; everything it prints, stdout and stderr, is in `err`. */
export type TestLauncher = TestProcess;

export function startLauncher(o: LauncherStart): TestLauncher {
  const args = [...programArgv('launcher/main'), o.url, '-x', String(o.slots ?? 1), '--name', o.name, '--state-dir', o.stateDir, '--kill-grace', '500'];
  if (o.token) args.push('--token', o.token);
  args.push(...(o.extra ?? []));
  const [file, argv] = o.netns ? ['ip', ['netns', 'exec', o.netns, process.execPath, ...args]] : [process.execPath, args];
  return new TestProcess(spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: launcherEnv(o.env) }), { stdoutInto: 'err' });
}

/** How the launcher exited, once it has (polled, up to `timeout`: a launcher that hangs fails the test). */
export async function exitOf(l: TestLauncher, timeout = 20000): Promise<ExitInfo> {
  try {
    return await waitFor('bl-launcher to exit', () => l.exitInfo, { timeout });
  } catch (e) {
    throw new Error(`${(e as Error).message}; it printed:\n${l.err}`);
  }
}
