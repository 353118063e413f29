// What an entry of allowed_commands means, and the gate of a command or argv job against a
// list, on a real folder tree in a temp dir (programs, links out of a folder, a cwd of the
// attacker's): the program is the file its word resolves to, the job comes back rewritten to
// run that file, and a refusal says what and why. No daemon: the end-to-end bypasses are in
// allowed-commands.test.ts.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAllowEntries, parseAllowEntry } from '../../../../daemon/broker/submit/allow-entries.js';
import { gateCommand, ProgramLookup } from '../../../../daemon/broker/submit/command-gate.js';
import { envRefusal, isEnvPattern } from '../../../../daemon/broker/submit/env-policy.js';
import type { NewJob } from '../../../../daemon/broker/types.js';
import { BlError } from '../../../../contract/errors.js';
import { plainArgv } from '../../../../runner/direct-exec.js';

let root: string;
let tools: string;
let conf: string;
let evil: string;
let bin: string;

function program(p: string, body = 'exit 0'): void {
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
}

before(() => {
  root = realpathSync(mkdtempSync(path.join(tmpdir(), 'bl-allow-')));
  tools = path.join(root, 'srv', 'tools');
  conf = path.join(root, 'etc');
  evil = path.join(root, 'srv', 'evil');
  bin = path.join(root, 'bin');
  for (const d of [tools, conf, evil, bin, path.join(tools, 'sub')]) mkdirSync(d, { recursive: true });
  program(path.join(tools, 'run.sh'));
  program(path.join(tools, 'sub', 'deep.sh'));
  program(path.join(evil, 'run.sh'));
  program(path.join(conf, 'run.sh'));
  program(path.join(bin, 'multi'));
  writeFileSync(path.join(tools, 'data.txt'), 'not a program');
  symlinkSync(path.join(evil, 'run.sh'), path.join(tools, 'out.sh')); // a link out of the folder
  symlinkSync('run.sh', path.join(tools, 'alias.sh')); // a link inside it
  symlinkSync(path.join(tools, 'run.sh'), path.join(evil, 'in.sh')); // a link into it, from outside
  symlinkSync('multi', path.join(bin, 'applet')); // a multi-call program's other name
});
after(() => rmSync(root, { recursive: true, force: true }));

const job = (over: Partial<NewJob>): NewJob => ({ command: null, argv: null, cwd: root, env: {}, queue: 'normal', timeout: null, idleCpu: null, retries: 0, key: null, labels: {}, ...over });

function gate(entries: string[], over: Partial<NewJob>, searchPath = `${bin}:/usr/bin:/bin`): NewJob {
  const list = parseAllowEntries(entries, conf);
  return gateCommand(job(over), list, new ProgramLookup(list, searchPath));
}

function refused(entries: string[], over: Partial<NewJob>, re: RegExp, searchPath?: string): void {
  assert.throws(
    () => gate(entries, over, searchPath),
    (e: unknown) => {
      assert.ok(e instanceof BlError, String(e));
      assert.equal(e.status, 403);
      assert.match(e.message, re);
      return true;
    },
  );
}

describe('parseAllowEntry', () => {
  it('a URL, a folder, a program with its first arguments', () => {
    assert.equal(parseAllowEntry('http://127.0.0.1:1/a', conf).kind, 'url');
    assert.deepEqual(parseAllowEntry('/srv/my tools/', conf), { kind: 'folder', text: '/srv/my tools/', folder: '/srv/my tools/' });
    assert.deepEqual(parseAllowEntry('tools/', conf), { kind: 'folder', text: 'tools/', folder: `${conf}/tools/` });
    const p = parseAllowEntry('  git   pull  ', conf);
    assert.equal(p.kind === 'program' && p.program, 'git');
    assert.deepEqual(p.kind === 'program' && p.args.map((w) => w.raw), ['pull']);
  });
  it('trailing blanks mean nothing: "echo " is the program echo', () => {
    const p = parseAllowEntry('echo ', conf);
    assert.deepEqual(p.kind === 'program' && [p.program, p.args.length], ['echo', 0]);
  });
  it('a relative program is under the config file folder', () => {
    const p = parseAllowEntry('./run.sh', conf);
    assert.equal(p.kind === 'program' && p.program, `${conf}/./run.sh`);
  });
  it('refuses what cannot be an entry, naming it and its index', () => {
    assert.throws(() => parseAllowEntries(['echo', 'echo hi; ls'], conf), /^Error: allowed_commands\[1\]: "echo hi; ls": it has a ";" \(a second command\).*: an entry is a program and its first arguments$/);
    assert.throws(() => parseAllowEntries(['$X'], conf), /allowed_commands\[0\]: "\$X": expected the program written out/);
    assert.throws(() => parseAllowEntries(['  '], conf), /found an empty entry/);
    assert.throws(() => parseAllowEntries(['ftp://h/'], conf), /expected an http or https URL/);
    assert.throws(() => parseAllowEntries(['http://u:p@h/'], conf), /no user info/);
  });
});

describe('gateCommand: allowed, and rewritten to run what was checked', () => {
  it('a bare name is the program the daemon PATH finds; the job runs its path', () => {
    assert.deepEqual(gate(['echo '], { command: 'echo hi there' }).command, '/usr/bin/echo hi there');
    assert.deepEqual(gate(['echo '], { command: `echo 'a b' "it's"` }).command, `/usr/bin/echo 'a b' 'it'\\''s'`);
    assert.deepEqual(gate(['echo '], { argv: ['echo', 'a b'] }).argv, ['/usr/bin/echo', 'a b']);
    const plain = gate(['echo '], { command: 'echo --lr=0.1 A=b' }).command!;
    assert.equal(plain, '/usr/bin/echo --lr=0.1 A=b', 'an argument with = needs no quotes');
    assert.deepEqual(plainArgv(plain), ['/usr/bin/echo', '--lr=0.1', 'A=b'], 'so it is exec\'d with no shell in front');
  });
  it('an absolute entry and the bare name of the same file match; a linked folder is followed', () => {
    assert.deepEqual(gate(['/bin/echo'], { command: 'echo hi' }).command, '/usr/bin/echo hi');
    assert.deepEqual(gate(['echo'], { argv: ['/bin/echo', 'x'] }).argv, ['/usr/bin/echo', 'x']);
  });
  it('a folder allows the programs under it, in sub-folders and through links that stay inside', () => {
    assert.deepEqual(gate([`${tools}/`], { command: `${tools}/run.sh a` }).command, `${tools}/run.sh a`);
    assert.deepEqual(gate([`${tools}/`], { command: './sub/deep.sh', cwd: tools }).command, `${tools}/sub/deep.sh`);
    assert.deepEqual(gate([`${tools}/`], { command: `${tools}/alias.sh` }).command, `${tools}/alias.sh`);
    assert.deepEqual(gate([tools], { argv: [`${tools}/run.sh`] }).argv, [`${tools}/run.sh`], 'a folder written without its /');
  });
  it('./run.sh in an entry is the config folder run.sh, reached from that cwd', () => {
    assert.deepEqual(gate(['./run.sh'], { command: './run.sh go', cwd: conf }).command, `${conf}/run.sh go`);
    assert.deepEqual(gate(['./run.sh'], { command: `${conf}/run.sh` }).command, `${conf}/run.sh`);
  });
  it('an entry with arguments allows the program with those first arguments, as words', () => {
    assert.deepEqual(gate(['echo pull'], { command: "echo 'pull' now" }).command, '/usr/bin/echo pull now');
    refused(['echo pull'], { command: 'echo pulls' }, /\/usr\/bin\/echo is allowed only as "echo pull"$/);
    refused(['echo pull'], { command: 'echo' }, /allowed only as "echo pull"/);
  });
  it('a multi-call program keeps the name it was reached by, and only that name is allowed', () => {
    assert.deepEqual(gate(['applet'], { command: 'applet x' }).command, `${bin}/applet x`);
    refused(['applet'], { command: 'multi x' }, new RegExp(`its program "multi" is ${bin}/multi \\(on the daemon's PATH\\), which is not allowed`));
  });
  it('a $VARIABLE is one word, quoted', () => {
    assert.equal(gate(['echo'], { command: 'echo $HOME x${USER}y' }).command, `/usr/bin/echo "\${HOME}" x"\${USER}"y`);
  });
  it('a glob only where an entry names the same word', () => {
    assert.equal(gate(['ls *.txt'], { command: 'ls *.txt -l' }).command, '/usr/bin/ls *.txt -l');
    assert.equal(gate(['ls'], { command: "ls '*.txt'" }).command, "/usr/bin/ls '*.txt'", 'a quoted * is a character');
    refused(['ls'], { command: 'ls *.txt' }, /it has a glob "\*" in "\*\.txt" \(argument 1\), and allowed_commands names none there; quote it to mean the character$/);
    refused(['ls', 'ls *.txt'], { command: 'ls -l *.txt' }, /it has a glob "\*" in "\*\.txt" \(argument 2\)/);
    refused(['ls *.txt'], { command: 'ls -l *.txt' }, /allowed only as "ls \*\.txt"$/);
    refused([`${tools}/`], { command: `${tools}/run.sh *` }, /it has a glob/);
  });
});

describe('gateCommand: refused', () => {
  it('a path that leaves the folder by ..', () => {
    refused([`${tools}/`], { command: `${tools}/../evil/run.sh` }, new RegExp(`its program ".*/\\.\\./evil/run\\.sh" is ${evil}/run\\.sh, which is not allowed; allowed_commands: ${tools}/$`));
  });
  it('a link in the folder that leads out of it', () => {
    refused([`${tools}/`], { command: `${tools}/out.sh` }, new RegExp(`its program ${tools}/out\\.sh is a link to ${evil}/run\\.sh, outside ${tools}/`));
  });
  it('a link from outside into the folder (it could be changed after the check)', () => {
    refused([`${tools}/`], { command: './in.sh', cwd: evil }, new RegExp(`is ${evil}/in\\.sh \\(against the job's cwd ${evil}\\), which is not allowed`));
  });
  it('./run.sh from a cwd of the attacker', () => {
    refused(['./run.sh'], { command: './run.sh', cwd: evil }, new RegExp(`its program "\\./run\\.sh" is ${evil}/run\\.sh \\(against the job's cwd ${evil}\\), which is not allowed; allowed_commands: \\./run\\.sh$`));
    refused(['./run.sh'], { argv: ['./run.sh'], cwd: evil }, /^argv \["\.\/run\.sh"\] refused: its program "\.\/run\.sh" is .*evil\/run\.sh/);
  });
  it('a program not found, a folder, a file that is not executable', () => {
    refused(['echo'], { command: 'nosuchprogram-bl' }, /its program "nosuchprogram-bl" cannot be allowed: there is no program "nosuchprogram-bl" on the daemon's PATH/);
    refused([`${tools}/`], { command: `${tools}/sub` }, /cannot be allowed: .*\/sub is a folder/);
    refused([`${tools}/`], { command: `${tools}/data.txt` }, /data\.txt is not executable/);
  });
  it('a program that is not written out', () => {
    refused(['echo'], { command: '$X hi' }, /its program "\$X" is not written out/);
    refused(['echo'], { command: 'ech* hi' }, /its program "ech\*" is not written out/);
  });
  it('shell syntax, with the token and what it does', () => {
    refused(['echo'], { command: 'echo hi; touch X' }, /^command "echo hi; touch X" refused: it has a ";" \(a second command\); allowed_commands names no operators$/);
    refused(['echo'], { command: 'LD_PRELOAD=/x.so echo' }, /it has a "LD_PRELOAD=" \(a variable set for the program\)/);
  });
  it('a relative PATH folder is not searched (it would be the job cwd)', () => {
    program(path.join(evil, 'echo'));
    refused(['echo'], { command: 'echo hi', cwd: evil }, /cannot be allowed: there is no program "echo" on the daemon's PATH/, `.:${evil.slice(root.length + 1)}`);
  });
  it('an entry that names nothing allows nothing, and says so', () => {
    const list = parseAllowEntries(['nosuch-bl-program', `${root}/none/`], conf);
    const lookup = new ProgramLookup(list, '/usr/bin');
    assert.deepEqual(lookup.resolved(), []);
    assert.deepEqual(lookup.problems, ['"nosuch-bl-program": there is no program "nosuch-bl-program" on the daemon\'s PATH', `"${root}/none/": there is no folder ${root}/none/`]);
  });
});

describe('env keys', () => {
  const refusedKeys = ['LD_PRELOAD', 'LD_LIBRARY_PATH', 'LD_AUDIT', 'DYLD_INSERT_LIBRARIES', 'GCONV_PATH', 'GLIBC_TUNABLES', 'PATH', 'IFS', 'ENV', 'BASH_ENV', 'SHELLOPTS', 'BASHOPTS', 'PS4', 'PROMPT_COMMAND', 'HOME', 'PYTHONPATH', 'PYTHONSTARTUP', 'NODE_OPTIONS', 'PERL5OPT', 'PERL5LIB', 'RUBYOPT', 'JAVA_TOOL_OPTIONS', 'GIT_SSH_COMMAND', 'LESSOPEN', 'EDITOR'];
  for (const k of refusedKeys) it(`refuses ${k}`, () => assert.match(envRefusal(k, undefined) ?? '', new RegExp(`^${k} is `)));
  it('says whose variable it is', () => {
    assert.equal(envRefusal('LD_PRELOAD', undefined), "LD_PRELOAD is the dynamic loader's (LD_*)");
    assert.equal(envRefusal('BASH_ENV', undefined), "BASH_ENV is the shell's (BASH_ENV)");
  });
  it('refuses a name that is no variable name (bash functions: BASH_FUNC_f%%)', () => assert.equal(envRefusal('BASH_FUNC_echo%%', undefined), '"BASH_FUNC_echo%%" is not a variable name'));
  it('lets other keys pass', () => {
    for (const k of ['MY_VAR', 'OMP_NUM_THREADS', 'LANG', 'TZ', 'NODE_ENV', 'CUDA_VISIBLE_DEVICES']) assert.equal(envRefusal(k, undefined), null, k);
  });
  it('with allowed_env, only its keys and prefixes pass, whatever they are', () => {
    const list = ['MY_VAR', 'OMP_*', 'LD_LIBRARY_PATH'];
    assert.equal(envRefusal('MY_VAR', list), null);
    assert.equal(envRefusal('OMP_NUM_THREADS', list), null);
    assert.equal(envRefusal('LD_LIBRARY_PATH', list), null, 'the operator named it');
    assert.equal(envRefusal('LANG', list), '"LANG" is not a key allowed_env names (MY_VAR, OMP_*, LD_LIBRARY_PATH)');
    assert.equal(envRefusal('MY_VAR2', list), '"MY_VAR2" is not a key allowed_env names (MY_VAR, OMP_*, LD_LIBRARY_PATH)');
  });
  it('allowed_env entries are names or prefixes', () => {
    assert.deepEqual(['A', 'A_*', '*', '_x'].map(isEnvPattern), [true, true, true, true]);
    assert.deepEqual(['', '1A', 'A-B', 'A*B', '**'].map(isEnvPattern), [false, false, false, false, false]);
  });
});
