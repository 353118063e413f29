// broker.slurm at the daemon's start, without a cluster: its routes answer 409 when the config
// has none, a missing sbatch stops the start naming what was looked for (and a reload to such a
// config keeps the running one), and each alloc.* event has its log line.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError } from '../../../../daemon/config/load.js';
import { eventLevel, eventText } from '../../../../daemon/log/event-text.js';
import { startInProcess, type InProcessDaemon } from '../../../helpers/in-process.js';
import { startDaemon } from '../../../helpers/daemon.js';

const daemons: InProcessDaemon[] = [];
after(async () => {
  for (const d of daemons) await d.cleanup();
});

describe('broker.slurm, no cluster needed', () => {
  it('without broker.slurm: every allocation route is a 409 saying so, GET /broker has no allocations', async () => {
    const d = await startInProcess({ config: {} });
    daemons.push(d);
    for (const [m, p] of [['GET', '/broker/allocations'], ['POST', '/broker/allocations'], ['POST', '/broker/allocations/resume'], ['DELETE', '/broker/allocations/12']] as const) {
      const r = await d.request(m, p);
      assert.equal(r.status, 409, `${m} ${p}`);
      assert.equal(r.text, 'ERROR: no broker.slurm in the config\n');
      const j = await d.request(m, p, undefined, { Accept: 'application/json' });
      assert.deepEqual(j.json, { error: { code: 'conflict', message: 'no broker.slurm in the config' } });
    }
    const b = await d.api('GET', '/broker');
    assert.equal('allocations' in b, false);
    assert.doesNotMatch((await d.request('GET', '/broker')).text, /Allocations/);
    // A token shaped like a pilot's, with no allocation behind it, opens nothing.
    assert.equal((await d.request('POST', '/launchers/x/lease', { slots: 1, wait: 0 }, { Authorization: 'Bearer blp_nothing' })).status, 401);
  });

  it('no sbatch on the PATH the Slurm commands get: the start stops with a config error naming it and that PATH', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'bl-nopath-'));
    await assert.rejects(
      startInProcess({ config: { broker: { slurm: { env: { PATH: empty } } } } }),
      (e: Error) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, new RegExp(`config\\.json: broker\\.slurm: expected Slurm's \`sbatch\` on broker\\.slurm\\.env\\.PATH \\(${empty}\\), found none; install Slurm's client commands on this host or name their folder in broker\\.slurm\\.env\\.PATH$`));
        return true;
      },
    );
  });

  it('bl-daemon itself: the config error on its log, exit 2', async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bl-test-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    await assert.rejects(startDaemon({ dir, config: { broker: { slurm: { env: { PATH: '/nonexistent' } } } } }), (e: Error) => {
      assert.match(e.message, /daemon exited \{"code":2,"signal":null\} before ready/);
      assert.match(e.message, /error config error: \S+config\.json: broker\.slurm: expected Slurm's `sbatch` on broker\.slurm\.env\.PATH \(\/nonexistent\), found none/);
      return true;
    });
  });

  it('a reload to a config whose sbatch is missing keeps the running config', async () => {
    const d = await startInProcess({ config: {} });
    daemons.push(d);
    const file = path.join(d.dir, 'config.json');
    const config = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...config, broker: { slurm: { env: { PATH: '/nonexistent' } } } }));
    const r = await d.request('POST', '/config/reload');
    assert.equal(r.status, 400);
    assert.match(r.text, /config not reloaded, the running one stays: .*broker\.slurm: expected Slurm's `sbatch` on broker\.slurm\.env\.PATH \(\/nonexistent\)/);
    assert.equal((await d.request('GET', '/broker/allocations')).status, 409);
  });

  it('each alloc.* event has a log line at its level', () => {
    const T = Date.parse('2026-12-02T16:00:00.000Z');
    const line = (topic: string, data: Record<string, unknown>) => [eventLevel({ id: 1, topic, time: T, data }), eventText({ id: 1, topic, time: T, data })];
    assert.deepEqual(line('alloc.submitted', { id: '123', launcher: 'slurm-123', by: 'demand' }), ['info', 'allocation 123 submitted to Slurm (launcher slurm-123; jobs are waiting)']);
    assert.deepEqual(line('alloc.started', { id: '123', node: 'node7', end_at: '2026-12-02T17:00:00.000Z' }), ['info', 'allocation 123 started on node7; its time ends at 2026-12-02T17:00:00.000Z (in 60 min)']);
    assert.deepEqual(line('alloc.connected', { id: '123', launcher: 'slurm-123', node: 'node7' }), ['info', 'allocation 123: its launcher slurm-123 connected from node7']);
    assert.deepEqual(line('alloc.ended', { id: '123', reason: 'its launcher exited (Slurm: COMPLETED)', jobs_run: 42, ran_s: 600 }), ['info', 'allocation 123 ended after 10 min, 42 jobs run: its launcher exited (Slurm: COMPLETED)']);
    assert.deepEqual(line('alloc.ended', { id: '124', reason: 'cancelled by DELETE /broker/allocations/124', jobs_run: 0, ran_s: null }), ['info', 'allocation 124 ended before it started, 0 jobs run: cancelled by DELETE /broker/allocations/124']);
    assert.deepEqual(line('alloc.failed', { kind: 'sbatch', error: 'sbatch: error: invalid partition specified: nope', failures: 2 }), ['warn', 'sbatch failed (2 in a row): sbatch: error: invalid partition specified: nope']);
    assert.deepEqual(line('alloc.failed', { kind: 'start', id: '125', reason: 'allocation 125 ended without its launcher connecting: failed', failures: 1 }), ['warn', 'allocation 125 died at start (1 in a row): allocation 125 ended without its launcher connecting: failed']);
    assert.deepEqual(line('alloc.paused', { reason: 'sbatch failed 3 times in a row: x' }), ['error', 'allocations paused: sbatch failed 3 times in a row: x; POST /broker/allocations/resume (or a manual submit, or a config reload) resumes them']);
    assert.deepEqual(line('alloc.resumed', { by: 'a config reload' }), ['info', 'allocations resumed (by a config reload)']);
  });
});
