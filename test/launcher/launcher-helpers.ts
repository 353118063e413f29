// Real bl-launcher processes for tests. (To talk to a daemon that needs a token, start it with
// startDaemon's `clientToken`.)
import { spawn } from 'node:child_process';
import { programArgv } from '../helpers/daemon.js';
import { TestProcess } from '../helpers/test-process.js';

export interface LauncherStart {
  url: string;
  name: string;
  slots?: number;
  stateDir: string;
  token?: string;
  /** Run inside this network namespace (`ip netns exec`). */
  netns?: string;
  extra?: string[];
}

/** A running bl-launcher; everything it prints, stdout and stderr, is in `err`. */
export type TestLauncher = TestProcess;

export function startLauncher(o: LauncherStart): TestLauncher {
  const args = [...programArgv('launcher/main'), o.url, '-x', String(o.slots ?? 1), '--name', o.name, '--state-dir', o.stateDir, '--kill-grace', '500'];
  if (o.token) args.push('--token', o.token);
  args.push(...(o.extra ?? []));
  const [file, argv] = o.netns ? ['ip', ['netns', 'exec', o.netns, process.execPath, ...args]] : [process.execPath, args];
  return new TestProcess(spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BL_TOKEN: '' } }), { stdoutInto: 'err' });
}
