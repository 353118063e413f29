// The operator's day without a terminal (scripts, -c): a task's log, the newest jobs first,
// several daemons (a command for one of them names it, or asks which), and what the daemon
// does not give yet (every task's log, reload), against the small fake daemon.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startInProcess, type InProcessDaemon } from '../helpers/in-process.js';
import { waitFor } from '../helpers/wait.js';
import { fakeJob, startFakeDaemon, type FakeDaemon } from './fake-daemon.js';
import { runConsole } from './run-console.js';

let a: InProcessDaemon;
let b: InProcessDaemon;
let fake: FakeDaemon;
const confDir = mkdtempSync(path.join(tmpdir(), 'bl-one-shot-conf-'));
before(async () => {
  // Echo says three lines and waits; nothing runs a job on `a` (concurrency 0): they queue.
  a = await startInProcess({
    config: { tasks: { Echo: { cmd: '/bin/sh', args: ['-c', 'echo one; echo two; echo three; exec sleep 1000'], cardinality: 1, stall_timeout: 0 } }, broker: { concurrency: 0 } },
  });
  b = await startInProcess({ config: { broker: { concurrency: 0 } } });
  fake = await startFakeDaemon(['Web', 'Db']);
});
after(async () => {
  await Promise.all([a.cleanup(), b.cleanup(), fake.close()]);
  rmSync(confDir, { recursive: true, force: true });
});

const run = (args: string[], input = '') => runConsole(args, { confDir, input });
const re = (s: string) => s.replace(/[./]/g, '\\$&');

test('log TASK: the end of a task’s output; a name that is no task is taken for a job id', async () => {
  await waitFor('Echo’s three lines', async () => /three/.test((await a.request('GET', '/tasks/Echo/log')).text));
  const r = await run([`-host=${a.url}`, '-c', 'log Echo 2']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'two\nthree\n');
  const nope = await run([`-host=${a.url}`, '-c', 'log Nope']);
  assert.equal(nope.code, 1);
  assert.match(nope.err, /^ERROR: .*"Nope"/);
});

test('jobs: the newest first, without reading them all; pending ones in the order they will start', async () => {
  // More than two pages of the console's probes (it asks 100 at a time).
  const submitted: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await a.api('POST', '/jobs', Array.from({ length: 45 }, (_, k) => ({ command: `echo ${i * 45 + k}`, cwd: '/tmp' })));
    submitted.push(...r.jobs.map((j: { id: string }) => j.id));
  }
  const ids = (out: string) => [...out.matchAll(/^(\w{26}) +pending /gm)].map((m) => m[1]);
  const all = await run([`-host=${a.url}`, '-c', 'jobs']);
  assert.equal(all.code, 0, all.err);
  assert.deepEqual(ids(all.out), submitted.slice(-50).reverse());
  assert.match(all.out, /^\(the newest 50 of 135\)$/m);
  const json = JSON.parse((await run([`-host=${a.url}`, '--json', '-c', 'jobs'])).out);
  assert.equal(json.jobs[0].id, submitted.at(-1));
  const pending = await run([`-host=${a.url}`, '-c', 'jobs pending']);
  assert.deepEqual(ids(pending.out), submitted.slice(0, 50));
  assert.match(pending.out, /^\(the next 50 of 135 to start\)$/m);
  await a.api('POST', '/broker/purge-pending');
});

test('several daemons: submit asks which (exit 2) or says where it went; a job or a task finds its host', async () => {
  const hosts = `-host=${a.url},${b.url}`;
  const asked = await run([hosts, '--submit', 'echo hi']);
  assert.equal(asked.code, 2);
  assert.equal(asked.err, `ERROR: submit goes to one daemon and 2 are connected: say which with -host=HOST (one of ${a.url}, ${b.url}), e.g. submit -host=${a.url} …\n`);
  assert.equal((await b.api('GET', '/broker')).pending, 0, 'nothing submitted');

  const sent = await run([hosts, '-c', `submit -host=${b.url} echo hi`]);
  assert.equal(sent.code, 0, sent.err);
  const id = new RegExp(`^── ${re(b.url)}\\nSubmitted job (\\w+) to ${re(b.url)} \\(normal\\): pending$`, 'm').exec(sent.out)?.[1];
  assert.ok(id, sent.out);
  assert.equal((await b.api('GET', `/jobs/${id}`)).command, 'echo hi');

  // The job is on b only: `job` goes there, labelled.
  const shown = await run([hosts, '-c', `job ${id}`]);
  assert.equal(shown.code, 0, shown.err);
  assert.match(shown.out, new RegExp(`^── ${re(b.url)}\\nJob: +${id}$`, 'm'));
  assert.doesNotMatch(shown.out, new RegExp(re(a.url)));
  // Echo is a task of a only.
  const st = await run([hosts, '-c', 'status Echo']);
  assert.match(st.out, new RegExp(`^── ${re(a.url)}\\nTask name: +Echo$`, 'm'));
  await b.api('POST', '/broker/purge-pending');
});

test('log with no name: every task’s output interleaved (GET /tasks/log); a daemon without that route says so', async () => {
  fake.tasks.get('Web')!.output = ['listening on :8080', 'GET /'];
  fake.tasks.get('Db')!.output = ['ready'];
  const r = await run([`-host=${fake.host}`, '-c', 'logs']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'Web 1000 | listening on :8080\nWeb 1000 | GET /\nDb 1000 | ready\n');
  // A daemon from before the route: GET /tasks/log is GET /tasks/:name of a task "log".
  fake.tasksLog = false;
  const old = await run([`-host=${fake.host}`, '-c', 'log']);
  fake.tasksLog = true;
  assert.equal(old.code, 1);
  assert.match(old.err, /^ERROR: this daemon does not serve every task's output together \(GET \/tasks\/log answered: no task named log\); log TASK shows one task's\n$/);
});

test('reload: the daemon’s account of it; a daemon without a config file refuses (exit 1, once)', async () => {
  fake.reload = { status: 200, text: 'Reloaded /etc/bl.json: added [Cache], removed [], changed [Web]', json: { added: ['Cache'], removed: [], changed: ['Web'] } };
  const r = await run([`-host=${fake.host}`, '-c', 'reload']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'Reloaded /etc/bl.json: added [Cache], removed [], changed [Web]\n');
  const j = await run([`-host=${fake.host}`, '--json', '-c', 'reload']);
  assert.deepEqual(JSON.parse(j.out), { added: ['Cache'], removed: [], changed: ['Web'] });
  fake.reload = { status: 409, text: 'this daemon was started without a config file: nothing to reload', json: null };
  const no = await run([`-host=${fake.host}`, '-c', 'reload']);
  assert.equal(no.code, 1);
  assert.equal(no.err, 'ERROR: this daemon was started without a config file: nothing to reload\n');
});

test('a job id prefix several jobs share: the daemon’s message, once (exit 1)', async () => {
  fake.jobs.push(fakeJob('01JZZZZZZZZZZZZZZZZZZZZZA1', 'succeeded'), fakeJob('01JZZZZZZZZZZZZZZZZZZZZZB2', 'failed'));
  const r = await run([`-host=${fake.host}`, '-c', 'log 01jzz']);
  assert.equal(r.code, 1);
  assert.equal(r.err, 'ERROR: "01jzz" is the start of several jobs: 01JZZZZZZZZZZZZZZZZZZZZZA1, 01JZZZZZZZZZZZZZZZZZZZZZB2\n');
});
