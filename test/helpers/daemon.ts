// Starts a real bl-daemon process on free ports in a temp dir, for what only a process shows:
// signals, crashes (kill -9), its start-up and exit, what it prints. Everything else starts
// the daemon in the test's own process (in-process.ts). Runs the compiled daemon when the test
// itself runs from dist/, else the source via tsx.
import { removeLeftovers } from '../../proc/cgroup/setup.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.js';
import { TestProcess, type ExitInfo } from './test-process.js';
import { api, request, type Client, type Reply } from './client.js';

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

/** The config file a test daemon runs with: `options.config` over ports 0 and a state dir in `dir`. */
export function writeTestConfig(dir: string, options: StartOptions): string {
  if (options.configFile) return options.configFile;
  const configFile = path.join(dir, 'config.json');
  const config = {
    port: 0,
    state_dir: path.join(dir, 'state'),
    ...options.config,
    keepalives: { inbound_port: 0, internal_port: 0, ...((options.config?.keepalives as object) ?? {}) },
  };
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  return configFile;
}

export class TestDaemon extends TestProcess implements Client {
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

  request(method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    return request(this.url, this.options.clientToken, method, p, body, headers);
  }

  /** GET/POST with Accept: application/json; returns the parsed body, throws on non-2xx. */
  api(method: string, p: string, body?: unknown): Promise<any> {
    return api(this, method, p, body);
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

  /** Kills it if it still runs; removes the temp dir and the empty cgroups its daemons left. */
  override cleanup(): void {
    super.cleanup();
    if (this.ready) removeLeftovers(this.ready.stateDir);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function startDaemon(options: StartOptions = {}): Promise<TestDaemon> {
  const dir = options.dir ?? mkdtempSync(path.join(tmpdir(), 'bl-test-'));
  const configFile = writeTestConfig(dir, options);
  const proc = spawn(process.execPath, [...(options.nodeArgs ?? []), ...programArgv('daemon/main'), `-conf=${configFile}`, ...(options.args ?? [])], {
    cwd: dir,
    env: { ...process.env, ...options.env },
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
    await d.exited;
    // What it made of its cgroups before it was killed (those still holding processes stay).
    removeLeftovers(path.resolve(dir, (options.config?.state_dir as string | undefined) ?? 'state'));
    throw new Error(`${(e as Error).message}\nstdout: ${d.out}\nstderr: ${d.err}`);
  }
  return d;
}
