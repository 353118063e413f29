// Real bl-launcher processes for tests, and a small API client that carries a token (the
// network-namespace tests run the daemon on a non-loopback address, which needs auth).
import { spawn } from 'node:child_process';
import type { JobJson } from '../../daemon/contract/types.js';
import { programArgv } from '../helpers/daemon.js';
import { TestProcess } from '../helpers/test-process.js';
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
}

/** A running bl-launcher; everything it prints, stdout and stderr, is in `err`. */
export type TestLauncher = TestProcess;

export function startLauncher(o: LauncherStart): TestLauncher {
  const args = [...programArgv('daemon/launcher/main'), o.url, '-x', String(o.slots ?? 1), '--name', o.name, '--state-dir', o.stateDir, '--kill-grace', '500'];
  if (o.token) args.push('--token', o.token);
  args.push(...(o.extra ?? []));
  const [file, argv] = o.netns ? ['ip', ['netns', 'exec', o.netns, process.execPath, ...args]] : [process.execPath, args];
  return new TestProcess(spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BL_TOKEN: '' } }), { stdoutInto: 'err' });
}

export class Api {
  constructor(
    readonly url: string,
    readonly token?: string,
  ) {}

  async call(method: string, p: string, body?: unknown): Promise<{ status: number; json: any; text: string }> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(this.url + p, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text };
  }

  async ok(method: string, p: string, body?: unknown): Promise<any> {
    const r = await this.call(method, p, body);
    if (r.status >= 300) throw new Error(`${method} ${p} → ${r.status}: ${r.text}`);
    return r.json;
  }

  job(id: string): Promise<JobJson> {
    return this.ok('GET', `/jobs/${id}`);
  }

  async submit(job: Record<string, unknown>): Promise<JobJson> {
    return this.ok('POST', '/jobs', job);
  }

  waitJob(id: string, what: string, pred: (j: JobJson) => boolean, timeout = 20000): Promise<JobJson> {
    return waitFor(`job ${id} ${what}`, async () => {
      const j = await this.job(id);
      return pred(j) ? j : undefined;
    }, { timeout, interval: 50 });
  }

  /** Waits until the daemon lists these launchers as connected. */
  waitLaunchers(names: string[], timeout = 20000): Promise<void> {
    return waitFor(`launchers ${names.join(', ')} to be listed`, async () => {
      const b = await this.ok('GET', '/broker');
      const have = new Set((b.launchers as { name: string }[]).map((l) => l.name));
      return names.every((n) => have.has(n)) || undefined;
    }, { timeout }).then(() => undefined);
  }
}
