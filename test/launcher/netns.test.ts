// A launcher on another "host" that loses its link: the test makes a network namespace joined
// to this machine by a veth pair on a private /30, binds the daemon (with a token: a
// non-loopback bind needs auth) to this end, and runs launcher A inside the namespace. With A's
// link down past the lease, its job is re-queued and runs on launcher B; when the link is back,
// A's late report is kept as a note and makes no second completion. And when A's attempt still
// runs as the link comes back, A is told (410) to kill it: it kills its own attempt only, never
// the next attempt running under B on the same machine (one /proc: the namespace shares it). Everything is made and
// removed by the test; traffic stays between the namespace and here. The daemon runs in this
// process (in this network namespace); the launchers are bl-launcher processes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startInProcess, type InProcessDaemon } from '../helpers/in-process.js';
import { waitFor } from '../helpers/wait.js';
import { job, Marks, submit, waitJob, waitLaunchers } from '../helpers/jobs.js';
import { alive, pidsWithEnv } from '../helpers/proc.js';
import { startLauncher, type TestLauncher } from './launcher-helpers.js';

const n = process.pid % 10000;
const tag = n.toString();
const NS = `bltest-${tag}`;
const HOST_IF = `blh${tag}`;
const NS_IF = `bln${tag}`;
// A /30 of 10.200.0.0–10.239.255.255 chosen by the same tag as the names (two runs at once do
// not share one): .1 here, .2 in the namespace.
const NET = `10.${200 + Math.floor(n / 250)}.${n % 250}`;
const HOST_IP = `${NET}.1`;
const NS_IP = `${NET}.2`;
const TOKEN = 'netns-test-token';

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
const inNs = (...args: string[]) => ip('netns', 'exec', NS, 'ip', ...args);

let unavailable: string | undefined;
let daemon: InProcessDaemon | undefined;
const launchers: TestLauncher[] = [];

function teardownNet(): void {
  for (const f of [() => ip('netns', 'del', NS), () => ip('link', 'del', HOST_IF)]) {
    try {
      f();
    } catch {
      // not there (never made, or went with the namespace)
    }
  }
}

before(() => {
  if (process.getuid?.() !== 0) {
    unavailable = 'network namespaces need root (ip netns add); not running as root';
    return;
  }
  teardownNet();
  try {
    ip('netns', 'add', NS);
    ip('link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', NS_IF);
    ip('link', 'set', NS_IF, 'netns', NS);
    ip('addr', 'add', `${HOST_IP}/30`, 'dev', HOST_IF);
    ip('link', 'set', HOST_IF, 'up');
    inNs('addr', 'add', `${NS_IP}/30`, 'dev', NS_IF);
    inNs('link', 'set', NS_IF, 'up');
    inNs('link', 'set', 'lo', 'up');
  } catch (e) {
    unavailable = `cannot make a network namespace with a veth pair: ${((e as { stderr?: Buffer }).stderr?.toString() || (e as Error).message).trim()}`;
    teardownNet();
  }
});

after(async () => {
  for (const l of launchers) l.cleanup();
  await daemon?.cleanup();
  teardownNet();
});

describe('a launcher cut off from the daemon', () => {
  it('past the lease: the job runs elsewhere; the late report when the link is back makes no second completion', async (t) => {
    if (unavailable) return t.skip(unavailable);
    const d = (daemon = await startInProcess({
      config: { bind: HOST_IP, auth: { token: TOKEN }, broker: { concurrency: 4, local_slots: 0, lease_ttl: 2, retries: 1 } },
      clientToken: TOKEN,
    }));
    assert.ok(d.url.startsWith(`http://${HOST_IP}:`), d.url);
    const dir = d.dir;
    // The namespace shares the file system: the job's marks work across the cut.
    const marks = new Marks(path.join(dir, 'marks'));
    const stateA = path.join(dir, 'la');
    const a = startLauncher({ url: d.url, name: 'A', stateDir: stateA, token: TOKEN, netns: NS });
    launchers.push(a);
    await waitLaunchers(d, ['A']);
    const listed = (await d.api('GET', '/broker')).launchers.find((l: { name: string }) => l.name === 'A');
    assert.equal(listed.slots, 1);

    // Each attempt says it runs, then waits for the test to let it end.
    const attempt = 'cut-$BL_JOB_ATTEMPT';
    const [j] = await submit(d, { command: `${marks.made(attempt)}; ${marks.awaited(`${attempt}-go`)}; echo "attempt $BL_JOB_ATTEMPT"`, cwd: dir });
    await marks.waitMade('cut-1');
    await waitJob(d, j!.id, 'to run on A', (x) => x.state === 'running' && x.launcher === 'A' && x.pid !== null);
    // B on this side of the link, started now so that A held the job.
    const b = startLauncher({ url: d.url, name: 'B', stateDir: path.join(dir, 'lb'), token: TOKEN });
    launchers.push(b);

    inNs('link', 'set', NS_IF, 'down');
    await waitJob(d, j!.id, 'to be re-queued after the lease', (x) => x.attempt === 2);
    const requeued = d.services.events.since(0).find((e) => e.topic === 'job.requeued' && e.data.id === j!.id)!;
    const silent = /^attempt 1: no heartbeat from launcher A for ([\d.]+) s \(lease_ttl 2 s\)/.exec(String(requeued.data.reason));
    assert.ok(silent && Number(silent[1]) >= 2, `re-queued for its lease: ${String(requeued.data.reason)}`);
    // A runs its attempt to the end meanwhile and keeps the report it cannot send.
    marks.make('cut-1-go');
    await marks.waitMade('cut-2');
    marks.make('cut-2-go');
    const doneB = await waitJob(d, j!.id, 'to succeed on B', (x) => x.state === 'succeeded');
    assert.equal(doneB.launcher, 'B');
    assert.equal(doneB.attempt, 2);
    await waitFor("A's report in its outbox", () => readdirSync(path.join(stateA, 'outbox')).some((f) => f.endsWith('.json')), { timeout: 10000 });

    inNs('link', 'set', NS_IF, 'up');
    const upAt = Date.now();
    const notes = await waitFor('the late report to be noted', async () => {
      const n = (await d.api('GET', `/jobs/${j!.id}/notes`)).notes as { text: string }[];
      return n.length > 0 ? n : undefined;
    }, { timeout: 20000 });
    assert.equal(notes.length, 1);
    assert.match(notes[0]!.text, /late report from launcher A \(attempt 1: exit code 0\) ignored: attempt 1 on launcher A was given up: the job ended as succeeded \(attempt 2 on B\)/);
    await waitFor("A's outbox to be empty", () => readdirSync(path.join(stateA, 'outbox')).filter((f) => f.endsWith('.json')).length === 0);
    // Its stderr line comes as the outbox file goes; the pipe may deliver it a moment later.
    await waitFor('A to say its report was not counted', () => /report not counted \(409\)/.test(a.err), { timeout: 5000 });

    const after = await job(d, j!.id);
    assert.deepEqual(
      { state: after.state, attempt: after.attempt, launcher: after.launcher, finished_at: after.finished_at, exit_code: after.exit_code },
      { state: 'succeeded', attempt: 2, launcher: 'B', finished_at: doneB.finished_at, exit_code: 0 },
    );
    assert.equal((await d.request('GET', `/jobs/${j!.id}/log`)).text.trimEnd().split('\n').at(-1), 'attempt 2');
    const counts = (await d.api('GET', '/broker')).counts;
    assert.equal(counts.succeeded, 1, 'one completion');
    // A is back and leases again.
    await waitFor('A to be seen after the link came back', async () => {
      const l = (await d.api('GET', '/broker')).launchers.find((x: { name: string }) => x.name === 'A');
      return l && Date.parse(l.last_seen_at) > upAt ? l : undefined;
    });
  });

  it('a launcher back from the cut kills its own attempt, never the re-run of the same job beside it; the re-run succeeds', async (t) => {
    if (unavailable) return t.skip(unavailable);
    for (const l of launchers.splice(0)) l.cleanup();
    await daemon?.cleanup();
    const d = (daemon = await startInProcess({
      config: { bind: HOST_IP, auth: { token: TOKEN }, broker: { concurrency: 4, local_slots: 0, lease_ttl: 2, retries: 1 } },
      clientToken: TOKEN,
    }));
    const dir = d.dir;
    const marks = new Marks(path.join(dir, 'marks'));
    const a = startLauncher({ url: d.url, name: 'A', stateDir: path.join(dir, 'la'), token: TOKEN, netns: NS });
    launchers.push(a);
    await waitLaunchers(d, ['A']);
    // Each attempt runs a child in the background (a process the group and the marker both
    // reach), says it runs, and waits for the test to let it end.
    const attempt = 'kill-$BL_JOB_ATTEMPT';
    const [j] = await submit(d, { command: `sleep 600 & ${marks.made(attempt)}; ${marks.awaited(`${attempt}-go`)}; kill $!; echo "attempt $BL_JOB_ATTEMPT"`, cwd: dir });
    await marks.waitMade('kill-1');
    await waitJob(d, j!.id, 'to run on A', (x) => x.state === 'running' && x.launcher === 'A' && x.pid !== null);
    const b = startLauncher({ url: d.url, name: 'B', stateDir: path.join(dir, 'lb'), token: TOKEN });
    launchers.push(b);

    inNs('link', 'set', NS_IF, 'down');
    await waitJob(d, j!.id, 'to be re-queued after the lease', (x) => x.attempt === 2);
    await marks.waitMade('kill-2');
    const onB = await waitJob(d, j!.id, 'to run on B', (x) => x.state === 'running' && x.launcher === 'B' && x.pid !== null);
    // Attempt 2's lasting processes: its leader and its background sleep (the wait loop's
    // short sleeps come and go).
    const cmdline = (p: number) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8');
      } catch {
        return ''; // one of the short sleeps, gone
      }
    };
    const lasting = (run: string) => pidsWithEnv('BL_JOB_RUN', run).filter((p) => cmdline(p) === 'sleep\0' + '600\0');
    const second = [onB.pid!, ...lasting(`${j!.id}:2@B`)];
    assert.equal(second.length, 2, 'attempt 2: its shell and its background sleep');
    assert.equal(lasting(`${j!.id}:1@A`).length, 1, 'attempt 1 runs on this machine too');

    // The link is back while attempt 1 still runs under A: its heartbeat is answered 410.
    inNs('link', 'set', NS_IF, 'up');
    await waitFor('A to be told to kill attempt 1', () => /killing job \S+ attempt 1: job \S+: attempt 1 on launcher A was given up: attempt 2 runs on launcher B; kill attempt 1/.test(a.err), { timeout: 20000 });
    await waitFor('every process of attempt 1 to be gone', () => pidsWithEnv('BL_JOB_RUN', `${j!.id}:1@A`).length === 0);
    assert.deepEqual(second.filter(alive), second, 'attempt 2 untouched');
    assert.equal((await job(d, j!.id)).state, 'running');

    marks.make('kill-2-go');
    const done = await waitJob(d, j!.id, 'to end', (x) => !['pending', 'running'].includes(x.state));
    assert.deepEqual({ state: done.state, attempt: done.attempt, launcher: done.launcher, exit_code: done.exit_code }, { state: 'succeeded', attempt: 2, launcher: 'B', exit_code: 0 });
    // A's word about attempt 1 (killed) is a note, not a second end.
    const notes = await waitFor('the late report of attempt 1 to be noted', async () => {
      const n = (await d.api('GET', `/jobs/${j!.id}/notes`)).notes as { text: string }[];
      return n.length > 0 ? n : undefined;
    }, { timeout: 20000 });
    assert.match(notes[0]!.text, /late report from launcher A \(attempt 1: lost\) ignored/);
    assert.equal((await job(d, j!.id)).state, 'succeeded');
  });
});
