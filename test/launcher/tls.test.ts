// bl-launcher over https: with --ca it trusts the daemon's certificate (made here by openssl);
// without it, it stops with a message that says what to pass instead of retrying forever. The
// end of a remote job's log comes with its report.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, it } from 'node:test';
import { DaemonClient } from '../../launcher/client.js';
import { startInProcess, type InProcessDaemon } from '../helpers/in-process.js';
import { selfSignedCert } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';
import { exitOf, startLauncher, type TestLauncher } from './launcher-helpers.js';

const TOKEN = 'tls-launcher-token';
const dir = mkdtempSync(path.join(tmpdir(), 'bl-launcher-tls-'));
let daemon: InProcessDaemon | undefined;
const launchers: TestLauncher[] = [];
after(async () => {
  for (const l of launchers) l.cleanup();
  await daemon?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

it('https: --ca trusts the daemon and runs its job; without it, a one-line message and exit 1', async () => {
  const { key, cert } = selfSignedCert(dir);
  daemon = await startInProcess({ config: { tls: { cert, key }, auth: { token: TOKEN }, broker: { concurrency: 2, local_slots: 0, lease_ttl: 2 } } });
  assert.match(daemon.url, /^https:/);
  const api = new DaemonClient({ base: daemon.url, token: TOKEN, ca: readFileSync(cert, 'utf8') });
  try {
    const untrusting = startLauncher({ url: daemon.url, name: 'no-ca', stateDir: path.join(dir, 'l0'), token: TOKEN });
    launchers.push(untrusting);
    assert.equal((await exitOf(untrusting)).code, 1);
    assert.match(untrusting.err, /presented a certificate this launcher does not trust \(DEPTH_ZERO_SELF_SIGNED_CERT.*pass its CA with --ca FILE/);

    const sub = await api.request('POST', '/jobs', { command: 'echo over tls', cwd: dir }, 5000);
    assert.equal(sub.status, 201);
    const id = sub.json.id as string;
    const l = startLauncher({ url: daemon.url, name: 'ca', stateDir: path.join(dir, 'l1'), token: TOKEN, extra: ['--ca', cert, '--exit-when-empty'] });
    launchers.push(l);
    assert.deepEqual(await exitOf(l), { code: 0, signal: null });
    const j = await waitFor('the job to be reported', async () => {
      const r = await api.request('GET', `/jobs/${id}`, undefined, 5000);
      return r.json?.state === 'succeeded' ? r.json : undefined;
    });
    assert.equal(j.launcher, 'ca');
    assert.equal(readFileSync(path.join(dir, 'l1', 'logs', `${id}.log`), 'utf8'), 'over tls\n');
    // The end of the log came with the report: the daemon shows it too.
    const log = await api.request('GET', `/jobs/${id}/log`, undefined, 5000);
    assert.equal(log.text, '--- bl: attempt 1 ran on launcher ca; its log: ---\nover tls\n');
  } finally {
    api.close();
  }
});
