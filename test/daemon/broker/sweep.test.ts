// A 3×3 sweep is 9 jobs in 9 output directories named by the sha256 of
// their canonical params; the same sweep again makes no job; `force` runs them all again.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { waitState } from '../../helpers/jobs.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('parameter sweeps', () => {
  let d: InProcessDaemon;
  let work: string;
  before(async () => {
    d = await startInProcess({ config: { broker: { concurrency: 4 } } });
    work = path.join(d.dir, 'work');
    mkdirSync(work);
  });
  after(() => d.cleanup());

  // Each job writes its BL_PARAMS and its substituted arguments into its own directory, and
  // appends to a run count there so a forced re-run shows.
  const sweep = (extra: Record<string, unknown> = {}) => ({
    command: `printf '%s\\n' "$BL_PARAMS" > "$BL_OUTPUT_DIR/params.json"; echo {lr}/{depth} > "$BL_OUTPUT_DIR/args"; echo run >> "$BL_OUTPUT_DIR/runs"`,
    cwd: work,
    params: { lr: [0.1, 0.01, 0.001], depth: [2, 4, 'deep'] },
    ...extra,
  });

  async function allSucceed(ids: string[]): Promise<void> {
    for (const id of ids) {
      const j = await waitState(d, id, ['succeeded', 'failed', 'timed_out', 'dead', 'lost'], 20000);
      assert.equal(j.state, 'succeeded', `job ${id}: ${j.reason ?? ''}`);
    }
  }

  it('runs a 3×3 sweep as 9 jobs in 9 distinct output directories', async () => {
    const r = await d.request('POST', '/jobs', sweep(), { Accept: 'application/json' });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.skipped, 0);
    const jobs = r.json.jobs as { id: string; command: string; params: Record<string, unknown>; env: Record<string, string> }[];
    assert.equal(jobs.length, 9);
    assert.deepEqual(jobs.map((j) => j.params), [0.1, 0.01, 0.001].flatMap((lr) => [2, 4, 'deep'].map((depth) => ({ lr, depth }))), 'first parameter slowest, in submit order');
    assert.ok(jobs.every((j) => !j.command.includes('{lr}')), 'placeholders replaced');
    assert.match((await d.request('GET', `/jobs/${jobs[0]!.id}`)).text, /^Params:\t\{"depth":2,"lr":0\.1\}$/m);
    await allSucceed(jobs.map((j) => j.id));

    const root = path.join(work, 'bl-runs');
    const dirs = readdirSync(root).sort();
    assert.equal(dirs.length, 9, `9 output dirs, found ${dirs.join(', ')}`);
    for (const j of jobs) {
      const canonical = JSON.stringify({ depth: j.params.depth, lr: j.params.lr }); // keys sorted
      const dir = path.join(root, sha(canonical));
      assert.equal(j.env.BL_OUTPUT_DIR, dir);
      assert.equal(readFileSync(path.join(dir, 'params.json'), 'utf8'), `${canonical}\n`, 'BL_PARAMS is the canonical JSON');
      assert.equal(readFileSync(path.join(dir, 'args'), 'utf8'), `${j.params.lr}/${j.params.depth}\n`);
      assert.equal(readFileSync(path.join(dir, 'runs'), 'utf8'), 'run\n');
    }
  });

  it('makes no job for combinations that already succeeded, in JSON and text', async () => {
    // Nothing was created: a 200, not a 201, saying so.
    const again = await d.request('POST', '/jobs', sweep(), { Accept: 'application/json' });
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.json, { jobs: [], skipped: 9 });
    // Same values in another key order are the same combinations.
    const text = await d.request('POST', '/jobs', sweep({ params: { depth: ['deep', 4, 2], lr: [0.001, 0.01, 0.1] } }));
    assert.equal(text.status, 200);
    assert.equal(text.text, 'Nothing new submitted: all 9 of its combinations have already succeeded (send "force": true to run them again)\n');
    const b = await d.api('GET', '/broker');
    assert.deepEqual(Object.entries(b.counts).filter(([, n]) => n !== 0), [['succeeded', 9]], 'still the 9 jobs of the first sweep, and no other');
  });

  it('with force runs every combination again, in the same directories', async () => {
    const r = await d.api('POST', '/jobs', sweep({ force: true }));
    assert.equal(r.jobs.length, 9);
    assert.equal(r.skipped, 0);
    await allSucceed(r.jobs.map((j: { id: string }) => j.id));
    const root = path.join(work, 'bl-runs');
    assert.equal(readdirSync(root).length, 9);
    for (const dir of readdirSync(root)) assert.equal(readFileSync(path.join(root, dir, 'runs'), 'utf8'), 'run\nrun\n');
  });

  it('skips only the combinations done: a new value adds its jobs, output_root is honoured', async () => {
    const fresh = await d.request('POST', '/jobs', sweep({ params: { lr: [0.7], depth: [2] } }));
    assert.equal(fresh.status, 201);
    const said = 'Sweep (sweep-\\w{26}) \\(wait on all of it with "after": "\\1"\\)\\n';
    assert.match(fresh.text, new RegExp(`^Submitted job \\w+\\n${said}$`), 'nothing said of skipping when none was; the sweep named');
    const text = await d.request('POST', '/jobs', sweep({ params: { lr: [0.1, 0.9], depth: [2] } }));
    assert.equal(text.status, 201);
    assert.match(text.text, new RegExp(`^Submitted job \\w+\\nSkipped 1 already done\\n${said}$`));
    const r = await d.api('POST', '/jobs', sweep({ params: { lr: [0.1, 0.5], depth: [2] } }));
    assert.equal(r.jobs.length, 1);
    assert.equal(r.skipped, 1);
    assert.deepEqual(r.jobs[0].params, { lr: 0.5, depth: 2 });
    const other = await d.api('POST', '/jobs', { command: 'touch "$BL_OUTPUT_DIR/x"', cwd: work, params: { n: [1] }, output_root: 'elsewhere' });
    await allSucceed([r.jobs[0].id, other.jobs[0].id]);
    assert.deepEqual(readdirSync(path.join(work, 'elsewhere')), [sha('{"n":1}')]);
  });

  // With no allow-list: a value is one shell word of data all the same (sweep.ts).
  const HOSTILE = ['a b', `it's "quoted"`, '$HOME', '`touch X`', '$(touch X)', 'a; touch X', 'a && touch X', 'line\ntouch X', '\\', '*', '', '-n', '~', '# not a comment'];

  it('gives a job each hostile value intact, as one argument, unquoted or in quotes, and runs none of it', async () => {
    const r = await d.api('POST', '/jobs', {
      command: `printf '%s' {v} > "$BL_OUTPUT_DIR/plain"; printf '%s' "{v}" > "$BL_OUTPUT_DIR/double"; printf '%s' '{v}' > "$BL_OUTPUT_DIR/single"; printf '%s|' {v} > "$BL_OUTPUT_DIR/count"`,
      cwd: work,
      params: { v: HOSTILE },
      output_root: 'hostile',
    });
    assert.equal(r.jobs.length, HOSTILE.length);
    await allSucceed(r.jobs.map((j: { id: string }) => j.id));
    for (const j of r.jobs as { env: Record<string, string>; params: { v: string } }[]) {
      const dir = j.env.BL_OUTPUT_DIR!;
      for (const f of ['plain', 'double', 'single']) assert.equal(readFileSync(path.join(dir, f), 'utf8'), j.params.v, `${f}: ${JSON.stringify(j.params.v)}`);
      assert.equal(readFileSync(path.join(dir, 'count'), 'utf8'), `${j.params.v}|`, 'one argument');
    }
    assert.equal(existsSync(path.join(work, 'X')), false, 'no value ran as a command');
  });

  it('gives argv jobs each value inside its element', async () => {
    const r = await d.api('POST', '/jobs', { argv: ['/bin/sh', '-c', 'printf "%s|" "$@" > "$BL_OUTPUT_DIR/args"', 'sh', '{v}', 'x={v}'], cwd: work, params: { v: HOSTILE }, output_root: 'hostile-argv' });
    await allSucceed(r.jobs.map((j: { id: string }) => j.id));
    for (const j of r.jobs as { env: Record<string, string>; params: { v: string } }[]) {
      assert.equal(readFileSync(path.join(j.env.BL_OUTPUT_DIR!, 'args'), 'utf8'), `${j.params.v}|x=${j.params.v}|`);
    }
    assert.equal(existsSync(path.join(work, 'X')), false);
  });

  it("runs the README's example as written", async () => {
    const r = await d.api('POST', '/jobs', { command: 'echo lr={lr} depth={depth} > $BL_OUTPUT_DIR/result', cwd: work, params: { lr: [0.1, 0.01], depth: [2, 4] }, output_root: 'readme' });
    await allSucceed(r.jobs.map((j: { id: string }) => j.id));
    for (const j of r.jobs as { env: Record<string, string>; params: { lr: number; depth: number } }[]) {
      assert.equal(readFileSync(path.join(j.env.BL_OUTPUT_DIR!, 'result'), 'utf8'), `lr=${j.params.lr} depth=${j.params.depth}\n`);
    }
  });

  it('refuses a value where it cannot be quoted, with 400', async () => {
    const r = await d.request('POST', '/jobs', { command: 'echo `echo {v}`', cwd: work, params: { v: ['$(touch X)'] } }, { Accept: 'application/json' });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.error.message, 'job: the value "$(touch X)" of {v} stands inside backticks (write $(…) instead), where only letters, digits and _@%+,./:- can go');
  });

  it('refuses bad sweeps with 400 and a message', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ command: 'run {lr} {dpth}', params: { lr: [1], depth: [2] } }, /uses \{dpth\}, which `params` does not name \(params: lr, depth\)/],
      [{ command: 'x {a} {b}', params: { a: Array.from({ length: 400 }, (_, i) => i), b: Array.from({ length: 300 }, (_, i) => i) } }, /at most 100000 combinations of `params`, found 120000 \(a: 400 × b: 300\)/],
      [{ command: 'x {a}', params: { a: [] } }, /`params.a` to be a non-empty array/],
      [{ command: 'x {a}', params: { a: [[1]] } }, /strings, numbers or booleans/],
      [{ command: 'x', force: true }, /`output_root` and `force` apply to a sweep/],
    ];
    for (const [body, re] of cases) {
      const r = await d.request('POST', '/jobs', { cwd: work, ...body }, { Accept: 'application/json' });
      assert.equal(r.status, 400, r.text);
      assert.equal(r.json.error.code, 'bad_value');
      assert.match(r.json.error.message, re);
    }
  });
});
