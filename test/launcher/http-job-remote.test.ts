// http jobs and sweep jobs on a bl-launcher run as on the built-in launcher (both call
// startRun): with local_slots 0 only the launcher runs jobs; the http verdict (no exit code,
// `HTTP 200`) and the sweep's BL_OUTPUT_DIR come back from it the same way.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startInProcess, type InProcessDaemon } from '../helpers/in-process.js';
import { startLauncher, type TestLauncher } from './launcher-helpers.js';
import { submit, waitState } from '../helpers/jobs.js';

describe('http and sweep jobs on a bl-launcher', () => {
  let d: InProcessDaemon;
  let l: TestLauncher;
  let server: Server;
  let base: string;
  let work: string;
  before(async () => {
    server = createServer((req, res) => res.writeHead(req.url === '/ok' ? 200 : 503).end('from the test server\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    d = await startInProcess({ config: { broker: { concurrency: 2, local_slots: 0 } } });
    work = path.join(d.dir, 'work');
    mkdirSync(work);
    l = startLauncher({ url: d.url, name: 'far', slots: 2, stateDir: path.join(work, 'launcher') });
  });
  after(async () => {
    l.cleanup();
    await d.cleanup();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('runs an http job remotely: 2xx succeeds, 503 fails, no exit code', async () => {
    const [ok, bad] = await submit(d, [{ url: `${base}/ok` }, { url: `${base}/down` }]);
    const a = await waitState(d, ok!.id, ['succeeded', 'failed'], 20000);
    const b = await waitState(d, bad!.id, ['succeeded', 'failed'], 20000);
    assert.deepEqual([a.state, a.launcher, a.exit_code, a.reason], ['succeeded', 'far', null, 'HTTP 200'], l.err);
    assert.deepEqual([b.state, b.exit_code, b.reason], ['failed', null, 'HTTP 503 Service Unavailable']);
  });

  it('runs sweep jobs remotely, each in its own BL_OUTPUT_DIR', async () => {
    const r = await d.api('POST', '/jobs', { command: 'echo {n} > "$BL_OUTPUT_DIR/n"', cwd: work, params: { n: [1, 2] } });
    for (const j of r.jobs) assert.equal((await waitState(d, j.id, ['succeeded', 'failed'], 20000)).launcher, 'far');
    for (const n of [1, 2]) {
      const dir = path.join(work, 'bl-runs', createHash('sha256').update(`{"n":${n}}`).digest('hex'));
      assert.equal(readFileSync(path.join(dir, 'n'), 'utf8'), `${n}\n`);
    }
  });
});
