// A job whose request asks for its output to be copied (SpawnRequest.output: log_max_bytes,
// log_keep, log_timestamps): its helper copies a pipe into the log, rotating it by renames into
// <log>.1 … <log>.<keep> and stamping each line; everything the job wrote is in the log when
// its exit is told; the copying goes on while the parent is gone. Both helpers, real jobs.
import { test, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HelperSpawner, type HelperProgram } from '../../../runner/spawn-helpers/helper-spawner.js';
import { NODE_HELPER_PROGRAM, PYTHON_HELPER_PROGRAM } from '../../../runner/spawn-helpers/programs.js';
import type { OnEof } from '../../../runner/spawn-helpers/protocol.js';
import type { SpawnRequest } from '../../../runner/spawner.js';
import { descendants, isSpawner } from '../../helpers/proc.js';
import { waitFor } from '../../helpers/wait.js';

const hold = setInterval(() => undefined, 1000);
after(() => clearInterval(hold));

const STAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /;
const sh = (script: string) => [{ file: '/bin/sh', args: ['-c', script] }];
const helperChildren = (): number[] => descendants(process.pid).filter(isSpawner);
const pool = (program: HelperProgram, onEof: OnEof = 'leave') => new HelperSpawner([program], { onEof, max: 1 });

function run(helpers: HelperSpawner, req: Omit<SpawnRequest, 'header'> & { header?: string | null }): Promise<{ code: number | null; log: string }> {
  return new Promise((resolve, reject) => {
    helpers.spawn(
      { header: null, ...req },
      {
        spawned: () => undefined,
        failed: (m) => reject(new Error(m)),
        exited: (code) => resolve({ code, log: existsSync(req.logPath) ? readFileSync(req.logPath, 'utf8') : '' }),
        lost: (m) => reject(new Error(m)),
      },
    );
  });
}

for (const program of [PYTHON_HELPER_PROGRAM, NODE_HELPER_PROGRAM]) {
  describe(`the ${program.name}`, () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bl-log-output-'));
    let n = 0;
    const log = () => path.join(dir, `${++n}.log`);
    after(() => rmSync(dir, { recursive: true, force: true }));

    test('rotation: at most keep rotated files, each ending a line at or past the limit, the newest lines all there at the exit', async () => {
      const helpers = pool(program);
      const file = log();
      const N = 400_000; // 6.4 MB of 16-byte lines through files of 256 KiB, 3 kept
      const max = 256 << 10;
      try {
        const r = await run(helpers, { tries: sh(`seq -f %015.0f 1 ${N}`), cwd: dir, env: {}, logPath: file, output: { maxBytes: max, keep: 3, timestamps: false } });
        assert.equal(r.code, 0);
        assert.ok(!existsSync(`${file}.4`), 'no more than keep rotated files');
        const files = [`${file}.3`, `${file}.2`, `${file}.1`, file];
        for (const f of files.slice(0, 3)) {
          const size = statSync(f).size;
          assert.ok(size >= max && size < max + 16, `${path.basename(f)}: ${size} bytes, rotated at the first line end past ${max}`);
        }
        // The files, oldest first, are the last lines of the sequence, in order, none twice.
        const lines = files.map((f) => readFileSync(f, 'latin1')).join('').split('\n');
        assert.equal(lines.pop(), '');
        const first = Number(lines[0]);
        assert.ok(lines.every((l, i) => Number(l) === first + i && l.length === 15), 'one sequence across the files');
        assert.equal(Number(lines.at(-1)), N, 'the last line was in the log when the exit was told');
      } finally {
        helpers.close();
      }
    });

    test('timestamps: each line starts with the time it was read, a line written in two parts once; the attempt header as it is', async () => {
      const helpers = pool(program);
      try {
        const r = await run(helpers, {
          tries: sh('echo one; printf tw; sleep 0.2; echo o; echo three >&2'),
          cwd: dir,
          env: {},
          logPath: log(),
          header: '--- bl: attempt 2 ---\n',
          output: { maxBytes: null, keep: 3, timestamps: true },
        });
        const lines = r.log.split('\n');
        assert.equal(lines.shift(), '--- bl: attempt 2 ---');
        assert.equal(lines.pop(), '');
        assert.deepEqual(lines.map((l) => l.replace(STAMP, '')), ['one', 'two', 'three']);
        assert.ok(lines.every((l) => STAMP.test(l)), r.log);
      } finally {
        helpers.close();
      }
    });

    test('a job that cannot start: the reason in its log, its failure told', async () => {
      const helpers = pool(program);
      const file = log();
      try {
        await assert.rejects(run(helpers, { tries: sh('true'), cwd: path.join(dir, 'nowhere'), env: {}, logPath: file, output: { maxBytes: 1024, keep: 1, timestamps: true } }), /cannot start the job/);
        assert.match(readFileSync(file, 'utf8'), /bl: cannot start the job: spawn \/bin\/sh ENOENT\n$/);
      } finally {
        helpers.close();
      }
    });

    test('a log whose folder goes mid-run: the output is lost, never the helper; the job runs to its end and the next job runs', async () => {
      const helpers = pool(program);
      const sub = path.join(dir, `gone-${n}`);
      mkdirSync(sub);
      const go = path.join(dir, `go-${n}`);
      try {
        const first = run(helpers, {
          tries: sh(`echo before; while [ ! -e ${go} ]; do sleep 0.02; done; i=0; while [ $i -lt 200 ]; do i=$((i+1)); echo "after $i"; done; exit 3`),
          cwd: dir,
          env: {},
          logPath: path.join(sub, 'job.log'),
          output: { maxBytes: 1024, keep: 2, timestamps: false },
        });
        await waitFor('the first line', () => existsSync(path.join(sub, 'job.log')) && readFileSync(path.join(sub, 'job.log'), 'utf8') === 'before\n');
        rmSync(sub, { recursive: true });
        writeFileSync(go, '');
        assert.equal((await first).code, 3, 'its exit told');
        const next = await run(helpers, { tries: sh('echo next'), cwd: dir, env: {}, logPath: log(), output: { maxBytes: 1024, keep: 2, timestamps: false } });
        assert.deepEqual([next.code, next.log], [0, 'next\n']);
      } finally {
        helpers.close();
      }
    });

    test('the parent goes: its helper, the keeper, copies and rotates on until the job ends', async () => {
      await waitFor('helpers of earlier tests to exit', () => helperChildren().length === 0);
      const helpers = pool(program, 'keep');
      const file = log();
      let spawned!: () => void;
      const started = new Promise<void>((r) => (spawned = r));
      helpers.spawn(
        { tries: sh('i=0; while [ $i -lt 300 ]; do i=$((i+1)); echo "line $i of a job whose parent went"; sleep 0.005; done'), cwd: dir, env: {}, logPath: file, header: null, output: { maxBytes: 2048, keep: 100, timestamps: true } },
        { spawned: () => spawned(), failed: () => undefined, exited: () => undefined, lost: () => undefined },
      );
      await started;
      helpers.close();
      await waitFor('the keeper to exit once its job ended', () => helperChildren().length === 0, { timeout: 60_000 });
      const files = [];
      for (let i = 100; i >= 1; i--) if (existsSync(`${file}.${i}`)) files.push(`${file}.${i}`);
      files.push(file);
      assert.ok(files.length > 5, `rotated ${files.length - 1} times while no parent was there`);
      const lines = files.map((f) => readFileSync(f, 'utf8')).join('').split('\n').slice(0, -1);
      assert.deepEqual(
        lines.map((l) => l.replace(STAMP, '')),
        Array.from({ length: 300 }, (_, i) => `line ${i + 1} of a job whose parent went`),
      );
      assert.ok(lines.every((l) => STAMP.test(l)));
    });
  });
}
