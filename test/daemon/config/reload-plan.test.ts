// The plan of a reload, pure: from the config in force and a new one, the tasks to start, stop,
// restart (a changed definition of a running task, with the fields named), the other changes
// (a cardinality rescales, no restart), the settings and whether a reload takes them; and the
// plan in words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from '../../../daemon/config/load.js';
import { applyReloadable, isEmptyPlan, planReload } from '../../../daemon/config/reload-plan.js';
import { planLines, planSummary, planText } from '../../../daemon/config/reload-text.js';

const FILE = '/etc/bl/bl.json';
const conf = (c: Record<string, unknown>) => parseConfigText(JSON.stringify({ state_dir: '/var/bl', ...c }), FILE);
const sleeper = (arg: string, over: Record<string, unknown> = {}) => ({ cmd: 'sleep', args: [arg], stall_timeout: 0, ...over });

test('the same file: an empty plan', () => {
  const c = { tasks: { A: sleeper('1') }, broker: { concurrency: 4 } };
  const p = planReload(conf(c), conf(c), new Set(['A']));
  assert.ok(isEmptyPlan(p));
  assert.deepEqual(p, { file: FILE, start: [], add: [], stop: [], remove: [], restart: [], change: [], settings: [] });
  assert.equal(planText(p, false), `Reloaded ${FILE}: nothing changed`);
  assert.equal(planText(p, true), `A reload of ${FILE} would change nothing`);
  assert.equal(planSummary(p), 'nothing changed');
});

test('a changed definition restarts a running task, naming the fields; a cardinality alone rescales; other tasks are untouched', () => {
  const old = conf({ tasks: { Web: sleeper('1', { cardinality: 2 }), Db: sleeper('1'), Idle: sleeper('1', { autostart: false }), Same: sleeper('1') } });
  const next = conf({
    tasks: {
      Web: sleeper('2', { cardinality: 3, env: { TOKEN: 's3cret' } }),
      Db: sleeper('1', { cardinality: 4 }),
      Idle: { ...sleeper('1', { autostart: false }), cwd: '/srv' },
      Same: sleeper('1'),
    },
  });
  const p = planReload(old, next, new Set(['Web', 'Db', 'Same']));
  assert.deepEqual(p.restart, [{ task: 'Web', changes: [{ field: 'args', from: ['1'], to: ['2'] }, { field: 'env (TOKEN)' }, { field: 'cardinality', from: 2, to: 3 }] }]);
  assert.deepEqual(p.change, [
    { task: 'Db', changes: [{ field: 'cardinality', from: 1, to: 4 }] },
    { task: 'Idle', changes: [{ field: 'cwd', from: '/etc/bl', to: '/srv' }] },
  ]);
  assert.deepEqual(planLines(p), [
    'restart Web: args ["1"] → ["2"], env (TOKEN), cardinality 2 → 3',
    'change Db: cardinality 1 → 4',
    'change Idle: cwd "/etc/bl" → "/srv" (not running: taken at its next start)',
  ]);
  assert.doesNotMatch(planText(p, false), /s3cret/, 'env values are not shown');
});

test('each field of a task that makes its workers what they are restarts it; the others do not', () => {
  const base = sleeper('1');
  const restarts = (over: Record<string, unknown>) => planReload(conf({ tasks: { T: base } }), conf({ tasks: { T: { ...base, ...over } } }), new Set(['T'])).restart.length === 1;
  for (const over of [{ cmd: 'sh' }, { args: ['2'] }, { cwd: '/tmp' }, { env: { X: '1' } }, { capture_output: false }]) assert.ok(restarts(over), JSON.stringify(over));
  for (const over of [{ cardinality: 5 }, { stall_timeout: 1000 }, { grace_period: 5 }, { min_uptime: 5 }, { backoff: { initial: 5 } }, { autostart: false }, { adopt: true }]) {
    assert.ok(!restarts(over), JSON.stringify(over));
  }
});

test('added and removed tasks: started or only defined, stopped or only forgotten', () => {
  const old = conf({ tasks: { Gone: sleeper('1'), Quiet: sleeper('1', { autostart: false }) } });
  const next = conf({ tasks: { New: sleeper('1'), Later: sleeper('1', { autostart: false }) } });
  const p = planReload(old, next, new Set(['Gone']));
  assert.deepEqual([p.start, p.add, p.stop, p.remove], [['New'], ['Later'], ['Gone'], ['Quiet']]);
  assert.deepEqual(planLines(p), [
    'start New (new task)',
    'add Later (new task, autostart false: not started)',
    'stop Gone (no longer in the file)',
    'remove Quiet (no longer in the file; not running)',
  ]);
  assert.equal(planText(p, true), `A reload of ${FILE} would:\n  ${planLines(p).join('\n  ')}`);
});

test('settings: what a reload takes, and what waits for a restart of the daemon; credentials are not shown', () => {
  const old = conf({ port: 8010, broker: { concurrency: 4 }, auth: { token: 'old-token' } });
  const next = conf({ port: 9000, broker: { concurrency: 8 }, auth: { token: 'new-token' }, allowed_commands: ['echo'] });
  const p = planReload(old, next, new Set());
  assert.deepEqual(p.settings, [
    { field: 'port', from: 8010, to: 9000, applied: false },
    { field: 'auth', applied: false },
    { field: 'broker.concurrency', from: 4, to: 8, applied: true },
    { field: 'allowed_commands', from: null, to: ['echo'], applied: true },
  ]);
  assert.deepEqual(planLines(p), [
    'set port 8010 → 9000 (not applied: takes a restart of the daemon)',
    'set auth (not applied: takes a restart of the daemon)',
    'set broker.concurrency 4 → 8',
    'set allowed_commands none → ["echo"]',
  ]);
  assert.doesNotMatch(JSON.stringify(p), /token/);
  // Applied, the reloadable settings are the config in force; the rest still shows next time.
  applyReloadable(old, next);
  assert.deepEqual(planReload(old, next, new Set()).settings.map((s) => s.field), ['port', 'auth']);
});
