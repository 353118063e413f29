// Starts a real bl-daemon process on free ports in a temp dir, for integration tests.
// Runs the compiled daemon when the test itself runs from dist/, else the source via tsx.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.js';
import { TestProcess, type ExitInfo } from './test-process.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fromDist = here.includes(`${path.sep}dist${path.sep}`);
export const repoRoot = fromDist ? path.resolve(here, '../../..') : path.resolve(here, '../..');

/**
 * The command that runs a program of ours as its bin runs: the Node flags of its
 * `#!/usr/bin/env -S node …` line (bl-daemon's young-generation size), then
 * `dist/<prog>.js`, or `--import tsx <prog>.ts` from source.
 */
export function programArgv(rel: string): string[] {
  const file = fromDist ? path.join(repoRoot, 'dist', rel + '.js') : path.join(repoRoot, rel + '.ts');
  const flags = /^#!\S*env -S node(.*)$/.exec(readFileSync(file, 'utf8').split('\n', 1)[0]!)?.[1]?.trim().split(/\s+/).filter(Boolean) ?? [];
  return fromDist ? [...flags, file] : [...flags, '--import', import.meta.resolve('tsx'), file];
}

export interface Ready {
  pid: number;
  url: string;
  port: number;
  keepalive: string;
  events: string;
  stateDir: string;
}

export interface StartOptions {
  /** Config object; merged over test defaults (ports 0, state_dir in the temp dir). */
  config?: Record<string, unknown>;
  /** Use this config file as is (e.g. a seed file); ports and state dir then come from it. */
  configFile?: string;
  /** Extra daemon argv. */
  args?: string[];
  env?: Record<string, string>;
  /** Node flags before the daemon's own (a bench's --cpu-prof, which NODE_OPTIONS refuses). */
  nodeArgs?: string[];
  /** Reuse a temp dir (to restart a daemon on the same state). */
  dir?: string;
  /** Send this token (`Authorization: Bearer`) with every request()/api() call that sets no
   * Authorization of its own. Opt-in: without it a request carries no credentials. */
  clientToken?: string;
}

export class TestDaemon extends TestProcess {
  ready!: Ready;

  constructor(
    proc: ChildProcess,
    readonly dir: string,
    readonly configFile: string | undefined,
    readonly options: StartOptions,
  ) {
    super(proc);
  }

  get url(): string {
    return this.ready.url;
  }
  get pid(): number {
    return this.proc.pid!;
  }

  async request(method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string; json: any; headers: Headers }> {
    const token = this.options.clientToken;
    const init: RequestInit = { method, headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      if (typeof body !== 'string') (init.headers as Record<string, string>)['Content-Type'] = 'application/json';
    }
    const res = await fetch(this.url + p, init);
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, text, json, headers: res.headers };
  }

  /** GET/POST with Accept: application/json; returns the parsed body, throws on non-2xx. */
  async api(method: string, p: string, body?: unknown): Promise<any> {
    const r = await this.request(method, p, body, { Accept: 'application/json' });
    if (r.status >= 300) throw new Error(`${method} ${p} → ${r.status}: ${r.text}`);
    return r.json;
  }

  /** SIGINT (or `signal`), wait for the exit (SIGKILL after 30 s); returns how it exited. */
  async stop(signal: NodeJS.Signals = 'SIGINT'): Promise<ExitInfo> {
    if (!this.exitInfo) this.proc.kill(signal);
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 30000);
    const r = await this.exited;
    clearTimeout(t);
    return r;
  }

  /** A new daemon on the same temp dir, config and state. */
  restart(extra: Partial<StartOptions> = {}): Promise<TestDaemon> {
    return startDaemon({ ...this.options, ...extra, dir: this.dir });
  }

  /** Kills it if it still runs; removes the temp dir. */
  override cleanup(): void {
    super.cleanup();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function startDaemon(options: StartOptions = {}): Promise<TestDaemon> {
  const dir = options.dir ?? mkdtempSync(path.join(tmpdir(), 'bl-test-'));
  let configFile = options.configFile;
  if (!configFile) {
    configFile = path.join(dir, 'config.json');
    const config = {
      port: 0,
      state_dir: path.join(dir, 'state'),
      ...options.config,
      keepalives: { inbound_port: 0, internal_port: 0, ...((options.config?.keepalives as object) ?? {}) },
    };
    writeFileSync(configFile, JSON.stringify(config, null, 2));
  }
  const proc = spawn(process.execPath, [...(options.nodeArgs ?? []), ...programArgv('daemon/main'), `-conf=${configFile}`, ...(options.args ?? [])], {
    cwd: dir,
    env: { ...process.env, BL_TEST: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const d = new TestDaemon(proc, dir, configFile, options);
  try {
    const line = await waitFor(
      'the daemon to print its ready line',
      () => {
        if (d.exitInfo) throw new Error(`daemon exited ${JSON.stringify(d.exitInfo)} before ready; stderr: ${d.err}`);
        return /^bl-daemon ready (\{.*\})$/m.exec(d.out)?.[1];
      },
      { timeout: 20000 },
    );
    d.ready = JSON.parse(line);
  } catch (e) {
    proc.kill('SIGKILL');
    throw new Error(`${(e as Error).message}\nstdout: ${d.out}\nstderr: ${d.err}`);
  }
  return d;
}
