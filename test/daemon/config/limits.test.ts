// `cgroups` and a task's `memory_max`, `cpu_max`, `pids_max` as the config file gives them:
// read into the normal form, a bad value stops the load naming the field and what it expects.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, parseConfigText } from '../../../daemon/config/load.js';

const load = (raw: unknown) => parseConfigText(JSON.stringify(raw), '/etc/bl/c.json');

test('cgroups defaults to "auto" and takes true, false or "auto"', () => {
  assert.equal(load({}).cgroups, 'auto');
  assert.equal(load({ cgroups: false }).cgroups, false);
  assert.equal(load({ cgroups: true }).cgroups, true);
  assert.throws(() => load({ cgroups: 'sometimes' }), (e: Error) => e instanceof ConfigError && /cgroups: expected true, false or "auto", found "sometimes"/.test(e.message));
});

test("a task's limits are read into bytes, cores and processes; none is null", () => {
  const c = load({ tasks: { web: { cmd: 'sleep', memory_max: '512M', cpu_max: '50%', pids_max: 32 }, plain: { cmd: 'sleep' } } });
  assert.deepEqual(c.tasks.get('web')!.limits, { memory_max: 512 * 1024 * 1024, cpu_max: 0.5, pids_max: 32 });
  assert.equal(c.tasks.get('plain')!.limits, null);
});

test('a bad limit stops the load, naming the field and what it expects', () => {
  assert.throws(() => load({ tasks: { web: { cmd: 'sleep', memory_max: 'lots' } } }), (e: Error) => /tasks\.web\.memory_max: expected bytes \(a number\) or a size like "512M", "1.5G", "64MiB", found "lots"/.test(e.message));
  assert.throws(() => load({ tasks: { web: { cmd: 'sleep', cpu_max: 0 } } }), (e: Error) => /tasks\.web\.cpu_max: expected at least 1% of a core, found 0/.test(e.message));
  assert.throws(() => load({ tasks: { web: { cmd: 'sleep', pids_max: -1 } } }), (e: Error) => /tasks\.web\.pids_max: expected a whole number of processes of at least 1, found -1/.test(e.message));
});
