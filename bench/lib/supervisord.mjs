// Runs Debian's supervisord in the foreground (-n) as our child, with its own config, socket
// and logs in a temp dir, and drives it over XML-RPC on its unix socket: the same calls
// supervisorctl makes, without the Python start-up of the CLI (timed separately).
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { alive, sleep } from './proc.mjs';

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');

function xmlValue(v) {
  if (typeof v === 'boolean') return `<boolean>${v ? 1 : 0}</boolean>`;
  if (typeof v === 'number') return `<int>${v}</int>`;
  return `<string>${esc(v)}</string>`;
}

export class Supervisord {
  constructor(dir) {
    this.dir = dir;
    this.conf = path.join(dir, 'supervisord.conf');
    this.sock = path.join(dir, 'supervisor.sock');
    this.proc = undefined;
  }

  get pid() {
    return this.proc?.pid;
  }

  /**
   * `programs`: {name: {token, numprocs, autostart, extra}}. Output goes nowhere (NONE), so
   * no log file per process is opened: bl, by contrast, appends all of a task's output to
   * one file, and pm2 writes to /dev/null here.
   */
  async start(programs) {
    const lines = [
      '[unix_http_server]',
      `file=${this.sock}`,
      '[supervisord]',
      `logfile=${path.join(this.dir, 'supervisord.log')}`,
      `pidfile=${path.join(this.dir, 'supervisord.pid')}`,
      `childlogdir=${this.dir}`,
      'loglevel=warn',
      // minfds and minprocs stay at their defaults (1024, 200): the soft limits here are higher
      // anyway, and supervisord closes fds 3..minfds in Python in every child it forks, so a
      // large minfds (16384) made each spawn ~16 ms slower.
      '[rpcinterface:supervisor]',
      'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface',
      '[supervisorctl]',
      `serverurl=unix://${this.sock}`,
    ];
    for (const [name, p] of Object.entries(programs)) {
      lines.push(
        `[program:${name}]`,
        `command=sleep ${p.token}`,
        `autostart=${p.autostart ? 'true' : 'false'}`,
        'autorestart=true',
        'stdout_logfile=NONE',
        'stderr_logfile=NONE',
        'stopwaitsecs=10',
      );
      if (p.numprocs > 1) lines.push(`numprocs=${p.numprocs}`, 'process_name=%(program_name)s_%(process_num)04d');
      for (const [k, v] of Object.entries(p.extra ?? {})) lines.push(`${k}=${v}`);
    }
    writeFileSync(this.conf, lines.join('\n') + '\n');
    const out = openSync(path.join(this.dir, 'supervisord.out'), 'a');
    this.proc = spawn('/usr/bin/supervisord', ['-n', '-c', this.conf], { cwd: this.dir, stdio: ['ignore', out, out] });
    closeSync(out);
    this.exited = new Promise((r) => this.proc.once('exit', (code, signal) => r({ code, signal })));
    const t0 = Date.now();
    for (;;) {
      try {
        const r = await this.call('supervisor.getState');
        if (/RUNNING/.test(r)) return;
      } catch {
        // socket not there yet
      }
      if (this.proc.exitCode !== null) throw new Error(`supervisord exited: ${this.log()}`);
      if (Date.now() - t0 > 15000) throw new Error(`supervisord not ready after 15 s: ${this.log()}`);
      await sleep(20);
    }
  }

  log() {
    try {
      return readFileSync(path.join(this.dir, 'supervisord.out'), 'utf8').slice(-3000) + readFileSync(path.join(this.dir, 'supervisord.log'), 'utf8').slice(-3000);
    } catch {
      return '(no log)';
    }
  }

  /** One XML-RPC call; resolves with the raw response XML, rejects on a fault. */
  call(method, ...params) {
    const body = `<?xml version="1.0"?><methodCall><methodName>${method}</methodName><params>${params
      .map((p) => `<param><value>${xmlValue(p)}</value></param>`)
      .join('')}</params></methodCall>`;
    return new Promise((resolve, reject) => {
      const req = http.request(
        { socketPath: this.sock, path: '/RPC2', method: 'POST', headers: { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(body) } },
        (res) => {
          let data = '';
          res.setEncoding('utf8').on('data', (d) => (data += d));
          res.on('end', () => (/<fault>/.test(data) ? reject(new Error(`${method}: ${data.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ')}`)) : resolve(data)));
        },
      );
      req.setTimeout(60000, () => req.destroy(new Error(`${method}: no reply in 60 s`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  /** SIGTERM: supervisord stops its children and exits; SIGKILL after `limitMs`. */
  async stop(limitMs = 20000) {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => {
      if (alive(this.proc.pid)) this.proc.kill('SIGKILL');
    }, limitMs);
    await this.exited;
    clearTimeout(t);
  }
}
