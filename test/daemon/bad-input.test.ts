// Unknown tasks, bad values, bad JSON, wrong methods get 4xx with a message, and the daemon
// stays up throughout (in-process). A broken config or bad flags stop a bl-daemon process at
// its start, exit code 2, with the field named and no stack trace.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { programArgv } from '../helpers/daemon.js';
import { startInProcess, type InProcessDaemon } from '../helpers/in-process.js';
import { uniq } from '../helpers/uniq.js';

const T = uniq('Task');
let d: InProcessDaemon;
before(async () => {
  d = await startInProcess({ config: { tasks: { [T]: { cmd: 'sleep', args: ['1000'], stall_timeout: 0, autostart: false } } } });
});
after(() => d?.cleanup());

const cases: [string, string, number, RegExp, unknown?][] = [
  ['GET', '/tasks/NoSuch', 404, /no task named "NoSuch"/],
  ['GET', `/tasks/${T.slice(0, -1)}`, 404, new RegExp(`did you mean "${T}"`)],
  ['POST', '/tasks/NoSuch/start', 404, /no task named/],
  ['GET', `/tasks/${T}/start`, 405, /not allowed.*allowed: .*POST/],
  ['POST', `/tasks/${T}/set/cardinality/-1`, 400, /expected `cardinality` to be an integer ≥ 0, found -1$/m],
  ['POST', `/tasks/${T}/set/cardinality/lots`, 400, /found "lots"/],
  ['POST', `/tasks/${T}/set/cardinality/1.5`, 400, /integer/],
  ['POST', `/tasks/${T}/set/cardinality/257`, 400, new RegExp(`expected a cardinality of at most 256 \\(task "${T}"'s max_cardinality\\), found 257`)],
  ['POST', `/tasks/${T}/set/colour/red`, 400, /unknown option "colour"; expected one of: cardinality, stall_timeout, grace_period/],
  ['POST', `/tasks/${T}/set/grace_period/soon`, 400, /grace_period/],
  ['POST', `/tasks/${T}/workers/1/alive`, 400, /pid/],
  ['POST', `/tasks/${T}/workers/2/alive`, 400, /invalid JSON/, '{"status":'],
  ['POST', `/tasks/${T}/restart`, 409, /not running/],
  ['GET', '/no/such/route', 404, /no route for GET \/no\/such\/route/],
  ['GET', `/tasks/${T}/log?tail=-3`, 400, /tail/],
];

for (const [method, p, status, msg, body] of cases) {
  test(`${method} ${p} → ${status}`, async () => {
    const headers: Record<string, string> = body !== undefined ? { 'Content-Type': 'application/json' } : {};
    const r = await d.request(method, p, body, headers);
    assert.equal(r.status, status, r.text);
    assert.match(r.text, /^ERROR: /);
    assert.match(r.text, msg);
    const j = await d.request(method, p, body, { ...headers, Accept: 'application/json' });
    assert.equal(j.status, status);
    assert.equal(typeof j.json.error.code, 'string');
    assert.match(j.json.error.message, msg);
  });
}

test('a huge body is 413, and the daemon is still up after all of the above', async () => {
  const r = await d.request('POST', `/tasks/${T}/workers/2/alive`, 'x'.repeat(200 * 1024));
  assert.equal(r.status, 413);
  assert.equal((await d.request('GET', '/healthz')).status, 200);
  const j = await d.api('GET', `/tasks/${T}`);
  assert.deepEqual([j.running, j.workers], [false, []], 'no bad request started or changed the task');
  assert.equal(j.cardinality, 1);
});

function runDaemon(config: string): { status: number | null; stderr: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'bl-bad-'));
  const file = path.join(dir, 'c.json');
  writeFileSync(file, config);
  try {
    const r = spawnSync(process.execPath, [...programArgv('daemon/main'), `-conf=${file}`], { encoding: 'utf8', timeout: 20000, cwd: dir });
    return { status: r.status, stderr: r.stderr.replace(file, 'FILE') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const configs: [string, string, RegExp][] = [
  ['a mistyped key', '{"keepalives": {"stall_timout": 1000}}', /config error: FILE: keepalives\.stall_timout: unknown key, did you mean `stall_timeout`\?/],
  ['a wrong type', '{"tasks": {"A": {"cmd": "x", "cardinality": "two"}}}', /tasks\.A\.cardinality: expected a number, found "two"/],
  ['broken JSON', '{"port": 8010', /not valid JSON/],
  ['a cardinality over the default cap', '{"tasks": {"A": {"cmd": "x", "cardinality": 300}}}', /tasks\.A\.cardinality: expected at most 256 \(the task's max_cardinality, by default\), found 300; raise max_cardinality/],
  ['a cardinality over its cap', '{"tasks": {"A": {"cmd": "x", "cardinality": 3, "max_cardinality": 2}}}', /tasks\.A\.cardinality: expected at most 2 \(the task's max_cardinality\), found 3/],
  ['a store that is not one', '{"store": "mysql://u:pw@db/x"}', /store: expected "sqlite", "postgres" \(the PG\* environment\) or a postgres:\/\/ URL, found "mysql:\/\/u:\*\*\*@db\/x"/],
  ['an exposed bind', '{"bind": "0.0.0.0", "port": 0}', /bind: "0\.0\.0\.0" is not a loopback address/],
];
for (const [name, text, want] of configs) {
  test(`a config with ${name} stops the start with the field named (exit 2)`, () => {
    const r = runDaemon(text);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, want);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });
}

test('a PostgreSQL store nobody answers stops the start with the reason and the address, never the password (exit 1)', () => {
  const r = runDaemon('{"store": "postgres://bl:sekret@127.0.0.1:1/jobs", "port": 0, "keepalives": {"inbound_port": 0, "internal_port": 0}, "state_dir": "state"}');
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /cannot open the job store \(store: postgres:\/\/bl:\*\*\*@127\.0\.0\.1:1\/jobs\): no PostgreSQL server answers at postgres:\/\/bl@127\.0\.0\.1:1\/jobs \(connection refused\)/);
  assert.doesNotMatch(r.stderr, /sekret/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

test('bad flags are a usage error', () => {
  const r = spawnSync(process.execPath, [...programArgv('daemon/main'), '--frobnicate'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /frobnicate/);
  assert.match(r.stderr, /usage: bl-daemon/);
});

test('a bad --log-level is a usage error that lists the levels', () => {
  const r = spawnSync(process.execPath, [...programArgv('daemon/main'), '--log-level=loud'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /expected --log-level to be one of error, warn, info, debug, found "loud"/);
});
