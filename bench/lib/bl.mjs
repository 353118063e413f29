// Starts the compiled bl-daemon (dist/daemon/main.js) as a child process with a config in a
// temp dir, and talks to it over HTTP. The benchmark never imports the daemon's code: it
// measures the program as a user runs it.
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { alive, sleep } from './proc.mjs';
import { programArgv } from '../../dist/test/helpers/daemon.js';

export class BlDaemon {
  constructor(dir) {
    this.dir = dir;
    this.proc = undefined;
    this.ready = undefined;
    this.errFile = path.join(dir, 'bl-daemon.stderr');
    // Kept-alive connections, so request latencies are the daemon's, not TCP set-ups.
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    this.lastUse = 0;
  }

  get pid() {
    return this.ready?.pid;
  }

  async start(tasks) {
    const conf = path.join(this.dir, 'bl.json');
    writeFileSync(
      conf,
      JSON.stringify({ port: 0, state_dir: path.join(this.dir, 'state'), keepalives: { inbound_port: 0, internal_port: 0 }, tasks }, null, 2),
    );
    const err = openSync(this.errFile, 'a');
    // As the bin runs it (its shebang's Node flags), the way the tests start it too.
    this.proc = spawn(process.execPath, [...programArgv('daemon/main'), `-conf=${conf}`], {
      cwd: this.dir,
      stdio: ['ignore', 'pipe', err],
    });
    closeSync(err);
    this.exited = new Promise((r) => this.proc.once('exit', (code, signal) => r({ code, signal })));
    // The first stdout line carries the real ports: `bl-daemon ready {json}`.
    this.ready = await new Promise((resolve, reject) => {
      let buf = '';
      const timer = setTimeout(() => reject(new Error(`bl-daemon not ready after 15 s; stderr:\n${this.stderr()}`)), 15000);
      this.proc.stdout.setEncoding('utf8').on('data', (d) => {
        buf += d;
        const m = /^bl-daemon ready (\{.*\})$/m.exec(buf);
        if (m) {
          clearTimeout(timer);
          resolve(JSON.parse(m[1]));
        }
      });
      this.proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`bl-daemon exited (${code}) before it was ready; stderr:\n${this.stderr()}`));
      });
    });
    this.url = new URL(this.ready.url);
    return this.ready;
  }

  stderr() {
    try {
      return readFileSync(this.errFile, 'utf8').slice(-4000);
    } catch {
      return '';
    }
  }

  /**
   * One JSON request; resolves with {status, body}. The daemon closes a connection idle for
   * 5 s (keepAliveTimeout), and reusing one just as it closes fails with ECONNRESET: after
   * 2 s idle we start afresh, and a reset before any reply is retried once (every request
   * the bench makes can be repeated: GETs, and POSTs that set a value).
   */
  async request(method, p) {
    if (Date.now() - this.lastUse > 2000) {
      this.agent.destroy();
      this.agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    }
    try {
      return await this.once(method, p);
    } catch (e) {
      if (e.code !== 'ECONNRESET') throw e;
      return this.once(method, p);
    } finally {
      this.lastUse = Date.now();
    }
  }

  once(method, p) {
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: this.url.hostname, port: this.url.port, path: p, method, agent: this.agent, headers: { Accept: 'application/json' } },
        (res) => {
          let data = '';
          res.setEncoding('utf8').on('data', (d) => (data += d));
          res.on('end', () => {
            let body = data;
            try {
              body = JSON.parse(data);
            } catch {
              // a text reply: keep it as is
            }
            resolve({ status: res.statusCode, body });
          });
        },
      );
      // Long: a large scale-down is answered only once every worker was signalled.
      req.setTimeout(180000, () => req.destroy(new Error(`${method} ${p}: no reply in 180 s`)));
      req.on('error', reject);
      req.end();
    });
  }

  async api(method, p) {
    const r = await this.request(method, p);
    if (r.status >= 400) throw new Error(`${method} ${p}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  /** SIGINT (graceful: the daemon stops its workers), SIGKILL after `limitMs`. */
  async stop(limitMs = 20000) {
    this.agent.destroy();
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill('SIGINT');
    const t = setTimeout(() => {
      if (alive(this.proc.pid)) this.proc.kill('SIGKILL');
    }, limitMs);
    await this.exited;
    clearTimeout(t);
    await sleep(0);
  }
}
