// `requires` between tasks: names checked, cycles named, the orders of starts and stops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkTaskGraph, dependentsOf, findCycle, stopRounds, withRequirements, type GraphNode } from '../../../daemon/config/task-graph.js';
import { parseConfigText, ConfigError } from '../../../daemon/config/load.js';

const graph = (g: Record<string, string[]>) => new Map<string, GraphNode>(Object.entries(g).map(([name, requires]) => [name, { name, requires, source: 'tasks' }]));

test('an unknown name in requires is refused, naming the field and the closest task', () => {
  assert.throws(() => checkTaskGraph(graph({ Db: [], Web: ['Dbb'] })), { message: 'tasks.Web.requires: expected names of tasks, found "Dbb", which is no task; did you mean "Db"?' });
  assert.throws(() => checkTaskGraph(graph({ Web: ['Zzzzzz'] })), { message: 'tasks.Web.requires: expected names of tasks, found "Zzzzzz", which is no task' });
});

test('a cycle is found and named, whatever its length; a graph without one passes', () => {
  assert.deepEqual(findCycle(graph({ A: ['B'], B: ['A'] })), ['A', 'B', 'A']);
  assert.deepEqual(findCycle(graph({ A: ['A'] })), ['A', 'A']);
  assert.deepEqual(findCycle(graph({ X: [], A: ['X', 'B'], B: ['C'], C: ['A'] })), ['A', 'B', 'C', 'A']);
  assert.equal(findCycle(graph({ A: [], B: ['A'], C: ['A', 'B'], D: ['C', 'A'] })), undefined);
  assert.throws(() => checkTaskGraph(graph({ A: ['B'], B: ['A'] })), { message: 'tasks.A.requires: a cycle of requirements, A → B → A: none of them could ever start' });
  checkTaskGraph(graph({ A: [], B: ['A'], C: ['A', 'B'] }));
});

test('starts go requirements first; stops go dependents first, the furthest first', () => {
  const g = graph({ Web: ['Api', 'Cache'], Api: ['Db'], Cache: [], Db: [], Other: [] });
  assert.deepEqual(withRequirements(g, ['Web']), ['Db', 'Api', 'Cache', 'Web']);
  assert.deepEqual(withRequirements(g, g.keys()), ['Db', 'Api', 'Cache', 'Web', 'Other']);
  assert.deepEqual(dependentsOf(g, 'Db'), ['Web', 'Api']);
  assert.deepEqual(dependentsOf(g, 'Cache'), ['Web']);
  assert.deepEqual(dependentsOf(g, 'Web'), []);
});

test('the config loader refuses an unknown requirement and a cycle, naming the field; requires defaults to none', () => {
  const t = (tasks: Record<string, unknown>) => parseConfigText(JSON.stringify({ tasks }), '/etc/bl.json');
  assert.throws(() => t({ A: { cmd: 'true', requires: ['B'] }, B: { cmd: 'true', requires: ['A'] } }), (e: Error) => {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.message, '/etc/bl.json: tasks.A.requires: a cycle of requirements, A → B → A: none of them could ever start');
    return true;
  });
  assert.throws(() => t({ A: { cmd: 'true', requires: ['Nope'] } }), { message: /^\/etc\/bl\.json: tasks\.A\.requires: expected names of tasks, found "Nope"/ });
  assert.throws(() => t({ A: { cmd: 'true', requires: 'B' } }), { message: '/etc/bl.json: tasks.A.requires: expected an array, found "B"' });
  const c = t({ A: { cmd: 'true' }, B: { cmd: 'true', requires: ['A'] } });
  assert.deepEqual([c.tasks.get('A')!.requires, c.tasks.get('B')!.requires], [[], ['A']]);
});

test('a stop of many goes in rounds: dependents first, the tasks of a round together; others do not count', () => {
  const g = graph({ Db: [], Cache: [], Api: ['Db', 'Cache'], Web: ['Api'], Cron: ['Db'], Lone: [] });
  assert.deepEqual(stopRounds(g, ['Db', 'Cache', 'Api', 'Web', 'Cron', 'Lone']), [['Cron', 'Lone', 'Web'], ['Api'], ['Cache', 'Db']]);
  assert.deepEqual(stopRounds(g, ['Db', 'Api']), [['Api'], ['Db']], 'Web is not being stopped: Api does not wait for it');
  assert.deepEqual(stopRounds(g, []), []);
  assert.deepEqual(stopRounds(graph({ A: ['B'], B: ['A'], C: ['A'] }), ['A', 'B', 'C']), [['C'], ['A', 'B']], 'a cycle stops together');
});
