// What bl can do with cgroups on a host, decided from a description of it: a v2-only host, a
// hybrid one (v2 beside v1 controllers, as on this machine), a read-only or missing hierarchy,
// the setting; and which limits each can enforce.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planCgroups, planText, refuseLimits, type HostFacts } from '../../../proc/cgroup/host.js';
import { parseMountinfo, parseProcCgroup } from '../../../proc/cgroup/probe.js';

const unified: HostFacts = { v2: { mount: '/sys/fs/cgroup', own: '/', controllers: ['cpu', 'memory', 'pids', 'io'], cannotWrite: null }, v1: {} };
const hybrid: HostFacts = {
  v2: { mount: '/sys/fs/cgroup/unified', own: '/', controllers: ['hugetlb'], cannotWrite: null },
  v1: {
    memory: { mount: '/sys/fs/cgroup/memory', own: '/session/42', cannotWrite: null },
    cpu: { mount: '/sys/fs/cgroup/cpu', own: '/', cannotWrite: null },
  },
};

test('a v2 host with its controllers: every limit through v2, bl under its own cgroup', () => {
  const p = planCgroups('auto', unified);
  assert.equal(p.mode, 'cgroup');
  if (p.mode !== 'cgroup') return;
  assert.equal(p.v2Dir, '/sys/fs/cgroup');
  assert.deepEqual(p.controllers, { memory: { via: 'v2' }, cpu: { via: 'v2' }, pids: { via: 'v2' } });
  assert.deepEqual(p.home, ['/sys/fs/cgroup/cgroup.procs']);
  assert.equal(refuseLimits({ memory_max: 1 << 30, cpu_max: 1, pids_max: 9 }, p), null);
  assert.equal(planText(p), 'cgroups under /sys/fs/cgroup (memory via v2, cpu via v2, pids via v2)');
});

test('a hybrid host: membership in v2, limits from the v1 hierarchies beside it; a missing one refused', () => {
  const p = planCgroups(true, hybrid);
  assert.equal(p.mode, 'cgroup');
  if (p.mode !== 'cgroup') return;
  assert.deepEqual(p.controllers, { memory: { via: 'v1', dir: '/sys/fs/cgroup/memory/session/42' }, cpu: { via: 'v1', dir: '/sys/fs/cgroup/cpu' } });
  assert.deepEqual(p.home, ['/sys/fs/cgroup/unified/cgroup.procs', '/sys/fs/cgroup/memory/session/42/cgroup.procs', '/sys/fs/cgroup/cpu/cgroup.procs']);
  assert.equal(refuseLimits({ memory_max: 1 << 30, cpu_max: 0.5 }, p), null);
  assert.equal(refuseLimits({ pids_max: 10 }, p), 'pids_max cannot be enforced on this host: the pids controller is not available in cgroup v2 at /sys/fs/cgroup/unified nor mounted as cgroup v1');
  assert.equal(refuseLimits(null, p), null);
});

test('a v1 hierarchy that is not writable is said so', () => {
  const f: HostFacts = { ...hybrid, v1: { memory: { mount: '/sys/fs/cgroup/memory', own: '/', cannotWrite: 'EROFS' } } };
  const p = planCgroups('auto', f);
  assert.equal(refuseLimits({ memory_max: 1 << 30 }, p), 'memory_max cannot be enforced on this host: the memory controller is not available in cgroup v2 at /sys/fs/cgroup/unified, and its v1 hierarchy /sys/fs/cgroup/memory is not writable (EROFS)');
});

test('no cgroup: process groups, the reason, and every limit refused with it', () => {
  const none = planCgroups('auto', { v2: null, v1: {} });
  assert.deepEqual(none, { mode: 'process-group', reason: 'no cgroup v2 (unified) hierarchy is mounted' });
  assert.equal(refuseLimits({ memory_max: 1 << 30 }, none), 'memory_max cannot be enforced on this host: bl is not using cgroups (no cgroup v2 (unified) hierarchy is mounted)');
  const ro = planCgroups('auto', { v2: { mount: '/sys/fs/cgroup', own: '/user.slice', controllers: [], cannotWrite: 'EACCES' }, v1: {} });
  assert.deepEqual(ro, { mode: 'process-group', reason: 'cannot make cgroups in /sys/fs/cgroup/user.slice: EACCES' });
  const off = planCgroups(false, unified);
  assert.deepEqual(off, { mode: 'process-group', reason: 'cgroups: false in the config' });
  assert.equal(planText(off), 'process groups (cgroups: false in the config)');
  assert.equal(refuseLimits({ cpu_max: 1 }, off), 'cpu_max cannot be enforced on this host: bl is not using cgroups (cgroups: false in the config)');
});

test('mountinfo and /proc/self/cgroup are read as the kernel writes them', () => {
  const mounts = parseMountinfo(
    [
      '35 24 0:30 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw',
      '36 24 0:31 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory',
      '37 24 0:32 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct',
      '38 24 0:33 /docker/abc /sys/fs/cgroup/my\\040dir rw - cgroup2 cgroup2 rw',
      '22 1 8:1 / / rw - ext4 /dev/sda1 rw',
    ].join('\n'),
  );
  assert.deepEqual(
    mounts.map((m) => [m.type, m.root, m.point, m.superOpts.includes('memory') || m.superOpts.includes('cpu')]),
    [
      ['cgroup2', '/', '/sys/fs/cgroup/unified', false],
      ['cgroup', '/', '/sys/fs/cgroup/memory', true],
      ['cgroup', '/', '/sys/fs/cgroup/cpu,cpuacct', true],
      ['cgroup2', '/docker/abc', '/sys/fs/cgroup/my dir', false],
    ],
  );
  const own = parseProcCgroup('4:memory:/process_api/x\n2:cpu,cpuacct:/\n0::/\n');
  assert.equal(own.v2, '/');
  assert.equal(own.v1.get('memory'), '/process_api/x');
  assert.equal(own.v1.get('cpuacct'), '/');
});
