// pm2 for the benchmark: installed with npm into bench/.cache/pm2 (never a dependency of
// the project; a rerun finds it there), run with its own PM2_HOME in the temp dir, and driven
// through its programmatic API (the RPC the CLI makes, without the CLI's Node start-up, which
// is timed separately).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { alive, sleep } from './proc.mjs';

export function ensurePm2(cacheDir) {
  const pkg = path.join(cacheDir, 'node_modules/pm2/package.json');
  if (!existsSync(pkg)) {
    mkdirSync(cacheDir, { recursive: true });
    process.stderr.write(`bench: installing pm2 into ${cacheDir} (once; later runs reuse it)\n`);
    execFileSync('npm', ['install', '--prefix', cacheDir, '--no-audit', '--no-fund', '--no-save', 'pm2'], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return { version: JSON.parse(readFileSync(pkg, 'utf8')).version, bin: path.join(cacheDir, 'node_modules/.bin/pm2'), dir: path.join(cacheDir, 'node_modules/pm2') };
}

const promisify = (fn) => new Promise((resolve, reject) => fn((err, r) => (err ? reject(err instanceof Error ? err : new Error(JSON.stringify(err))) : resolve(r))));

export class Pm2 {
  constructor(install, home) {
    this.install = install;
    this.home = home;
    // pm2 reads PM2_HOME when it is loaded; the env also reaches the CLI and the God daemon.
    process.env.PM2_HOME = home;
    process.env.PM2_SILENT = 'true';
    const req = createRequire(path.join(install.dir, 'index.js'));
    const PM2 = req(install.dir);
    this.api = new PM2.custom({ pm2_home: home, daemon_mode: true });
    this.connected = false;
  }

  /** Connects, which spawns the God daemon (detached, pid in PM2_HOME/pm2.pid). */
  async start() {
    await promisify((cb) => this.api.connect(cb));
    this.connected = true;
  }

  get pid() {
    try {
      return Number(readFileSync(path.join(this.home, 'pm2.pid'), 'utf8'));
    } catch {
      return undefined;
    }
  }

  /** Starts an app of `instances` copies of `sleep <token>` in fork mode. */
  startApp(name, token, instances, extra = {}) {
    const opts = {
      name,
      script: 'sleep',
      args: [token],
      exec_mode: 'fork',
      instances,
      autorestart: true,
      out_file: '/dev/null',
      error_file: '/dev/null',
      ...extra,
    };
    return promisify((cb) => this.api.start(opts, cb));
  }

  deleteApp(name) {
    return promisify((cb) => this.api.delete(name, cb));
  }

  /** The CLI, as a user types it (`pm2 start ...`); resolves when the CLI exits. */
  cli(args) {
    return new Promise((resolve, reject) => {
      const p = spawn(this.install.bin, args, { stdio: 'ignore', env: { ...process.env, PM2_HOME: this.home } });
      p.on('error', reject);
      p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`pm2 ${args.join(' ')}: exit ${code}`))));
    });
  }

  async stop() {
    const pid = this.pid;
    if (this.connected) {
      try {
        await Promise.race([promisify((cb) => this.api.killDaemon(cb)), sleep(15000)]);
      } catch {
        // fall through to the signal below
      }
      try {
        this.api.disconnect();
      } catch {
        // already gone
      }
      this.connected = false;
    }
    if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
  }
}
