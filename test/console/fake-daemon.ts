// A small in-memory stand-in for bl-daemon's HTTP API, for the Ink and completion tests
// (fast, no processes) and for what the daemon does not give yet: tasks' CPU, memory and last
// exit, every task's output interleaved (GET /tasks/log), POST /config/reload, job ids by
// prefix or suffix. The end-to-end console tests talk to a real daemon (test/helpers/in-process.ts).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JobJson, TaskJson } from '../../contract/types.js';

export interface FakeTask {
  running: boolean;
  cardinality: number;
  /** Fields of its TaskJson to show instead of the defaults (state, usage, last_exit…). */
  extra?: Partial<TaskJson>;
  /** Its captured output, one entry a line. */
  output?: string[];
}

export interface FakeDaemon {
  url: string;
  host: string;
  tasks: Map<string, FakeTask>;
  jobs: JobJson[];
  requests: string[];
  /** What POST /config/reload answers: the text and JSON of a reload, or a refusal. */
  reload: { status: number; text: string; json: unknown };
  /** It serves GET /tasks/log (false: as a daemon from before that route, a task named "log"). */
  tasksLog: boolean;
  /** Writes a line to every follower of GET /tasks/log and of that task's log. */
  emit(task: string, pid: number, line: string): void;
  close(): Promise<void>;
}

export function fakeTask(name: string, t: FakeTask): TaskJson {
  const workers = t.running
    ? Array.from({ length: t.cardinality }, (_, i) => ({
        task: name, pid: 1000 + i, started_at: '2026-11-23T18:00:00.000Z', last_alive_at: null, state: 'running' as const,
        info: null, adopted: false, usage: null,
      }))
    : [];
  return {
    name, running: t.running, state: t.running ? 'running' : 'stopped', cmd: '/bin/sleep', args: ['1000'],
    cardinality: t.cardinality, active: t.running ? t.cardinality : 0, dead: 0, started_at: null, last_alive_at: null,
    stall_timeout: 0, grace_period: 100, counters: { stalled: 0, exited_ok: 0, exited_error: 0, stopped: 0, restarts: 0 },
    next_start_at: null, workers, usage: null, last_exit: null, requires: [], waiting_for: [], ...t.extra,
  };
}

export function fakeJob(id: string, state: JobJson['state'], command = 'sleep 1'): JobJson {
  return {
    id, command, argv: null, http: null, cwd: '/tmp', env: {}, queue: 'normal', timeout: null, idle_cpu: null, retries: 0,
    key: null, labels: {}, params: null, sweep: null, after: [], after_any: false, log_max_bytes: null, log_keep: null, log_timestamps: false, state, attempt: 1, launcher: null, host: null, pid: null,
    submitted_at: new Date().toISOString(), started_at: null, finished_at: null, exit_code: null, signal: null, usage: null, reason: null, limits: null,
  };
}

/** The daemon's job look-up to come: the full id, a unique case-insensitive prefix, or the 8-character suffix. */
function findJobs(jobs: JobJson[], key: string): JobJson[] {
  const k = key.toUpperCase();
  const exact = jobs.filter((j) => j.id === k);
  if (exact.length) return exact;
  return jobs.filter((j) => j.id.startsWith(k) || (k.length === 8 && j.id.endsWith(k)));
}

export async function startFakeDaemon(names: string[] = ['Task', 'Tally', 'Other']): Promise<FakeDaemon> {
  const tasks = new Map<string, FakeTask>(names.map((n) => [n, { running: true, cardinality: 1 }]));
  const jobs: JobJson[] = [];
  const requests: string[] = [];
  const followers = new Set<{ task?: string; res: http.ServerResponse }>();
  const fake: Omit<FakeDaemon, 'url' | 'host' | 'close'> = {
    tasks, jobs, requests, tasksLog: true,
    reload: { status: 200, text: 'Reloaded /etc/bl.json: added [], removed [], changed []', json: { added: [], removed: [], changed: [] } },
    emit(task, pid, line) {
      tasks.get(task)?.output?.push(line);
      for (const f of followers) {
        if (f.task === undefined) f.res.write(`${task} ${pid} | ${line}\n`);
        else if (f.task === task) f.res.write(`${line}\n`);
      }
    },
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const wantsJson = /json/.test(req.headers.accept ?? '');
    const textReply = (body: string, status = 200) => res.writeHead(status, { 'content-type': 'text/plain' }).end(body + '\n');
    const error = (status: number, code: string, message: string) => (wantsJson ? json(status, { error: { code, message } }) : textReply(`ERROR: ${message}`, status));
    const p = url.pathname;
    const tail = (lines: string[]) => {
      const n = Number(url.searchParams.get('tail') ?? lines.length);
      return n === 0 ? [] : lines.slice(-n);
    };
    const logReply = (lines: string[], task?: string) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write(lines.map((l) => l + '\n').join(''));
      if (url.searchParams.get('follow') !== '1') return res.end();
      const f = { task, res };
      followers.add(f);
      req.on('close', () => followers.delete(f));
    };
    let m: RegExpExecArray | null;
    if (p === '/healthz') return json(200, { ok: true });
    // A daemon that never answers this one (Ctrl-C while waiting).
    if (p === '/tasks/Hang') return;
    if (p === '/list') return json(200, { tasks: [...tasks].map(([name, t]) => ({ name, running: t.running })) });
    if (p === '/tasks') return json(200, { tasks: [...tasks].filter(([, t]) => t.running).map(([n, t]) => fakeTask(n, t)) });
    if (p === '/tasks/log' && fake.tasksLog) {
      const all = [...tasks].flatMap(([n, t]) => (t.output ?? []).map((l) => `${n} 1000 | ${l}`));
      return logReply(tail(all));
    }
    if ((m = /^\/tasks\/([^/]+)(\/.*)?$/.exec(p))) {
      const name = decodeURIComponent(m[1]!);
      const t = tasks.get(name);
      if (!t) return error(404, 'unknown_task', `no task named ${name}`);
      const sub = m[2] ?? '';
      if (sub === '' && req.method === 'GET') return json(200, fakeTask(name, t));
      if (sub === '/list') return json(200, { workers: fakeTask(name, t).workers });
      if (sub === '/log') return logReply(tail(t.output ?? []), name);
      if ((m = /^\/set\/cardinality\/(\d+)$/.exec(sub)) && req.method === 'POST') {
        t.cardinality = Number(m[1]);
        return textReply('Changed workers cardinality');
      }
      if (sub === '/start' && req.method === 'POST') {
        t.running = true;
        return textReply('Started task manager');
      }
      if (sub === '/stop' && req.method === 'POST') {
        t.running = false;
        return textReply(`Stopped ${name} workers`);
      }
    }
    if (p === '/config/reload' && req.method === 'POST') {
      const r = fake.reload;
      if (r.status >= 300) return error(r.status, r.status === 409 ? 'conflict' : 'bad_value', r.text);
      return wantsJson ? json(200, r.json) : textReply(r.text);
    }
    if (p === '/broker') {
      const running = jobs.filter((j) => j.state === 'running').length;
      const pending = jobs.filter((j) => j.state === 'pending').length;
      const counts: Record<string, number> = {};
      for (const j of jobs) counts[j.state] = (counts[j.state] ?? 0) + 1;
      return json(200, { concurrency: 2, urgent_bypass: false, paused: false, running, pending, pending_urgent: 0, counts, launchers: [] });
    }
    if (p === '/jobs' && req.method === 'GET') {
      const state = url.searchParams.get('state');
      const after = url.searchParams.get('after');
      const limit = Number(url.searchParams.get('limit') ?? 100);
      const desc = url.searchParams.get('order') === 'desc';
      const chosen = jobs
        .filter((j) => !state || j.state === state || (state === 'completed' && !['pending', 'running'].includes(j.state)))
        .filter((j) => after === null || (desc ? j.id < after : j.id > after))
        .sort((a, b) => (a.id < b.id ? -1 : 1) * (desc ? -1 : 1));
      const page = chosen.slice(0, limit);
      return json(200, { jobs: page, next: chosen.length > limit ? page[page.length - 1]!.id : null });
    }
    if ((m = /^\/jobs\/([^/]+)(\/log)?$/.exec(p)) && req.method === 'GET') {
      const found = findJobs(jobs, decodeURIComponent(m[1]!));
      if (found.length === 0) return error(404, 'unknown_job', `no job ${JSON.stringify(m[1])}`);
      if (found.length > 1) return error(409, 'ambiguous_job', `${JSON.stringify(m[1])} is the start of several jobs: ${found.map((j) => j.id).join(', ')}`);
      return m[2] ? textReply(`output of ${found[0]!.id}`) : json(200, found[0]);
    }
    return error(404, 'not_found', `no route for ${req.method} ${p}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  // The same object the handler reads: a test may replace `reload`.
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  });
}
