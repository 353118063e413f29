import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, parseConfigText, ConfigError } from '../../../daemon/config/load.js';
import { repoRoot } from '../../helpers/daemon.js';

const seeds = path.join(repoRoot, 'test/fixtures/workerpoolmanager');

test('the three seed configs load unchanged', () => {
  for (const f of ['date-sample.json', 'example-sample.json', 'example2-sample.json']) {
    const c = loadConfig(path.join(seeds, f));
    assert.equal(c.port, 8010, f);
    assert.equal(c.keepalives.inboundPort, 5591);
    assert.equal(c.keepalives.host, '127.0.0.1', 'localhost is bound as 127.0.0.1');
  }
});

test('date-sample: every file in /bin is a task, date is autostarted with the seed values', () => {
  const c = loadConfig(path.join(seeds, 'date-sample.json'));
  const files = readdirSync('/bin');
  assert.ok(c.tasks.has('ls') && c.tasks.size >= files.length / 2);
  assert.equal(c.tasks.get('ls')!.autostart, false);
  const date = c.tasks.get('date')!;
  assert.equal(date.autostart, true);
  assert.equal(date.cmd, 'date');
  assert.equal(date.stallTimeout, 2000);
  assert.equal(date.gracePeriod, 10);
  assert.equal(c.forceTimeout, 6000);
});

test('example-sample: an autotask with no cmd is the file in `path` with the suffix', () => {
  const c = loadConfig(path.join(seeds, 'example-sample.json'));
  assert.equal(c.tasks.get('Example')!.cmd, '/path/to/example/tasks/ExampleTask.php');
  assert.equal(c.tasks.get('Failing')!.autostart, true);
  assert.match(c.warnings.join('\n'), /path: cannot list task files in \/path\/to\/example\/tasks/);
});

test('tasks extension: per-task values override the globals; relative paths resolve against the config', () => {
  const c = parseConfigText(
    JSON.stringify({ keepalives: { stall_timeout: 5000, grace_period: 300 }, tasks: { A: { cmd: './a.sh', cardinality: 3, grace_period: 50, env: { X: '1' } } } }),
    '/etc/bl/c.json',
  );
  const a = c.tasks.get('A')!;
  assert.equal(a.cmd, '/etc/bl/a.sh');
  assert.equal(a.cwd, '/etc/bl');
  assert.equal(a.stallTimeout, 5000);
  assert.equal(a.gracePeriod, 50);
  assert.equal(a.cardinality, 3);
  assert.deepEqual(a.env, { X: '1' });
});

test('allowed_commands: each entry read, relative paths against the config folder; allowed_env and follow_redirects', () => {
  const c = parseConfigText(JSON.stringify({ allowed_commands: ['echo ', 'tools/', './run.sh', 'git pull', 'http://127.0.0.1:/hook'], allowed_env: ['MY_*'], follow_redirects: false }), '/etc/bl/c.json');
  assert.deepEqual(
    c.allowedCommands!.map((e) => (e.kind === 'program' ? [e.kind, e.program, e.args.map((w) => w.raw)] : e.kind === 'folder' ? [e.kind, e.folder] : [e.kind, e.rule.port, e.rule.path])),
    [['program', 'echo', []], ['folder', '/etc/bl/tools/'], ['program', '/etc/bl/./run.sh', []], ['program', 'git', ['pull']], ['url', '*', '/hook']],
  );
  assert.deepEqual([c.allowedEnv, c.followRedirects], [['MY_*'], false]);
  const none = parseConfigText('{}', '/etc/bl/c.json');
  assert.deepEqual([none.allowedCommands, none.allowedEnv, none.followRedirects], [undefined, undefined, true]);
});

test('defaults: force_timeout 0 means 60000; no file means port 8010 and no tasks', () => {
  assert.equal(parseConfigText('{"force_timeout": 0}', '/x.json').forceTimeout, 60000);
  const d = loadConfig(undefined);
  assert.equal(d.port, 8010);
  assert.equal(d.tasks.size, 0);
});

const bad: [string, string, RegExp][] = [
  ['broken JSON', '{"port": 8010,,}', /not valid JSON: .* at line 1, column 15/],
  ['a mistyped key', '{"keepalives": {"stall_timout": 5}}', /keepalives\.stall_timout: unknown key, did you mean `stall_timeout`\?/],
  ['a wrong type', '{"port": "8010"}', /port: expected a number, found "8010"$/],
  ['a negative time', '{"tasks": {"A": {"cmd": "x", "grace_period": -1}}}', /tasks\.A\.grace_period: expected a non-negative number, found -1$/],
  ['a port out of range', '{"port": 70000}', /port: expected a number ≤ 65535, found 70000/],
  ['an autotask with no cmd and no path', '{"autotasks": {"A": {"cardinality": 1}}}', /autotasks\.A\.cmd: expected a command/],
  ['a non-loopback bind without auth', '{"bind": "0.0.0.0"}', /bind: "0\.0\.0\.0" is not a loopback address and no `auth`/],
  ['not an object', '[1, 2]', /expected a JSON object at the top level, found \[1,2\]$/],
  ['broker.slurm of the wrong type', '{"broker": {"slurm": true}}', /broker\.slurm: expected an object, found true$/],
  ['a mistyped broker.slurm key', '{"broker": {"slurm": {"max_launcher": 2}}}', /broker\.slurm\.max_launcher: unknown key, did you mean `max_launchers`\? \(expected one of: partition, account, qos, time_limit, /],
  ['slots_per_launcher of the wrong type', '{"broker": {"slurm": {"slots_per_launcher": "4"}}}', /broker\.slurm\.slots_per_launcher: expected a number, found "4"$/],
  ['slots_per_launcher 0', '{"broker": {"slurm": {"slots_per_launcher": 0}}}', /broker\.slurm\.slots_per_launcher: expected a number ≥ 1, found 0$/],
  ['a time_limit Slurm does not read', '{"broker": {"slurm": {"time_limit": "1h"}}}', /broker\.slurm\.time_limit: expected minutes \(60\) or a Slurm time \("1:00:00", "2-00:00:00"\) longer than 0, found "1h"$/],
  ['sbatch_args not a list of words', '{"broker": {"slurm": {"sbatch_args": "--exclusive"}}}', /broker\.slurm\.sbatch_args: expected an array, found "--exclusive"$/],
  ['an env value that is not a string', '{"broker": {"slurm": {"env": {"SLURM_CONF": 1}}}}', /broker\.slurm\.env\.SLURM_CONF: expected a string, found 1$/],
  ['a launcher_url that is not a URL', '{"broker": {"slurm": {"launcher_url": "login1:8010"}}}', /broker\.slurm\.launcher_url: expected an http:\/\/ or https:\/\/ URL \(http:\/\/login1:8010\), found "login1:8010"$/],
  ['an end_margin as long as the time limit', '{"broker": {"slurm": {"time_limit": 1, "end_margin": 60}}}', /broker\.slurm\.end_margin: expected fewer seconds than time_limit \(60 s, 0:01:00\), found 60/],
  ['an allowed command with an operator', '{"allowed_commands": ["echo", "echo hi; ls"]}', /allowed_commands\[1\]: "echo hi; ls": it has a ";" \(a second command\).*: an entry is a program and its first arguments$/],
  ['an allowed URL with user info', '{"allowed_commands": ["http://u:p@h/x"]}', /allowed_commands\[0\]: "http:\/\/u:p@h\/x": expected no user info/],
  ['an allowed_env key that is no name', '{"allowed_env": ["A-B"]}', /allowed_env\.0: expected a variable name, or a prefix of one ending in \*, found "A-B"$/],
  ['follow_redirects not a boolean', '{"follow_redirects": "no"}', /follow_redirects: expected a boolean, found "no"$/],
  ['broker.log_max_bytes of the wrong type', '{"broker": {"log_max_bytes": "1M"}}', /broker\.log_max_bytes: expected a number, found "1M"$/],
  ['broker.log_max_bytes too small', '{"broker": {"log_max_bytes": 100}}', /broker\.log_max_bytes: expected a number ≥ 1024, found 100$/],
  ['broker.log_keep past 100', '{"broker": {"log_keep": 101}}', /broker\.log_keep: expected a number ≤ 100, found 101$/],
  ['broker.log_timestamps not a boolean', '{"broker": {"log_timestamps": 1}}', /broker\.log_timestamps: expected a boolean, found 1$/],
];
for (const [name, text, want] of bad) {
  test(`config error names the field: ${name}`, () => {
    assert.throws(() => parseConfigText(text, '/etc/bl/c.json'), (e: Error) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /^\/etc\/bl\/c\.json: /);
      assert.match(e.message, want);
      return true;
    });
  });
}

test('a missing config file is a clear error', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bl-cfg-'));
  assert.throws(() => loadConfig(path.join(dir, 'nope.json')), /cannot read the config file/);
  writeFileSync(path.join(dir, 'ok.json'), '{"bind": "0.0.0.0", "insecure": true}');
  assert.equal(loadConfig(path.join(dir, 'ok.json')).bind, '0.0.0.0');
});

test('broker.slurm: the defaults, and a time limit in minutes or in Slurm\'s form', () => {
  assert.equal(parseConfigText('{}', '/x.json').broker.slurm, undefined);
  const d = parseConfigText('{"broker": {"slurm": {}}}', '/x.json').broker.slurm!;
  assert.deepEqual(d, {
    partition: undefined,
    account: undefined,
    qos: undefined,
    timeLimitS: 3600,
    slotsPerLauncher: 4,
    cpusPerLauncher: 4,
    mem: undefined,
    gres: undefined,
    maxLaunchers: 4,
    maxPendingAllocations: 1,
    idleExitS: 300,
    endMarginS: 60,
    pollIntervalS: 10,
    sbatchArgs: [],
    env: {},
    launcherUrl: undefined,
    name: 'bl',
  });
  const c = parseConfigText('{"broker": {"slurm": {"time_limit": "2-00:00:00", "slots_per_launcher": 8, "mem": 4000, "partition": "gpu"}}}', '/x.json').broker.slurm!;
  assert.deepEqual([c.timeLimitS, c.cpusPerLauncher, c.mem, c.partition], [172800, 8, '4000', 'gpu']);
  assert.equal(parseConfigText('{"broker": {"slurm": {"time_limit": 90}}}', '/x.json').broker.slurm!.timeLimitS, 5400);
});

test('ZeroMQ sockets on a non-loopback address without auth: a warning says what is open', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bl-load-'));
  const load = (c: object) => {
    const f = path.join(dir, 'c.json');
    writeFileSync(f, JSON.stringify(c));
    return loadConfig(f).warnings.join('\n');
  };
  assert.match(load({ keepalives: { host: '0.0.0.0' } }), /keepalives\.host: "0\.0\.0\.0" is not a loopback address and no `auth` is set: .*can keep any task's workers alive and read every event/);
  assert.match(load({ keepalives: { host: 'eth0' } }), /keepalives\.host: "eth0" is not a loopback address/);
  assert.doesNotMatch(load({ keepalives: { host: '0.0.0.0' }, auth: { token: 't' } }), /keepalives\.host/);
  for (const host of ['127.0.0.1', 'localhost', '::1']) assert.doesNotMatch(load({ keepalives: { host } }), /keepalives\.host/, host);
});

test('broker.log_*: a job log is not copied by default; the defaults a submit starts from', () => {
  const b = parseConfigText('{}', '/x.json').broker;
  assert.deepEqual([b.logMaxBytes, b.logKeep, b.logTimestamps], [undefined, 3, false]);
  const c = parseConfigText('{"broker": {"log_max_bytes": 1048576, "log_keep": 5, "log_timestamps": true}}', '/x.json').broker;
  assert.deepEqual([c.logMaxBytes, c.logKeep, c.logTimestamps], [1048576, 5, true]);
});
