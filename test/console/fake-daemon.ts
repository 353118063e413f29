// A small in-memory stand-in for bl-daemon's HTTP API, for the Ink and completion tests
// (fast, no processes). The end-to-end console tests talk to a real daemon (test/helpers/in-process.ts).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JobJson, TaskJson } from '../../contract/types.js';

export interface FakeDaemon {
  url: string;
  host: string;
  tasks: Map<string, { running: boolean; cardinality: number }>;
  jobs: JobJson[];
  requests: string[];
  close(): Promise<void>;
}

function task(name: string, t: { running: boolean; cardinality: number }): TaskJson {
  return {
    name, running: t.running, state: t.running ? 'running' : 'stopped', cmd: '/bin/sleep', args: ['1000'],
    cardinality: t.cardinality, active: t.running ? t.cardinality : 0, dead: 0, started_at: null, last_alive_at: null,
    stall_timeout: 0, grace_period: 100, counters: { stalled: 0, exited_ok: 0, exited_error: 0, stopped: 0, restarts: 0 },
    next_start_at: null, workers: [], usage: null, last_exit: null,
  };
}

export function fakeJob(id: string, state: JobJson['state'], command = 'sleep 1'): JobJson {
  return {
    id, command, argv: null, http: null, cwd: '/tmp', env: {}, queue: 'normal', timeout: null, idle_cpu: null, retries: 0,
    key: null, labels: {}, params: null, state, attempt: 1, launcher: null, host: null, pid: null,
    submitted_at: new Date().toISOString(), started_at: null, finished_at: null, exit_code: null, signal: null, usage: null, reason: null,
  };
}

export async function startFakeDaemon(names: string[] = ['Task', 'Tally', 'Other']): Promise<FakeDaemon> {
  const tasks = new Map(names.map((n) => [n, { running: true, cardinality: 1 }]));
  const jobs: JobJson[] = [];
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const textReply = (body: string) => res.writeHead(200, { 'content-type': 'text/plain' }).end(body + '\n');
    const p = url.pathname;
    let m: RegExpExecArray | null;
    if (p === '/healthz') return json(200, { ok: true });
    // A daemon that never answers this one (Ctrl-C while waiting).
    if (p === '/tasks/Hang') return;
    if (p === '/list') return json(200, { tasks: [...tasks].map(([name, t]) => ({ name, running: t.running })) });
    if (p === '/tasks') return json(200, { tasks: [...tasks].filter(([, t]) => t.running).map(([n, t]) => task(n, t)) });
    if ((m = /^\/tasks\/([^/]+)\/set\/cardinality\/(\d+)$/.exec(p)) && req.method === 'POST') {
      const t = tasks.get(decodeURIComponent(m[1]!));
      if (!t) return json(404, { error: { code: 'unknown_task', message: `no task named ${m[1]}` } });
      t.cardinality = Number(m[2]);
      return textReply('Changed workers cardinality');
    }
    if (p === '/broker') {
      const running = jobs.filter((j) => j.state === 'running').length;
      const pending = jobs.filter((j) => j.state === 'pending').length;
      return json(200, { concurrency: 2, urgent_bypass: false, paused: false, running, pending, pending_urgent: 0, counts: {}, launchers: [] });
    }
    if (p === '/jobs' && req.method === 'GET') {
      const state = url.searchParams.get('state');
      const chosen = jobs.filter((j) => !state || j.state === state || (state === 'completed' && !['pending', 'running'].includes(j.state)));
      return json(200, { jobs: chosen, next: null });
    }
    return json(404, { error: { code: 'not_found', message: `no route for ${req.method} ${p}` } });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    tasks,
    jobs,
    requests,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
