// The daemon's jobs are forked by helper processes: spawn-helper.py (posix_spawn) where python3
// runs, else the Node helper. Both speak one protocol and must start a job the same way: its
// own session, log on stdout and stderr, stdin /dev/null, no inherited fds, every signal at
// its default, the job's env over the daemon's. A burst goes to more than one helper, up to the cap.
import { test, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HelperSpawner, type HelperProgram } from '../../runner/spawn-helpers/helper-spawner.js';
import { NODE_SPAWNER, PYTHON_SPAWNER } from '../../runner/spawn-helpers/programs.js';
import type { SpawnEvents, SpawnRequest } from '../../runner/spawner.js';
import { alive, descendants, isSpawner } from '../helpers/proc.js';
import { waitFor } from '../helpers/wait.js';

// Helpers never keep their parent alive (the daemon has its own handles): this test holds
// the event loop open itself.
const hold = setInterval(() => undefined, 1000);
after(() => clearInterval(hold));

const helperChildren = (): number[] => descendants(process.pid).filter(isSpawner);

interface Ended {
  pid: number;
  code: number | null;
  signal: string | null;
  log: string;
  /** When the helper saw the exit (epoch ms), and when this process heard of it. */
  at: number | undefined;
  heard: number;
}

/** A log as the daemon serves it: a job that said nothing may leave no file (spawn-helper.py). */
function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw e;
  }
}

function run(pool: HelperSpawner, req: Omit<SpawnRequest, 'header'> & { header?: string | null }): Promise<Ended> {
  let pid = 0;
  return new Promise((resolve, reject) => {
    const ev: SpawnEvents = {
      spawned: (p) => (pid = p),
      failed: (m) => reject(new Error(m)),
      exited: (code, signal, _left, at) => resolve({ pid, code, signal, log: readLog(req.logPath), at, heard: Date.now() }),
      lost: (m) => reject(new Error(m)),
    };
    pool.spawn({ header: null, ...req }, ev);
  });
}

/** Fds this process holds open across exec: what its own launcher leaked into it (a test harness's pipe). */
function inheritableFds(): string[] {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return Number(fd) > 2 && (parseInt(/flags:\s+(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!, 8) & 0o2000000) === 0;
    } catch {
      return false;
    }
  });
}

const sh = (script: string) => [{ file: '/bin/sh', args: ['-c', script] }];

for (const program of [PYTHON_SPAWNER, NODE_SPAWNER]) {
  describe(`the ${program.name}`, () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bl-helpers-'));
    const log = () => path.join(dir, `${Math.random()}.log`);
    after(() => rmSync(dir, { recursive: true, force: true }));

    test('a burst of starts is spread over helpers up to the cap; each job reports its pid, exit and log', async () => {
      await waitFor('helpers of earlier tests to exit', () => helperChildren().length === 0);
      const pool = new HelperSpawner([program], 2);
      try {
        const sent = Date.now();
        const results = Array.from({ length: 6 }, (_, i) => run(pool, { tries: sh(`echo job ${i} $JOB_N; exit ${i}`), cwd: dir, env: { JOB_N: `n${i}` }, logPath: log() }));
        // Six requests sent at once: the first helper is busy forking when the second comes.
        assert.equal(pool.size, 2, 'two helpers, the cap');
        const done = await Promise.all(results);
        done.forEach((r, i) => {
          assert.ok(r.pid > 1);
          assert.deepEqual([r.code, r.signal], [i, null]);
          // The job's own variables on top of the environment it inherits.
          assert.equal(r.log, `job ${i} n${i}\n`);
          // The exit's time comes from the helper (a job's finished_at), the same clock as ours.
          assert.ok(r.at !== undefined && r.at >= sent - 1 && r.at <= r.heard + 1, `exit seen at ${r.at}, between ${sent} and ${r.heard}`);
        });
      } finally {
        pool.close();
      }
      await waitFor('the helpers to exit once closed', () => helperChildren().length === 0);
    });

    test('helpers exit once idle for idleMs, never while a job runs; the next job starts new ones', async () => {
      await waitFor('helpers of earlier tests to exit', () => helperChildren().length === 0);
      const pool = new HelperSpawner([program], 2, { idleMs: 150 });
      try {
        // A job three times longer than the idle time: its helper must be there for its exit.
        const long = await run(pool, { tries: sh('sleep 0.45; echo long'), cwd: dir, env: {}, logPath: log() });
        assert.deepEqual([long.code, long.log], [0, 'long\n']);
        await waitFor('the idle helper to exit', () => pool.size === 0 && helperChildren().length === 0);
        const next = await run(pool, { tries: sh('echo next'), cwd: dir, env: {}, logPath: log() });
        assert.deepEqual([next.code, next.log], [0, 'next\n']);
        assert.equal(pool.size, 1, 'a new helper');
      } finally {
        pool.close();
      }
      await waitFor('the helpers to exit once closed', () => helperChildren().length === 0);
    });

    test('a job starts clean: own session, stdin /dev/null, fds 0-2 only, no signal ignored or blocked, in its cwd', async () => {
      const pool = new HelperSpawner([program], 1);
      try {
        const script = 'echo "$$ $(cut -d" " -f6 /proc/$$/stat)"; echo $(ls /proc/self/fd); readlink /proc/$$/fd/0; pwd';
        const r = await run(pool, { tries: sh(script), cwd: '/usr', env: {}, logPath: log(), header: '--- head ---\n' });
        const [head, ids, fds, stdin, cwd] = r.log.trim().split('\n');
        // Signals as the job got them: grep exec'd directly reads its own (a shell's, read from a
        // child, may be caught with all signals blocked around one of its own forks).
        const sig = await run(pool, { tries: [{ file: 'grep', args: ['-E', '^Sig(Blk|Ign)', '/proc/self/status'] }], cwd: '/', env: {}, logPath: log() });
        const [blk, ign] = sig.log.trim().split('\n');
        assert.equal(head, '--- head ---');
        assert.equal(ids, `${r.pid} ${r.pid}`, 'the job leads its own session');
        const outside = new Set(inheritableFds());
        // ls's own directory fd is the lowest free one: 3, when nothing leaked into the job.
        assert.deepEqual(fds!.trim().split(' ').filter((fd) => !outside.has(fd)), ['0', '1', '2', '3'], 'no fd of the helper or its parent leaks into a job');
        assert.equal(stdin, '/dev/null');
        // Signals 32 and 33 are glibc's own (SIGRTMIN is 34 for its programs); its posix_spawn
        // leaves them ignored and no caller can say otherwise. Every signal a program can use
        // must be at its default.
        assert.equal(BigInt(`0x${ign!.split('\t')[1]}`) & ~0x180000000n, 0n, ign);
        assert.equal(blk, 'SigBlk:\t0000000000000000');
        assert.equal(cwd, '/usr');
      } finally {
        pool.close();
      }
    });

    test('exit signals, the shell fallback for a missing program, PATH from the job env, failures with messages', async () => {
      const pool = new HelperSpawner([program], 1);
      try {
        const killed = await run(pool, { tries: sh('kill -TERM $$'), cwd: dir, env: {}, logPath: log() });
        assert.deepEqual([killed.code, killed.signal], [null, 'SIGTERM']);
        // A plain command whose program is missing: the next try (the shell) reports it.
        const missing = await run(pool, { tries: [{ file: 'no-such-program-bl', args: [] }, ...sh('no-such-program-bl')], cwd: dir, env: {}, logPath: log() });
        assert.equal(missing.code, 127);
        assert.match(missing.log, /no-such-program-bl: not found/);
        // A bare name is looked up in the job's PATH, not the helper's.
        const bin = mkdtempSync(path.join(dir, 'bin-'));
        writeFileSync(path.join(bin, 'bl-hello'), '#!/bin/sh\necho hello from $0\n');
        chmodSync(path.join(bin, 'bl-hello'), 0o755);
        const found = await run(pool, { tries: [{ file: 'bl-hello', args: [] }], cwd: dir, env: { PATH: `${bin}:/usr/bin:/bin` }, logPath: log() });
        assert.equal(found.log, `hello from ${path.join(bin, 'bl-hello')}\n`);
        await assert.rejects(run(pool, { tries: sh('true'), cwd: path.join(dir, 'gone'), env: {}, logPath: log() }), new RegExp(`cannot start the job in ${path.join(dir, 'gone')}: .*ENOENT`));
        await assert.rejects(run(pool, { tries: sh('true'), cwd: dir, env: {}, logPath: path.join(dir, 'gone', 'x.log') }), /cannot open the log file .*gone\/x\.log/);
        await assert.rejects(run(pool, { tries: [{ file: 'no-such-program-bl', args: [] }], cwd: dir, env: {}, logPath: log() }), /cannot start the job in .*no-such-program-bl ENOENT/);
      } finally {
        pool.close();
      }
    });

    test('standby: a held job starts at the exit of a running one, or on go; a withdrawn one never', async () => {
      const pool = new HelperSpawner([program], 1);
      try {
        const events: string[] = [];
        const ev = (name: string): SpawnEvents => ({
          spawned: () => events.push(`${name} spawned`),
          failed: (m) => events.push(`${name} failed ${m}`),
          exited: (code) => events.push(`${name} exited ${code}`),
          lost: (m) => events.push(`${name} lost ${m}`),
          withdrawn: () => events.push(`${name} withdrawn`),
        });
        const mark = path.join(dir, `standby-${Math.random()}`);
        // A runs until the file `mark` appears; B is held behind it, C and D are held too.
        pool.spawn({ tries: sh(`while [ ! -e ${mark} ]; do sleep 0.02; done`), cwd: dir, env: {}, logPath: log(), header: null }, ev('A'));
        await waitFor('A to start', () => events.includes('A spawned'));
        pool.spawn({ tries: sh('echo B'), cwd: dir, env: {}, logPath: log(), header: null, standby: true }, ev('B'));
        const c = pool.spawn({ tries: sh('exit 3'), cwd: dir, env: {}, logPath: log(), header: null, standby: true }, ev('C'));
        const dh = pool.spawn({ tries: sh('echo D'), cwd: dir, env: {}, logPath: log(), header: null, standby: true }, ev('D'));
        dh.withdraw();
        await waitFor('D to come back', () => events.includes('D withdrawn'));
        assert.deepEqual(events, ['A spawned', 'D withdrawn'], 'held jobs wait');
        writeFileSync(mark, '');
        await waitFor('B to end', () => events.includes('B exited 0'));
        // B took A's slot the moment A exited; C waits for B's exit, which started it too.
        await waitFor('C to end', () => events.includes('C exited 3'));
        assert.deepEqual(events.slice(0, 6), ['A spawned', 'D withdrawn', 'A exited 0', 'B spawned', 'B exited 0', 'C spawned']);
        // go: a held job starts now, with no exit.
        const e = pool.spawn({ tries: sh('echo E'), cwd: dir, env: {}, logPath: log(), header: null, standby: true }, ev('E'));
        // F, sent after E, has started: the helper has read E's request and holds it. F runs
        // until `fmark` appears, written once E has ended: no race with a clock.
        const fmark = `${mark}-f`;
        pool.spawn({ tries: sh(`while [ ! -e ${fmark} ]; do sleep 0.02; done`), cwd: dir, env: {}, logPath: log(), header: null }, ev('F'));
        await waitFor('F to start', () => events.includes('F spawned'));
        assert.ok(!events.includes('E spawned'), 'held until go');
        e.go();
        await waitFor('E to end', () => events.includes('E exited 0'));
        assert.ok(!events.includes('F exited 0'), 'E started on go, not at an exit');
        writeFileSync(fmark, '');
        await waitFor('F to end', () => events.includes('F exited 0'));
        c.withdraw(); // started long ago: no effect
        assert.ok(!events.includes('C withdrawn'));
      } finally {
        pool.close();
      }
    });

    test('a job inherits the environment of the parent unless the request gives a base', async () => {
      const pool = new HelperSpawner([program], 1);
      try {
        const echo = sh('echo "${HOME:-none} $X"');
        assert.equal((await run(pool, { tries: echo, cwd: dir, env: { X: 'x' }, logPath: log() })).log, `${process.env.HOME ?? 'none'} x\n`);
        assert.equal((await run(pool, { tries: echo, cwd: dir, env: { X: 'x' }, baseEnv: { PATH: process.env.PATH! }, logPath: log() })).log, 'none x\n');
        // Nothing of the helper's own making: no IPC variables, no locale coerced by Python.
        const env = (await run(pool, { tries: [{ file: '/usr/bin/env', args: [] }], cwd: dir, env: {}, logPath: log() })).log;
        const want = Object.entries(process.env).map(([k, v]) => `${k}=${v}`).sort();
        assert.deepEqual(env.trim().split('\n').sort(), want);
      } finally {
        pool.close();
      }
    });
  });
}

const broken: HelperProgram[] = [
  { name: 'missing helper', argv: ['/nonexistent/bl-python3'] },
  { name: 'helper that quits', argv: ['/bin/sh', '-c', 'exit 3'] },
];

for (const first of broken) {
  test(`a ${first.name} that never gets ready hands its jobs to the next program, once`, async () => {
    const pool = new HelperSpawner([first, NODE_SPAWNER], 2);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bl-helpers-'));
    try {
      const ends = await Promise.all([1, 2, 3].map((i) => run(pool, { tries: sh(`echo ${i}`), cwd: dir, env: {}, logPath: path.join(dir, `${i}.log`) })));
      assert.deepEqual(ends.map((e) => e.log), ['1\n', '2\n', '3\n']);
      assert.equal(pool.program, NODE_SPAWNER);
    } finally {
      pool.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('with no program left to fall back on, the jobs fail with the reason', async () => {
  const pool = new HelperSpawner([broken[1]!], 1);
  try {
    await assert.rejects(run(pool, { tries: sh('true'), cwd: '/', env: {}, logPath: '/dev/null' }), /cannot start the job: the helper that quits process exited \(code 3\)/);
  } finally {
    pool.close();
  }
});

describe('the python3 spawner\'s log files', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bl-helpers-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a brief silent job leaves no file; one with output, or a header, has it by its exit; a later attempt appends', async () => {
    const pool = new HelperSpawner([PYTHON_SPAWNER], 1);
    try {
      const silent = path.join(dir, 'silent.log');
      await run(pool, { tries: [{ file: '/bin/true', args: [] }], cwd: dir, env: {}, logPath: silent });
      assert.equal(existsSync(silent), false);
      const said = path.join(dir, 'said.log');
      assert.equal((await run(pool, { tries: sh('echo one'), cwd: dir, env: {}, logPath: said })).log, 'one\n');
      assert.equal((await run(pool, { tries: sh('echo two'), cwd: dir, env: {}, logPath: said, header: '--- 2 ---\n' })).log, 'one\n--- 2 ---\ntwo\n');
      const headed = path.join(dir, 'headed.log');
      assert.equal((await run(pool, { tries: [{ file: '/bin/true', args: [] }], cwd: dir, env: {}, logPath: headed, header: '--- 2 ---\n' })).log, '--- 2 ---\n');
      // Its leader gone without a word, the group lives on and may still write: named.
      const left = path.join(dir, 'left.log');
      await run(pool, { tries: sh('(sleep 0.3; echo late) & exit 0'), cwd: dir, env: {}, logPath: left });
      assert.equal(existsSync(left), true);
      await waitFor('the late line', () => readLog(left) === 'late\n');
    } finally {
      pool.close();
    }
  });

  test('a running job\'s log is there to read within moments, and so are those of jobs running when the parent goes', async () => {
    const pool = new HelperSpawner([PYTHON_SPAWNER], 1);
    try {
      const slow = path.join(dir, 'slow.log');
      const ended = run(pool, { tries: sh('sleep 0.5'), cwd: dir, env: {}, logPath: slow });
      await waitFor('the log of the running job', () => existsSync(slow), { timeout: 2000 });
      await ended;
      // The parent goes while a job has just started: the helper names its log before it exits.
      const orphan = path.join(dir, 'orphan.log');
      let pid = 0;
      pool.spawn({ tries: sh('sleep 0.3'), cwd: dir, env: {}, logPath: orphan, header: null }, { spawned: (p) => (pid = p), failed: () => undefined, exited: () => undefined, lost: () => undefined });
      await waitFor('the job to start', () => pid > 0);
      pool.close();
      await waitFor('the log of the orphaned job', () => existsSync(orphan), { timeout: 2000 });
      await waitFor('the orphaned job to end', () => !alive(pid));
    } finally {
      pool.close(); // a second close does nothing: here for a test that failed before the first
    }
  });
});
