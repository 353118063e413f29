// allowed_commands against the attacker's list: a daemon with `["echo ", "<tools>/", "./run.sh",
// "http://127.0.0.1:PORT/allowed"]` refuses each bypass with 403 naming what it refused and why,
// and what the bypass would have done (a marker file, a request to a server) did not happen;
// what the list names still runs, and sweeps with hostile values run with the values intact.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startInProcess, type InProcessDaemon } from '../../../helpers/in-process.js';
import { submit, waitState } from '../../../helpers/jobs.js';

function program(p: string, body: string): void {
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
}

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
}

describe('allowed_commands: the attacker list', () => {
  let d: InProcessDaemon;
  let root: string;
  let tools: string;
  let evil: string;
  let marks: string;
  let target: Server;
  let other: Server;
  let port: number;
  let otherPort: number;
  /** Paths the test server was asked for, and every request the other host got. */
  const hits: string[] = [];
  const otherHits: string[] = [];
  /** A job of ./run.sh that ran, to retry once the list no longer names it. */
  let runSh = '';

  before(async () => {
    root = realpathSync(mkdtempSync(path.join(tmpdir(), 'bl-allow-e2e-')));
    tools = path.join(root, 'srv', 'tools');
    evil = path.join(root, 'srv', 'evil');
    marks = path.join(root, 'marks');
    for (const dir of [tools, evil, marks, path.join(root, 'attacker'), path.join(root, 'evil-bin')]) mkdirSync(dir, { recursive: true });
    // What the operator allows: a tool that prints its arguments, and the config folder's run.sh.
    program(path.join(tools, 'args.sh'), `for a in "$@"; do printf '[%s]' "$a"; done; echo`);
    program(path.join(root, 'run.sh'), 'echo config run.sh');
    // What the attacker has: programs that leave a marker, a link out of the tools folder.
    program(path.join(evil, 'run.sh'), `touch ${marks}/evil-run`);
    program(path.join(root, 'attacker', 'run.sh'), `touch ${marks}/attacker-run`);
    program(path.join(root, 'evil-bin', 'echo'), `touch ${marks}/evil-echo; echo pwned`);
    program(path.join(root, 'evil-env.sh'), `touch ${marks}/evil-env`);
    symlinkSync(path.join(evil, 'run.sh'), path.join(tools, 'out.sh'));

    ({ server: other, port: otherPort } = await listen((req, res) => {
      otherHits.push(req.url!);
      res.writeHead(200).end('stolen\n');
    }));
    ({ server: target, port } = await listen((req, res) => {
      hits.push(req.url!);
      if (req.url === '/allowed/in') res.writeHead(302, { Location: '/allowed/landed' }).end();
      else if (req.url === '/allowed/out') res.writeHead(302, { Location: `http://localhost:${otherPort}/stolen` }).end();
      else res.writeHead(200).end(`reached ${req.url}\n`);
    }));
    d = await startInProcess({
      dir: root,
      config: { broker: { concurrency: 4 }, allowed_commands: ['echo ', `${tools}/`, './run.sh', `http://127.0.0.1:${port}/allowed`] },
    });
  });
  after(async () => {
    await d.cleanup();
    await close(target);
    await close(other);
  });

  const log = async (id: string) => (await d.request('GET', `/jobs/${id}/log`)).text;

  /** A JSON submit refused with 403, the message matching `re`, and nothing stored. */
  async function refused(body: unknown, re: RegExp): Promise<string> {
    const before = (await d.api('GET', '/broker')).counts;
    const r = await d.request('POST', '/jobs', body, { Accept: 'application/json' });
    assert.equal(r.status, 403, r.text);
    assert.equal(r.json.error.code, 'forbidden');
    assert.match(r.json.error.message, re);
    assert.deepEqual((await d.api('GET', '/broker')).counts, before, 'nothing was submitted');
    return r.json.error.message;
  }

  /** The same as a text body (`curl -d 'CMD'`). */
  async function refusedText(command: string, re: RegExp): Promise<void> {
    const r = await d.request('POST', `/jobs?cwd=${encodeURIComponent(root)}`, command);
    assert.equal(r.status, 403, r.text);
    assert.match(r.text.trimEnd(), new RegExp(`^ERROR: ${re.source}`));
  }

  /**
   * No bypass left its mark: a job submitted after them all has run, so anything they had
   * queued would have run before it.
   */
  async function noMarks(): Promise<void> {
    const [j] = await submit(d, { command: 'echo settled', cwd: root });
    assert.equal((await waitState(d, j!.id, ['succeeded', 'failed'])).state, 'succeeded');
    assert.deepEqual(readdirSync(marks), [], 'no bypass ran');
  }

  describe('shell syntax is refused, with the token and what it does', () => {
    const M = () => marks;
    const cases: [string, () => string, RegExp][] = [
      [';', () => `echo hi; touch ${M()}/semicolon`, /it has a ";" \(a second command\); allowed_commands names no operators$/],
      ['&&', () => `echo hi && touch ${M()}/and`, /it has a "&&" \(a second command\); allowed_commands names no operators$/],
      ['||', () => `echo hi || touch ${M()}/or`, /it has a "\|\|" \(a second command\)/],
      ['&', () => `echo hi & touch ${M()}/background`, /it has a "&" \(a second command, in the background\)/],
      ['|', () => `echo hi | sh -c 'touch ${M()}/pipe'`, /it has a "\|" \(a pipe to a second command\)/],
      ['$(…)', () => `echo $(touch ${M()}/subst)`, /it has a "\$\(" \(a command substitution\); allowed_commands names no substitutions$/],
      ['backticks', () => `echo \`touch ${M()}/backtick\``, /it has a "`" \(a command substitution\)/],
      ['<(…)', () => `echo <(touch ${M()}/procsub)`, /it has a "<\(" \(a process substitution\)/],
      ['${x:=…}', () => `echo \${x:=$(touch ${M()}/param)}`, /it has a "\$\{x:=" \(a parameter expansion with an operator\)/],
      ['a newline', () => `echo hi\ntouch ${M()}/newline`, /it has a newline \(a second command\); allowed_commands names no operators$/],
      ['\\r\\n', () => `echo hi\r\ntouch ${M()}/crlf`, /it has a carriage return \(a line break\)/],
      ['>', () => `echo pwned > ${M()}/redirect`, /it has a ">" \(a redirect\); allowed_commands names no redirects$/],
      ['2>', () => `echo pwned 2> ${M()}/redirect2`, /it has a "2>" \(a redirect\)/],
      ['>>', () => `echo pwned >> ${M()}/append`, /it has a ">>" \(a redirect\)/],
      ['<', () => `echo < /etc/passwd`, /it has a "<" \(a redirect\)/],
      ['a subshell', () => `(touch ${M()}/subshell)`, /it has a "\(" \(a subshell\)/],
      ['$((…))', () => `echo $(( $(touch ${M()}/arith) ))`, /it has a "\$\(\(" \(an arithmetic expansion\)/],
      ['a comment', () => `echo hi #; touch ${M()}/comment`, /it has a "#" \(a comment: the rest of the line is not run\)/],
      ['an assignment in front', () => `BASH_ENV=${root}/evil-env.sh echo hi`, /it has a "BASH_ENV=" \(a variable set for the program\); a job sets variables in `env`$/],
      ['an unquoted glob', () => `echo ${M()}/*`, /it has a glob "\*" in ".*\/\*" \(argument 1\), and allowed_commands names none there/],
    ];
    for (const [name, command, re] of cases) {
      it(`${name}, as JSON`, async () => {
        const cmd = command();
        const msg = await refused({ command: cmd, cwd: root }, new RegExp(`^command ".*" refused: ${re.source}`));
        assert.ok(msg.startsWith(`command ${JSON.stringify(cmd).slice(0, 20)}`), msg);
      });
    }
    for (const name of [';', '$(…)', 'a newline', '\\r\\n', '>', 'backticks']) {
      it(`${name}, as a text body`, async () => {
        const [, command, re] = cases.find(([n]) => n === name)!;
        await refusedText(command(), new RegExp(`command ".*" refused: ${re.source}`));
      });
    }
    it('left no mark', noMarks);
  });

  describe('the program is the file its word resolves to', () => {
    it('a path that leaves the tools folder by ..', async () => {
      await refused({ command: `${tools}/../evil/run.sh`, cwd: root }, new RegExp(`its program ".*/tools/\\.\\./evil/run\\.sh" is ${evil}/run\\.sh, which is not allowed; allowed_commands: echo, ${tools}/, \\./run\\.sh$`));
    });
    it('a link in the tools folder that leads out of it', async () => {
      await refused({ command: `${tools}/out.sh`, cwd: root }, new RegExp(`its program ${tools}/out\\.sh is a link to ${evil}/run\\.sh, outside ${tools}/`));
    });
    it('./run.sh from a cwd the attacker chose, as a command and as argv', async () => {
      const cwd = path.join(root, 'attacker');
      const re = new RegExp(`its program "\\./run\\.sh" is ${cwd}/run\\.sh \\(against the job's cwd ${cwd}\\), which is not allowed`);
      await refused({ command: './run.sh', cwd }, re);
      await refused({ argv: ['./run.sh'], cwd }, re);
      const t = await d.request('POST', `/jobs?cwd=${encodeURIComponent(cwd)}`, './run.sh');
      assert.equal(t.status, 403);
    });
    it('a program not on the list, nor on the PATH', async () => {
      await refused({ command: 'sh -c "touch x"', cwd: root }, /its program "sh" is \/\S+\/sh \(on the daemon's PATH\), which is not allowed/);
      await refused({ argv: ['/bin/sh', '-c', 'touch x'], cwd: root }, /^argv \["\/bin\/sh","-c","touch x"\] refused: its program "\/bin\/sh" is/);
      await refused({ command: 'nosuch-bl-program', cwd: root }, /there is no program "nosuch-bl-program" on the daemon's PATH/);
    });
    it('left no mark', noMarks);
  });

  describe("a job's env may not set the loader's and shells' variables", () => {
    const tail = 'allowed_commands refuses it unless allowed_env names it$';
    it('LD_PRELOAD', async () => {
      await refused({ command: 'echo hi', cwd: root, env: { LD_PRELOAD: `${root}/evil.so` } }, new RegExp(`^env refused: LD_PRELOAD is the dynamic loader's \\(LD_\\*\\); ${tail}`));
    });
    it('PATH to a folder with its own echo, with argv ["echo"]', async () => {
      await refused({ argv: ['echo'], cwd: root, env: { PATH: `${root}/evil-bin` } }, new RegExp(`^env refused: PATH is the shell's \\(PATH\\); ${tail}`));
    });
    it('BASH_ENV and ENV', async () => {
      await refused({ command: 'echo hi', cwd: root, env: { BASH_ENV: `${root}/evil-env.sh` } }, /^env refused: BASH_ENV is the shell's/);
      await refused({ command: 'echo hi', cwd: root, env: { ENV: `${root}/evil-env.sh` } }, /^env refused: ENV is the shell's/);
    });
    it('PYTHONPATH, NODE_OPTIONS, PERL5OPT, a bash function', async () => {
      await refused({ command: 'echo hi', cwd: root, env: { PYTHONPATH: root } }, /^env refused: PYTHONPATH is an interpreter's \(PYTHON\*\)/);
      await refused({ command: 'echo hi', cwd: root, env: { NODE_OPTIONS: `--require ${root}/x.js` } }, /^env refused: NODE_OPTIONS is an interpreter's/);
      await refused({ command: 'echo hi', cwd: root, env: { PERL5OPT: '-Mx' } }, /^env refused: PERL5OPT is an interpreter's/);
      await refused({ command: 'echo hi', cwd: root, env: { 'BASH_FUNC_echo%%': `() { touch ${marks}/func; }` } }, /^env refused: "BASH_FUNC_echo%%" is not a variable name/);
    });
    it('one refused job of a batch refuses the batch, naming it', async () => {
      await refused([{ command: 'echo ok', cwd: root }, { command: 'echo hi', cwd: root, env: { LD_AUDIT: 'x' } }], /^job 2 of 2: env refused: LD_AUDIT is the dynamic loader's .*; nothing was submitted$/);
    });
    it('other variables pass', async () => {
      const [j] = await submit(d, { command: 'echo "$MY_VAR"', cwd: root, env: { MY_VAR: 'mine' } });
      assert.equal((await waitState(d, j!.id, ['succeeded', 'failed'])).state, 'succeeded');
      assert.equal(await log(j!.id), 'mine\n');
    });
    it('left no mark', noMarks);
  });

  describe('sweeps: a value is one word, never code', () => {
    const hostile = ['a; touch MARK/sweep-semicolon', '$(touch MARK/sweep-subst)', '`touch MARK/sweep-tick`', 'a b', `it's "quoted"`, 'line\ntouch MARK/sweep-nl', '> MARK/sweep-redirect', '*', ''];
    it('hostile values reach an allowed program intact, and run nothing', async () => {
      const values = hostile.map((v) => v.replace('MARK', marks));
      const r = await d.api('POST', '/jobs', { command: `${tools}/args.sh {x} end`, cwd: root, params: { x: values } });
      assert.equal(r.jobs.length, values.length);
      for (const [i, j] of (r.jobs as { id: string }[]).entries()) {
        assert.equal((await waitState(d, j.id, ['succeeded', 'failed'])).state, 'succeeded');
        assert.equal(await log(j.id), `[${values[i]}][end]\n`, JSON.stringify(values[i]));
      }
    });
    it('the same into echo, the allowed prefix of the attacker list', async () => {
      const r = await d.api('POST', '/jobs', { command: 'echo {x}', cwd: root, params: { x: [`a; touch ${marks}/X`, `$(touch ${marks}/X)`] } });
      for (const [i, j] of (r.jobs as { id: string }[]).entries()) {
        assert.equal((await waitState(d, j.id, ['succeeded', 'failed'])).state, 'succeeded');
        assert.equal(await log(j.id), `${[`a; touch ${marks}/X`, `$(touch ${marks}/X)`][i]}\n`);
      }
    });
    it('a value in the program place is one word: a program by that name, which the list does not name', async () => {
      await refused({ command: '{x}', cwd: root, params: { x: [`echo hi; touch ${marks}/sweep-program`] } }, /its program "echo hi; touch .*" cannot be allowed: there is no folder .*\/echo hi; touch /);
    });
    it('argv: a value is inside its element', async () => {
      const r = await d.api('POST', '/jobs', { argv: [`${tools}/args.sh`, '--v={x}'], cwd: root, params: { x: [`a b; touch ${marks}/argv`] } });
      assert.equal((await waitState(d, r.jobs[0].id, ['succeeded', 'failed'])).state, 'succeeded');
      assert.equal(await log(r.jobs[0].id), `[--v=a b; touch ${marks}/argv]\n`);
    });
    it('left no mark', noMarks);
  });

  describe('http jobs: the URL as fetch will send it, at or below an allowed URL', () => {
    it('user info that makes the host another one', async () => {
      await refused({ url: `http://127.0.0.1:${port}@localhost:${otherPort}/allowed` }, new RegExp(`^http job URL ".*" refused: it has user info before "@", so its host is localhost:${otherPort}; allowed_commands matches a URL only as written plainly$`));
    });
    it('%2e%2e and .. segments, normalised, then refused', async () => {
      await refused({ url: `http://127.0.0.1:${port}/allowed/%2e%2e/secret` }, new RegExp(`^http job URL http://127\\.0\\.0\\.1:${port}/secret \\(".*%2e%2e/secret" as requested\\) refused: it is not at or below a URL allowed_commands names \\(allowed URLs: http://127\\.0\\.0\\.1:${port}/allowed\\)$`));
      await refused({ url: `http://127.0.0.1:${port}/allowed/../secret` }, /secret \(".*\/allowed\/\.\.\/secret" as requested\) refused: it is not at or below/);
      await refused({ url: `http://127.0.0.1:${port}/allowedsecret` }, /refused: it is not at or below/);
    });
    it('a backslash, a tab, an encoded /', async () => {
      await refused({ url: `http://127.0.0.1:${port}/allowed\\..\\secret` }, /refused: it has a backslash, which URL parsing reads as \//);
      await refused({ url: `http://127.0.0.1:${port}/allo\twed` }, /refused: it has a tab, which URL parsing drops/);
      await refused({ url: `http://127.0.0.1:${port}/allowed/..%2fsecret` }, /refused: it has an encoded \/ \(%2F\) in its path/);
    });
    it('another port, another scheme', async () => {
      await refused({ url: `http://127.0.0.1:${otherPort}/allowed` }, /refused: it is not at or below/);
      await refused({ url: `https://127.0.0.1:${port}/allowed` }, /refused: it is not at or below/);
    });
    it('an allowed URL runs, and a redirect within the list is followed', async () => {
      const [a, b] = await submit(d, [{ url: `http://127.0.0.1:${port}/allowed` }, { url: `http://127.0.0.1:${port}/allowed/in` }]);
      assert.deepEqual(a!.http?.redirects, [`http://127.0.0.1:${port}/allowed`], 'the allowed URLs travel with the job');
      for (const j of [a!, b!]) assert.equal((await waitState(d, j.id, ['succeeded', 'failed'])).state, 'succeeded');
      assert.match(await log(b!.id), new RegExp(`^> GET http://127\\.0\\.0\\.1:${port}/allowed/in\\n< HTTP 302 Found\\n> GET http://127\\.0\\.0\\.1:${port}/allowed/landed\\n< HTTP 200 OK\\nreached /allowed/landed\\n$`));
    });
    it('a redirect to another host is not followed: the job fails saying where it pointed', async () => {
      const [j] = await submit(d, { url: `http://127.0.0.1:${port}/allowed/out` });
      const done = await waitState(d, j!.id, ['succeeded', 'failed']);
      assert.deepEqual([done.state, done.reason], ['failed', `HTTP 302 Found: redirect to http://localhost:${otherPort}/stolen not followed: it is not at or below a URL allowed_commands names`]);
      assert.match(await log(j!.id), /bl: redirect to http:\/\/localhost:\d+\/stolen not followed/);
    });
    it('reached neither the other host nor anything outside /allowed', async () => {
      await noMarks();
      assert.deepEqual(otherHits, []);
      assert.deepEqual(hits.filter((h) => !h.startsWith('/allowed')), []);
    });
  });

  describe('what the list names runs', () => {
    it('echo, with quoted words, as a command, argv and a text body', async () => {
      const [a, b] = await submit(d, [
        { command: `echo 'a  b' "c" d\\;e`, cwd: root },
        { argv: ['echo', 'x  y'], cwd: root },
      ]);
      const t = await d.request('POST', `/jobs?cwd=${encodeURIComponent(root)}`, 'echo from text');
      assert.equal(t.status, 201, t.text);
      const c = /job (\w+)/.exec(t.text)![1]!;
      for (const id of [a!.id, b!.id, c]) assert.equal((await waitState(d, id, ['succeeded', 'failed'])).state, 'succeeded');
      assert.deepEqual([await log(a!.id), await log(b!.id), await log(c)], ['a  b c d;e\n', 'x  y\n', 'from text\n']);
      assert.match(a!.command!, /^\/\S+\/echo 'a {2}b' c 'd;e'$/, 'the job runs the resolved program, its words quoted by the daemon');
    });
    it('a program under the tools folder, by path or from its cwd', async () => {
      const [a, b] = await submit(d, [
        { command: `${tools}/args.sh 'a b' "it's"`, cwd: root },
        { command: './args.sh $BL_JOB_ATTEMPT', cwd: tools },
      ]);
      for (const j of [a!, b!]) assert.equal((await waitState(d, j.id, ['succeeded', 'failed'])).state, 'succeeded');
      assert.deepEqual([await log(a!.id), await log(b!.id)], ["[a b][it's]\n", '[1]\n']);
    });
    it("./run.sh: the config folder's, from that cwd", async () => {
      const [j] = await submit(d, { command: './run.sh', cwd: root });
      assert.equal((await waitState(d, j!.id, ['succeeded', 'failed'])).state, 'succeeded');
      assert.equal(await log(j!.id), 'config run.sh\n');
      runSh = j!.id;
    });
  });

  describe('a reload brings allowed_env, follow_redirects and a new list', () => {
    const config = (extra: Record<string, unknown>) =>
      writeFileSync(
        path.join(root, 'config.json'),
        JSON.stringify({ port: 0, state_dir: path.join(root, 'state'), keepalives: { inbound_port: 0, internal_port: 0 }, broker: { concurrency: 4 }, ...extra }),
      );

    it('with PATH allowed, argv ["echo"] is still the daemon PATH echo; redirects are not followed', async () => {
      config({ allowed_commands: ['echo ', `${tools}/`, './run.sh', `http://127.0.0.1:${port}/allowed`], allowed_env: ['PATH', 'MY_*'], follow_redirects: false });
      assert.equal((await d.request('POST', '/config/reload')).status, 200);
      const [e, h] = await submit(d, [
        { argv: ['echo', 'hi'], cwd: root, env: { PATH: `${root}/evil-bin`, MY_X: '1' } },
        { url: `http://127.0.0.1:${port}/allowed/in` },
      ]);
      assert.equal((await waitState(d, e!.id, ['succeeded', 'failed'])).state, 'succeeded');
      assert.equal(await log(e!.id), 'hi\n', "not the attacker's echo");
      const done = await waitState(d, h!.id, ['succeeded', 'failed']);
      assert.deepEqual([done.state, done.reason], ['failed', 'HTTP 302 Found: redirect to /allowed/landed not followed (follow_redirects is false)']);
      await refused({ command: 'echo hi', cwd: root, env: { LANG: 'C' } }, /^env refused: "LANG" is not a key allowed_env names \(PATH, MY_\*\)$/);
      await noMarks();
      assert.equal(existsSync(path.join(marks, 'evil-echo')), false);
    });

    it('a retry is judged by the list in force; an entry that names nothing is said in the log', async () => {
      config({ allowed_commands: ['echo ', 'nosuch-bl-program'] });
      assert.equal((await d.request('POST', '/config/reload')).status, 200);
      assert.ok(d.log.some((l) => l.includes('POST /config/reload: allowed_commands: "nosuch-bl-program": there is no program "nosuch-bl-program" on the daemon\'s PATH; the entry allows nothing until it names something')), d.log.join('\n'));
      const r = await d.request('POST', `/jobs/${runSh}/retry`, undefined, { Accept: 'application/json' });
      assert.equal(r.status, 403, r.text);
      assert.match(r.json.error.message, new RegExp(`^command "${root}/run\\.sh" refused: its program "${root}/run\\.sh" is ${root}/run\\.sh, which is not allowed; allowed_commands: echo, nosuch-bl-program$`));
    });
  });
});
