// Several bl-daemon processes on one real PostgreSQL (store: postgres://…): one queue for all.
// The concurrency limit holds across them together (also while one of them changes it), urgent
// first and FIFO hold across them, a purge or a limit set on one is seen by the others; kill -9
// of one mid-batch: the survivor takes its jobs over once their lease runs out and every job
// ends once; a daemon stopped longer than its lease kills its own copies of the jobs the
// other took over once it is back; a running job cancelled through a daemon that does not hold it is killed by the
// one that does; a server that goes away mid-batch: running jobs go on, submits get a 503, and no
// end is lost.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { startPostgres, type Postgres } from '../../helpers/postgres.js';
import { waitFor } from '../../helpers/wait.js';
import { startLauncher, type TestLauncher } from '../../launcher/launcher-helpers.js';

let server: Postgres;
const daemons: TestDaemon[] = [];
const launchers: TestLauncher[] = [];
before(async () => {
  server = await startPostgres();
});
after(async () => {
  for (const l of launchers) l.cleanup();
  for (const d of daemons) {
    await d.stop().catch(() => undefined);
    d.cleanup();
  }
  await server?.stop();
});

async function daemon(db: string, broker: Record<string, unknown>): Promise<TestDaemon> {
  const d = await startDaemon({ config: { store: server.url(db), broker } });
  daemons.push(d);
  return d;
}

type Job = { id: string; state: string; attempt: number; pid?: number | null; started_at: string | null; reason: string | null; exit_code: number | null };
/** A submit of one job answers the job; of several, `jobs`. */
const submitted = (r: { id?: string; jobs?: { id: string }[] }): string => r.jobs?.[0]?.id ?? r.id!;
const jobOf = (d: TestDaemon, id: string): Promise<Job> => d.api('GET', `/jobs/${id}`);

async function allEnded(d: TestDaemon, ids: string[], timeout = 120_000): Promise<Job[]> {
  let jobs: Job[] = [];
  await waitFor(
    `${ids.length} jobs to end`,
    async () => {
      jobs = await Promise.all(ids.map((id) => jobOf(d, id)));
      return jobs.every((j) => !['pending', 'running', 'waiting'].includes(j.state));
    },
    { timeout },
  );
  return jobs;
}

/** A job that marks its run in `dir` (one file per run) while it runs, and records how many ran at once. */
const counted = (dir: string, secs: number) =>
  `f=${dir}/running/$BL_JOB_ID.$$; : > "$f"; ls ${dir}/running | wc -l >> ${dir}/counts; : > ${dir}/runs/$BL_JOB_ID.$$; echo ran; sleep ${secs}; rm "$f"`;

function markDir(d: TestDaemon): string {
  const dir = path.join(d.dir, 'marks');
  mkdirSync(path.join(dir, 'running'), { recursive: true });
  mkdirSync(path.join(dir, 'runs'), { recursive: true });
  return dir;
}

const runsOf = (dir: string, id: string) => readdirSync(path.join(dir, 'runs')).filter((f) => f.startsWith(`${id}.`)).length;
const logsIn = (d: TestDaemon) => (existsSync(path.join(d.dir, 'state', 'jobs')) ? readdirSync(path.join(d.dir, 'state', 'jobs')).filter((f) => f.endsWith('.log')).length : 0);

describe('daemons sharing one PostgreSQL store', () => {
  it('one limit for all of them, also while one changes it; both run jobs; every job runs once', async () => {
    const db = server.createDatabase('limit');
    const a = await daemon(db, { concurrency: 3 });
    const b = await daemon(db, { concurrency: 3 });
    const dir = markDir(a);
    assert.match(a.err, /; jobs in PostgreSQL at postgres:\/\/bl@\[socket [^\]]+\]:\d+\/limit_\w+, shared by every daemon naming it; /, 'the start-up line says where the queue is');
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const d = i % 2 ? b : a;
      const r = await d.api('POST', '/jobs', { command: counted(dir, 0.3), cwd: '/' });
      ids.push(submitted(r));
    }
    await waitFor('jobs to run on both daemons', () => logsIn(a) > 0 && logsIn(b) > 0, { timeout: 60_000 });
    // From b, for both: at most 2 at once from now on.
    await b.api('POST', '/broker/concurrency/2');
    assert.equal((await a.api('GET', '/broker')).concurrency, 2, 'a reads the limit b set');
    const jobs = await allEnded(a, ids);
    assert.deepEqual(jobs.map((j) => j.state), ids.map(() => 'succeeded'));
    for (const id of ids) assert.equal(runsOf(dir, id), 1, `${id} ran once`);
    const counts = readFileSync(path.join(dir, 'counts'), 'utf8').trim().split('\n').map(Number);
    assert.equal(counts.length, 30);
    assert.ok(Math.max(...counts) <= 3, `never more than 3 at once across both, saw ${Math.max(...counts)}`);
    assert.ok(logsIn(a) > 0 && logsIn(b) > 0 && logsIn(a) + logsIn(b) === 30, `a ran ${logsIn(a)}, b ran ${logsIn(b)}`);
    const [sa, sb] = [await a.api('GET', '/broker'), await b.api('GET', '/broker')];
    assert.equal(sa.counts.succeeded, 30, 'a sees the whole queue');
    assert.equal(sb.counts.succeeded, 30, 'b sees the whole queue');
  });

  it('urgent first, then FIFO, across daemons; a purge on one is seen by the other', async () => {
    const db = server.createDatabase('order');
    const a = await daemon(db, { concurrency: 0 });
    const b = await daemon(db, { concurrency: 0 });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(submitted(await a.api('POST', '/jobs', { command: 'true', cwd: '/' })));
    const urgent = [submitted(await b.api('POST', '/jobs', { command: 'true', cwd: '/', queue: 'urgent' }))];
    urgent.push(submitted(await a.api('POST', '/jobs', { command: 'true', cwd: '/', queue: 'urgent' })));
    const pending = await b.api('GET', '/jobs?state=pending');
    assert.deepEqual(pending.jobs.map((j: Job) => j.id), [...urgent, ...ids], "b lists a's jobs in dispatch order");
    // One at a time, whichever daemon claims: the order holds.
    await a.api('POST', '/broker/concurrency/1');
    const jobs = await allEnded(b, [...urgent, ...ids]);
    const order = [...jobs].sort((x, y) => Date.parse(x.started_at!) - Date.parse(y.started_at!)).map((j) => j.id);
    assert.deepEqual(order, [...urgent, ...ids]);
    await b.api('POST', '/broker/concurrency/0');
    await b.api('POST', '/jobs', { command: 'true', cwd: '/' });
    assert.equal((await a.api('GET', '/broker')).pending, 1);
    await b.api('POST', '/broker/purge');
    const sa = await a.api('GET', '/broker');
    assert.deepEqual([sa.pending, sa.counts.succeeded], [0, 0], 'a sees what b purged');
  });

  it('kill -9 of one daemon mid-batch: the other takes over its jobs after the lease, each ends once', async () => {
    const db = server.createDatabase('kill');
    const a = await daemon(db, { concurrency: 4, lease_ttl: 2 });
    const dir = markDir(a);
    const ids: string[] = [];
    // All submitted before b starts: a claims the first ones (b, once up, would otherwise take
    // every slot its own ends free, and a might never run one before the kill).
    for (let i = 0; i < 12; i++) ids.push(submitted(await a.api('POST', '/jobs', { command: counted(dir, 2), cwd: '/', retries: 1 })));
    await waitFor('a to run jobs', () => logsIn(a) > 0, { timeout: 60_000 });
    const b = await daemon(db, { concurrency: 4, lease_ttl: 2 });
    const held = (await a.api('GET', '/jobs?state=running')).jobs.filter((j: { host: string; id: string }) => existsSync(path.join(a.dir, 'state', 'jobs', `${j.id}.log`)));
    await a.kill9();
    const jobs = await allEnded(b, ids);
    assert.deepEqual(jobs.map((j) => j.state), ids.map(() => 'succeeded'), JSON.stringify(jobs.filter((j) => j.state !== 'succeeded')));
    const taken = jobs.filter((j) => j.attempt === 2);
    assert.ok(taken.length > 0 || held.length === 0, 'the jobs a held ran again on b');
    await waitFor("b's log to say why", () => /stopped renewing its lease/.test(b.err));
    assert.equal((await b.api('GET', '/broker')).counts.succeeded, 12, 'each job ended once');
  });

  it('a daemon stopped for longer than its lease: the other runs its jobs again, and once back it kills its own copies; their late ends are notes', async () => {
    const db = server.createDatabase('stopped');
    const a = await daemon(db, { concurrency: 2, lease_ttl: 2 });
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) ids.push(submitted(await a.api('POST', '/jobs', { command: 'sleep 600', cwd: '/', retries: 1 })));
    const pids: number[] = [];
    await waitFor('both jobs to run on a', async () => {
      const jobs = await Promise.all(ids.map((id) => jobOf(a, id)));
      if (!jobs.every((j) => j.pid)) return false;
      pids.push(...jobs.map((j) => j.pid!));
      return true;
    }, { timeout: 60_000 });
    const b = await daemon(db, { concurrency: 2, lease_ttl: 2 });
    process.kill(a.pid, 'SIGSTOP');
    try {
      await waitFor('b to run both again', async () => (await Promise.all(ids.map((id) => jobOf(b, id)))).every((j) => j.state === 'running' && j.attempt === 2 && j.pid), { timeout: 60_000 });
      for (const pid of pids) process.kill(pid, 0); // a's copies still run while it is stopped
    } finally {
      process.kill(a.pid, 'SIGCONT');
    }
    await waitFor("a to kill its copies", () => pids.every((pid) => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }), { timeout: 60_000 });
    for (const id of ids) {
      await waitFor(`the late end of ${id} as a note`, async () => /late end from daemon .* ignored: its lease on the job was taken over; attempt 2 runs on daemon/.test((await b.request('GET', `/jobs/${id}/notes`)).text), { timeout: 60_000 });
      assert.equal((await jobOf(a, id)).attempt, 2, 'still the second attempt, on b');
      await b.api('DELETE', `/jobs/${id}`);
    }
    const jobs = await allEnded(a, ids);
    assert.deepEqual(jobs.map((j) => [j.state, j.attempt]), ids.map(() => ['cancelled', 2]));
  });

  it('a running job cancelled through a daemon that does not hold it: its holder kills it', async () => {
    const db = server.createDatabase('cancel');
    // Only a runs jobs: b is asked for what a holds.
    const a = await daemon(db, { concurrency: 2 });
    const b = await daemon(db, { concurrency: 2, local_slots: 0 });
    const id = submitted(await b.api('POST', '/jobs', { command: 'sleep 1000', cwd: '/' }));
    let pid: number | null = null;
    await waitFor('the job to run on a', async () => (pid = (await jobOf(a, id)).pid ?? null) !== null, { timeout: 60_000 });
    const r = await b.request('DELETE', `/jobs/${id}`);
    assert.equal(r.status, 202, r.text);
    assert.match(r.text, /^Killing job \w+: asked of daemon \S+, which runs it/);
    const [j] = await allEnded(b, [id]);
    assert.equal(j!.state, 'cancelled');
    assert.match(j!.reason ?? '', /asked through another daemon/);
    assert.throws(() => process.kill(pid!, 0), /ESRCH/, 'its process is gone');
  });

  it('PostgreSQL going away mid-batch: running jobs go on, submits get a 503 saying why, no end is lost', async () => {
    const db = server.createDatabase('down');
    const a = await daemon(db, { concurrency: 3 });
    const dir = markDir(a);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(submitted(await a.api('POST', '/jobs', { command: counted(dir, 1.5), cwd: '/' })));
    await waitFor('3 jobs running', () => readdirSync(path.join(dir, 'running')).length === 3, { timeout: 60_000 });
    await server.halt();
    const r = await a.request('POST', '/jobs', { command: 'true', cwd: '/' });
    assert.equal(r.status, 503, r.text);
    assert.match(r.text, /PostgreSQL/);
    // They end while the server is down: their ends wait for it.
    await waitFor('the running jobs to end', () => readdirSync(path.join(dir, 'runs')).length === 3 && readdirSync(path.join(dir, 'running')).length === 0, { timeout: 60_000 });
    await server.start();
    const jobs = await allEnded(a, ids);
    assert.deepEqual(jobs.map((j) => [j.state, j.attempt]), ids.map(() => ['succeeded', 1]));
    for (const id of ids) assert.equal(runsOf(dir, id), 1);
    assert.doesNotMatch(a.err, /worker thread/, 'the store\'s worker thread lived through it');
  });

  it('a bl-launcher given every daemon moves to the next when its own is killed; its job ends once, as its first attempt', async () => {
    const db = server.createDatabase('launcher');
    // Only remote launchers run jobs; a lease long enough for the move (a heartbeat every 3 s).
    const a = await daemon(db, { concurrency: 2, local_slots: 0, lease_ttl: 9 });
    const b = await daemon(db, { concurrency: 2, local_slots: 0, lease_ttl: 9 });
    const dir = markDir(a);
    const l = startLauncher({ url: `${a.url},${b.url}`, name: 'mover', slots: 2, stateDir: path.join(a.dir, 'launcher') });
    launchers.push(l);
    const id = submitted(await a.api('POST', '/jobs', { command: `${counted(dir, 0)}; while [ ! -e ${dir}/go ]; do sleep 0.1; done`, cwd: '/' }));
    await waitFor('the launcher to run the job', () => runsOf(dir, id) === 1, { timeout: 60_000 });
    assert.equal((await jobOf(b, id)).state, 'running');
    await a.kill9();
    await waitFor('the launcher to move to b', () => l.err.includes(`moving to the daemon at ${new URL(b.url).origin}`), { timeout: 60_000 });
    writeFileSync(path.join(dir, 'go'), '');
    const [j] = await allEnded(b, [id]);
    assert.deepEqual([j!.state, j!.attempt], ['succeeded', 1], JSON.stringify(j));
    assert.equal(runsOf(dir, id), 1, 'ran once');
  });
});
