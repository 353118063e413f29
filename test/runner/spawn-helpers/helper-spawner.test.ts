// Jobs are forked by helper processes: spawn-helper.py (posix_spawn) where python3 runs, else
// the Node helper. Both speak one protocol (runner/spawn-helpers/protocol.ts) and behave the
// same, so every case here runs against both: a job's own session, log on stdout and stderr,
// stdin /dev/null, no inherited fds, every signal at its default, the job's env over the
// parent's, logs named as the protocol says, running jobs left or killed when the parent goes.
// A burst goes to more than one helper, up to the cap.
import { test, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HelperSpawner, type HelperProgram } from '../../../runner/spawn-helpers/helper-spawner.js';
import { NODE_HELPER_PROGRAM, PYTHON_HELPER_PROGRAM } from '../../../runner/spawn-helpers/programs.js';
import type { OnEof } from '../../../runner/spawn-helpers/protocol.js';
import type { SpawnEvents, SpawnRequest } from '../../../runner/spawner.js';
import { alive, descendants, isSpawner } from '../../helpers/proc.js';
import { waitFor } from '../../helpers/wait.js';

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
  at: number;
  heard: number;
}

/** A log as the daemon serves it: a job that said nothing may leave no file (protocol.ts). */
function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw e;
  }
}

function run(helpers: HelperSpawner, req: Omit<SpawnRequest, 'header'> & { header?: string | null }): Promise<Ended> {
  let pid = 0;
  return new Promise((resolve, reject) => {
    const ev: SpawnEvents = {
      spawned: (p) => (pid = p),
      failed: (m) => reject(new Error(m)),
      exited: (code, signal, _left, at) => resolve({ pid, code, signal, log: readLog(req.logPath), at, heard: Date.now() }),
      lost: (m) => reject(new Error(m)),
    };
    helpers.spawn({ header: null, ...req }, ev);
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
const pool = (program: HelperProgram, max = 1, o: { idleMs?: number; onEof?: OnEof } = {}) => new HelperSpawner([program], { onEof: 'leave', max, ...o });
const quiet: SpawnEvents = { spawned: () => undefined, failed: () => undefined, exited: () => undefined, lost: () => undefined };

for (const program of [PYTHON_HELPER_PROGRAM, NODE_HELPER_PROGRAM]) {
  describe(`the ${program.name}`, () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bl-helpers-'));
    const log = () => path.join(dir, `${Math.random()}.log`);
    after(() => rmSync(dir, { recursive: true, force: true }));

    test('a burst of starts is spread over helpers up to the cap; each job reports its pid, exit and log', async () => {
      await waitFor('helpers of earlier tests to exit', () => helperChildren().length === 0);
      const helpers = pool(program, 2);
      try {
        const sent = Date.now();
        const results = Array.from({ length: 6 }, (_, i) => run(helpers, { tries: sh(`echo job ${i} $JOB_N; exit ${i}`), cwd: dir, env: { JOB_N: `n${i}` }, logPath: log() }));
        // Six requests sent at once: the first helper is busy forking when the second comes.
        assert.equal(helpers.size, 2, 'two helpers, the cap');
        const done = await Promise.all(results);
        done.forEach((r, i) => {
          assert.ok(r.pid > 1);
          assert.deepEqual([r.code, r.signal], [i, null]);
          // The job's own variables on top of the environment it inherits.
          assert.equal(r.log, `job ${i} n${i}\n`);
          // The exit's time comes from the helper (a job's finished_at), the same clock as ours.
          assert.ok(r.at >= sent - 1 && r.at <= r.heard + 1, `exit seen at ${r.at}, between ${sent} and ${r.heard}`);
        });
      } finally {
        helpers.close();
      }
      await waitFor('the helpers to exit once closed', () => helperChildren().length === 0);
    });

    test('a request execve cannot take fails alone, with the reason; the helper lives on and runs the next jobs', async () => {
      await waitFor('helpers of earlier tests to exit', () => helperChildren().length === 0);
      const helpers = pool(program, 1);
      try {
        await run(helpers, { tries: sh('true'), cwd: dir, env: {}, logPath: log() });
        const [helper] = helperChildren();
        const t = (args: string[]) => [{ file: '/bin/echo', args }];
        const poison: [Omit<SpawnRequest, 'header' | 'logPath'>, RegExp][] = [
          [{ tries: t(['a\0b']), cwd: dir, env: {} }, /argument 1 of "\/bin\/echo" holds a NUL byte/],
          [{ tries: [{ file: '/bin/ec\0ho', args: [] }], cwd: dir, env: {} }, /argument 0 of .* holds a NUL byte/],
          [{ tries: sh('echo $A'), cwd: dir, env: { 'A=B': 'x' } }, /name "A=B" is empty or holds = or a NUL byte/],
          [{ tries: sh('true'), cwd: dir, env: { '': 'x' } }, /name "" is empty/],
          [{ tries: sh('true'), cwd: dir, env: { 'A\0': 'x' } }, /name "A\\u0000" is empty or holds = or a NUL byte/],
          [{ tries: sh('true'), cwd: dir, env: { A: 'x\0y' } }, /variable A holds a NUL byte/],
          [{ tries: sh('true'), cwd: `${dir}\0x`, env: {} }, /working directory holds a NUL byte/],
          // Not even a request of the protocol: whatever it breaks fails that job alone.
          [{ tries: [], cwd: dir, env: {} }, /cannot start the job/],
          [{ tries: sh('true'), cwd: dir, env: { A: 5 as unknown as string } }, /cannot start the job/],
          [{ tries: [{ file: '/bin/echo', args: [7 as unknown as string] }], cwd: dir, env: {} }, /cannot start the job/],
        ];
        const results: Promise<unknown>[] = [];
        poison.forEach(([req, why], i) => {
          results.push(assert.rejects(run(helpers, { ...req, logPath: log() }), why, `poison ${i}`));
          results.push(run(helpers, { tries: sh(`echo innocent ${i}`), cwd: dir, env: { N: String(i) }, logPath: log() }).then((r) => assert.deepEqual([r.code, r.log], [0, `innocent ${i}\n`])));
        });
        await Promise.all(results);
        assert.deepEqual(helperChildren(), [helper], 'the same helper, alive');
      } finally {
        helpers.close();
      }
    });

    test('a job\'s log is open for append, whether the log is new or an earlier attempt\'s', async () => {
      const helpers = pool(program);
      try {
        const file = log();
        // O_APPEND is 02000 in the flags /proc shows (octal).
        const flags = 'grep flags /proc/self/fdinfo/1';
        const first = await run(helpers, { tries: sh(flags), cwd: dir, env: {}, logPath: file });
        const second = await run(helpers, { tries: sh(flags), cwd: dir, env: {}, logPath: file, header: '--- 2 ---\n' });
        const all = [...second.log.matchAll(/flags:\s+(\d+)/g)].map((m) => parseInt(m[1]!, 8));
        assert.equal(all.length, 2, second.log);
        assert.equal(first.log.split('\n')[0], second.log.split('\n')[0]);
        for (const f of all) assert.equal(f & 0o2000, 0o2000, `flags ${f.toString(8)} without O_APPEND`);
      } finally {
        helpers.close();
      }
    });

    test('helpers exit once idle for idleMs, never while a job runs; the next job starts new ones', async () => {
      await waitFor('helpers of earlier tests to exit', () => helperChildren().length === 0);
      const helpers = pool(program, 2, { idleMs: 150 });
      try {
        // A job three times longer than the idle time: its helper must be there for its exit.
        const long = await run(helpers, { tries: sh('sleep 0.45; echo long'), cwd: dir, env: {}, logPath: log() });
        assert.deepEqual([long.code, long.log], [0, 'long\n']);
        await waitFor('the idle helper to exit', () => helpers.size === 0 && helperChildren().length === 0);
        const next = await run(helpers, { tries: sh('echo next'), cwd: dir, env: {}, logPath: log() });
        assert.deepEqual([next.code, next.log], [0, 'next\n']);
        assert.equal(helpers.size, 1, 'a new helper');
      } finally {
        helpers.close();
      }
      await waitFor('the helpers to exit once closed', () => helperChildren().length === 0);
    });

    test('a job starts clean: own session, stdin /dev/null, fds 0-2 only, no signal ignored or blocked, in its cwd', async () => {
      const helpers = pool(program);
      try {
        const script = 'echo "$$ $(cut -d" " -f6 /proc/$$/stat)"; echo $(ls /proc/self/fd); readlink /proc/$$/fd/0; pwd';
        const r = await run(helpers, { tries: sh(script), cwd: '/usr', env: {}, logPath: log(), header: '--- head ---\n' });
        const [head, ids, fds, stdin, cwd] = r.log.trim().split('\n');
        // Signals as the job got them: grep exec'd directly reads its own (a shell's, read from a
        // child, may be caught with all signals blocked around one of its own forks).
        const sig = await run(helpers, { tries: [{ file: 'grep', args: ['-E', '^Sig(Blk|Ign)', '/proc/self/status'] }], cwd: '/', env: {}, logPath: log() });
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
        helpers.close();
      }
    });

    test('exit signals, the shell fallback for a missing program, PATH from the job env, failures with messages', async () => {
      const helpers = pool(program);
      try {
        const killed = await run(helpers, { tries: sh('kill -TERM $$'), cwd: dir, env: {}, logPath: log() });
        assert.deepEqual([killed.code, killed.signal], [null, 'SIGTERM']);
        // A plain command whose program is missing: the next try (the shell) reports it.
        const missing = await run(helpers, { tries: [{ file: 'no-such-program-bl', args: [] }, ...sh('no-such-program-bl')], cwd: dir, env: {}, logPath: log() });
        assert.equal(missing.code, 127);
        assert.match(missing.log, /no-such-program-bl: not found/);
        // A bare name is looked up in the job's PATH, not the helper's.
        const bin = mkdtempSync(path.join(dir, 'bin-'));
        writeFileSync(path.join(bin, 'bl-hello'), '#!/bin/sh\necho hello from $0\n');
        chmodSync(path.join(bin, 'bl-hello'), 0o755);
        const found = await run(helpers, { tries: [{ file: 'bl-hello', args: [] }], cwd: dir, env: { PATH: `${bin}:/usr/bin:/bin` }, logPath: log() });
        assert.equal(found.log, `hello from ${path.join(bin, 'bl-hello')}\n`);
        await assert.rejects(run(helpers, { tries: sh('true'), cwd: path.join(dir, 'gone'), env: {}, logPath: log() }), new RegExp(`cannot start the job in ${path.join(dir, 'gone')}: .*ENOENT`));
        await assert.rejects(run(helpers, { tries: sh('true'), cwd: dir, env: {}, logPath: path.join(dir, 'gone', 'x.log') }), /cannot open the log file .*gone\/x\.log/);
        await assert.rejects(run(helpers, { tries: [{ file: 'no-such-program-bl', args: [] }], cwd: dir, env: {}, logPath: log() }), /cannot start the job in .*no-such-program-bl ENOENT/);
      } finally {
        helpers.close();
      }
    });

    test('SIGTERM and SIGUSR2 to a helper (a batch system signals every process of a job) leave it working: its job’s end still comes', async () => {
      await waitFor('helpers of earlier tests to exit', () => helperChildren().length === 0);
      const helpers = pool(program);
      try {
        const mark = path.join(dir, `go-${Math.random()}`);
        const started = path.join(dir, `started-${Math.random()}`);
        const job = run(helpers, { tries: sh(`: > ${started}; while [ ! -e ${mark} ]; do sleep 0.02; done; echo done`), cwd: dir, env: {}, logPath: log() });
        await waitFor('the job to start', () => existsSync(started));
        const [helper] = helperChildren();
        for (const sig of ['SIGTERM', 'SIGUSR2'] as const) process.kill(helper!, sig);
        writeFileSync(mark, '');
        const end = await job;
        assert.deepEqual([end.code, end.signal, end.log], [0, null, 'done\n']);
        assert.ok(alive(helper!), 'the helper outlived both signals');
      } finally {
        helpers.close();
      }
      await waitFor('the helpers to exit once closed', () => helperChildren().length === 0);
    });

    test('a job inherits the environment of the parent, its own variables on top', async () => {
      const helpers = pool(program);
      try {
        const echo = sh('echo "${HOME:-none} $X"');
        assert.equal((await run(helpers, { tries: echo, cwd: dir, env: { X: 'x' }, logPath: log() })).log, `${process.env.HOME ?? 'none'} x\n`);
        // Nothing of the helper's own making: no IPC variables, no locale coerced by Python.
        const env = (await run(helpers, { tries: [{ file: '/usr/bin/env', args: [] }], cwd: dir, env: {}, logPath: log() })).log;
        const want = Object.entries(process.env).map(([k, v]) => `${k}=${v}`).sort();
        assert.deepEqual(env.trim().split('\n').sort(), want);
      } finally {
        helpers.close();
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
    const helpers = new HelperSpawner([first, NODE_HELPER_PROGRAM], { onEof: 'leave', max: 2 });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bl-helpers-'));
    try {
      const ends = await Promise.all([1, 2, 3].map((i) => run(helpers, { tries: sh(`echo ${i}`), cwd: dir, env: {}, logPath: path.join(dir, `${i}.log`) })));
      assert.deepEqual(ends.map((e) => e.log), ['1\n', '2\n', '3\n']);
      assert.equal(helpers.program, NODE_HELPER_PROGRAM);
    } finally {
      helpers.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('with no program left to fall back on, the jobs fail with the reason', async () => {
  const helpers = pool(broken[1]!);
  try {
    await assert.rejects(run(helpers, { tries: sh('true'), cwd: '/', env: {}, logPath: '/dev/null' }), /cannot start the job: the helper that quits process exited \(code 3\)/);
  } finally {
    helpers.close();
  }
});

for (const program of [PYTHON_HELPER_PROGRAM, NODE_HELPER_PROGRAM]) describe(`the ${program.name}'s log files, and its jobs when the parent goes`, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bl-helpers-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a brief silent job leaves no file; one with output, or a header, has it by its exit; a later attempt appends', async () => {
    const helpers = pool(program);
    try {
      const silent = path.join(dir, 'silent.log');
      await run(helpers, { tries: [{ file: '/bin/true', args: [] }], cwd: dir, env: {}, logPath: silent });
      assert.equal(existsSync(silent), false);
      const said = path.join(dir, 'said.log');
      assert.equal((await run(helpers, { tries: sh('echo one'), cwd: dir, env: {}, logPath: said })).log, 'one\n');
      assert.equal((await run(helpers, { tries: sh('echo two'), cwd: dir, env: {}, logPath: said, header: '--- 2 ---\n' })).log, 'one\n--- 2 ---\ntwo\n');
      const headed = path.join(dir, 'headed.log');
      assert.equal((await run(helpers, { tries: [{ file: '/bin/true', args: [] }], cwd: dir, env: {}, logPath: headed, header: '--- 2 ---\n' })).log, '--- 2 ---\n');
      // Its leader gone without a word, the group lives on and may still write: named.
      const left = path.join(dir, 'left.log');
      await run(helpers, { tries: sh('(sleep 0.3; echo late) & exit 0'), cwd: dir, env: {}, logPath: left });
      assert.equal(existsSync(left), true);
      await waitFor('the late line', () => readLog(left) === 'late\n');
    } finally {
      helpers.close();
    }
  });

  test('a running job\'s log is there to read within moments, and so are those of jobs running when the parent goes', async () => {
    const helpers = pool(program);
    try {
      const slow = path.join(dir, 'slow.log');
      const ended = run(helpers, { tries: sh('sleep 0.5'), cwd: dir, env: {}, logPath: slow });
      await waitFor('the log of the running job', () => existsSync(slow), { timeout: 2000 });
      await ended;
      // The parent goes while a job has just started (onEof 'leave'): the job runs on, and the
      // helper names its log before it exits. The job waits for `mark`, written by the test.
      const orphan = path.join(dir, 'orphan.log');
      const mark = path.join(dir, 'orphan.mark');
      let pid = 0;
      helpers.spawn({ tries: sh(`while [ ! -e ${mark} ]; do sleep 0.02; done`), cwd: dir, env: {}, logPath: orphan, header: null }, { ...quiet, spawned: (p) => (pid = p) });
      await waitFor('the job to start', () => pid > 0);
      helpers.close();
      await waitFor('the log of the orphaned job', () => existsSync(orphan));
      await waitFor('its helper to exit', () => helperChildren().length === 0);
      assert.ok(alive(pid), 'the job runs on without its helper');
      writeFileSync(mark, '');
      await waitFor('the orphaned job to end', () => !alive(pid));
    } finally {
      helpers.close(); // a second close does nothing: here for a test that failed before the first
    }
  });

  test('with onEof "kill", a parent that goes takes every process of its jobs along, escapees included', async () => {
    const helpers = pool(program, 1, { onEof: 'kill' });
    try {
      const pids = path.join(dir, `tree-${Math.random()}`);
      // A child in the job's group, and a grandchild in a session of its own (setsid), which
      // only its BL_JOB_RUN marker ties to the job.
      const script = `sleep 600 & echo $! >> ${pids}; setsid sleep 600 & echo $! >> ${pids}; wait`;
      let leader = 0;
      helpers.spawn({ tries: sh(script), cwd: dir, env: { BL_JOB_RUN: `job-${Math.random()}:1@local` }, logPath: path.join(dir, 'tree.log'), header: null }, { ...quiet, spawned: (p) => (leader = p) });
      const tree = await waitFor('the job and its two children', () => {
        const kids = readLog(pids).trim().split('\n').filter(Boolean).map(Number);
        return leader > 0 && kids.length === 2 && kids.every(alive) ? [leader, ...kids] : undefined;
      });
      helpers.close();
      await waitFor('every process of the job to be gone', () => tree.every((p) => !alive(p)));
    } finally {
      helpers.close();
    }
  });
});
