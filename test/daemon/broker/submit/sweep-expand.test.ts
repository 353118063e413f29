// The pure side of sweeps: canonical JSON, the cartesian product, `{name}` substitution and the
// refusals, table by table, with no daemon.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { canonicalJson } from '../../../../daemon/broker/submit/canonical-json.js';
import { combinations, expandSweep, MAX_COMBINATIONS, outputDir, parseParams, placeholders, substitute, sweepKey } from '../../../../daemon/broker/submit/sweep.js';
import type { NewJob } from '../../../../daemon/broker/types.js';
import { BlError } from '../../../../contract/errors.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

function base(over: Partial<NewJob> = {}): NewJob {
  return { command: 'run {a} {b}', argv: null, cwd: '/work', env: { KEEP: '1' }, queue: 'normal', timeout: null, idleCpu: null, retries: 0, key: null, labels: {}, ...over };
}

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof BlError, `a BlError, got ${String(e)}`);
    assert.equal(e.status, 400);
    return e.message;
  }
  assert.fail('expected a refusal');
}

describe('canonicalJson', () => {
  const cases: [string, unknown, string][] = [
    ['sorts keys', { b: 2, a: 1 }, '{"a":1,"b":2}'],
    ['sorts nested keys, keeps array order', { z: [{ y: 1, x: 2 }, 3], a: 'é"' }, '{"a":"é\\"","z":[{"x":2,"y":1},3]}'],
    ['scalars as JSON', 'x', '"x"'],
    ['numbers as JSON', 1.5, '1.5'],
    ['booleans and null', [true, false, null], '[true,false,null]'],
    ['sorts by code unit, not locale', { b: 1, B: 2, _: 3 }, '{"B":2,"_":3,"b":1}'],
    ['empty object', {}, '{}'],
  ];
  for (const [name, v, want] of cases) it(name, () => assert.equal(canonicalJson(v), want));
  it('is the same text for either key order', () => assert.equal(canonicalJson({ x: 1, y: [1] }), canonicalJson({ y: [1], x: 1 })));
});

describe('combinations', () => {
  const cases: [string, [string, (string | number | boolean)[]][], Record<string, unknown>[]][] = [
    ['one parameter', [['a', [1, 2]]], [{ a: 1 }, { a: 2 }]],
    ['first varies slowest', [['a', [1, 2]], ['b', ['x', 'y']]], [{ a: 1, b: 'x' }, { a: 1, b: 'y' }, { a: 2, b: 'x' }, { a: 2, b: 'y' }]],
    ['a single value', [['a', [true]], ['b', [0, 1]]], [{ a: true, b: 0 }, { a: true, b: 1 }]],
  ];
  for (const [name, grid, want] of cases) it(name, () => assert.deepEqual(combinations(grid), want));
  it('3×3×2 gives 18 distinct combinations', () => {
    const all = combinations([['a', [1, 2, 3]], ['b', [1, 2, 3]], ['c', [1, 2]]]);
    assert.equal(all.length, 18);
    assert.equal(new Set(all.map(canonicalJson)).size, 18);
  });
});

describe('placeholders and substitution', () => {
  const cases: [string, string, Record<string, string | number | boolean>, string[], string][] = [
    ['plain', 'run {a} --b={b}', { a: 1, b: 'x' }, ['a', 'b'], 'run 1 --b=x'],
    ['twice', '{a}{a}', { a: 'z' }, ['a', 'a'], 'zz'],
    ["the shell's ${x} is left alone", 'echo ${HOME} {a}', { a: 2 }, ['a'], 'echo ${HOME} 2'],
    ['awk braces are no placeholder', "awk '{print $1}' {f}", { f: 'in' }, ['f'], "awk '{print $1}' in"],
    ['brace expansion is no placeholder', 'cp x.{c,h} {d}', { d: '/t' }, ['d'], 'cp x.{c,h} /t'],
    ['booleans as text', 'go --v={v}', { v: false }, ['v'], 'go --v=false'],
  ];
  for (const [name, text, combo, names, want] of cases) {
    it(name, () => {
      assert.deepEqual(placeholders(text), names);
      assert.equal(substitute(text, combo), want);
    });
  }
});

describe('parseParams refusals', () => {
  const cases: [string, unknown, RegExp][] = [
    ['not an object', [1, 2], /expected `params` to be an object/],
    ['empty object', {}, /at least one parameter/],
    ['empty array', { a: [] }, /`params.a` to be a non-empty array/],
    ['not an array', { a: 3 }, /`params.a` to be a non-empty array/],
    ['object value', { a: [{ x: 1 }] }, /strings, numbers or booleans, found \{"x":1\}/],
    ['null value', { a: [null] }, /strings, numbers or booleans, found null/],
    ['duplicate value', { a: [1, 2, 1] }, /distinct values in `params.a`, found 1 twice/],
    ['bad name', { 'a b': [1] }, /parameter names/],
  ];
  for (const [name, raw, re] of cases) it(name, () => assert.match(refusal(() => parseParams('job 0', raw)), re));
});

describe('expandSweep', () => {
  it('one job per combination, with its command, env, params and keys', () => {
    const grid = parseParams('job', { a: [1, 2], b: ['x', 'y'] });
    const jobs = expandSweep('job', base(), grid, { outputRoot: 'bl-runs', force: false });
    assert.deepEqual(jobs.map((j) => j.command), ['run 1 x', 'run 1 y', 'run 2 x', 'run 2 y']);
    const first = jobs[0]!;
    assert.equal(first.env.BL_PARAMS, '{"a":1,"b":"x"}');
    assert.equal(first.env.BL_OUTPUT_DIR, `/work/bl-runs/${sha('{"a":1,"b":"x"}')}`);
    assert.equal(first.env.KEEP, '1');
    assert.deepEqual(first.params, { a: 1, b: 'x' });
    assert.equal(first.sweepKey, sweepKey('run {a} {b}', { b: 'x', a: 1 }), 'the key ignores key order');
    assert.equal(first.env.BL_OUTPUT_DIR, outputDir('/work', 'bl-runs', { b: 'x', a: 1 }));
    assert.equal(jobs[3]!.sweepKey, sha(canonicalJson({ template: 'run {a} {b}', params: { a: 2, b: 'y' } })));
    assert.equal(new Set(jobs.map((j) => j.sweepKey)).size, 4);
    assert.equal(new Set(jobs.map((j) => j.env.BL_OUTPUT_DIR)).size, 4);
  });

  it('substitutes argv items and resolves a relative or absolute output_root', () => {
    const grid = parseParams('job', { n: [7] });
    const [rel] = expandSweep('job', base({ command: null, argv: ['/bin/echo', '--n={n}'] }), grid, { outputRoot: 'out/x', force: true });
    assert.deepEqual(rel!.argv, ['/bin/echo', '--n=7']);
    assert.equal(rel!.env.BL_OUTPUT_DIR, `/work/out/x/${sha('{"n":7}')}`);
    assert.equal(rel!.force, true);
    const [abs] = expandSweep('job', base({ command: 'x {n}' }), grid, { outputRoot: '/data/runs', force: false });
    assert.equal(abs!.env.BL_OUTPUT_DIR, `/data/runs/${sha('{"n":7}')}`);
  });

  it('the same template and values give the same key; another template another', () => {
    assert.equal(sweepKey('a {x}', { x: 1 }), sweepKey('a {x}', { x: 1 }));
    assert.notEqual(sweepKey('a {x}', { x: 1 }), sweepKey('b {x}', { x: 1 }));
    assert.notEqual(sweepKey('a {x}', { x: 1 }), sweepKey('a {x}', { x: '1' }));
    assert.notEqual(sweepKey(['a', '{x}'], { x: 1 }), sweepKey('a {x}', { x: 1 }));
  });

  it('gives each combination its own idempotency key', () => {
    const jobs = expandSweep('job', base({ key: 'k' }), parseParams('job', { a: [1, 2], b: [1] }), { outputRoot: 'r', force: false });
    assert.equal(new Set(jobs.map((j) => j.key)).size, 2);
    assert.ok(jobs.every((j) => j.key!.startsWith('k/')));
  });

  const refusals: [string, NewJob, unknown, RegExp][] = [
    ['unknown placeholder', base({ command: 'run {a} {c}' }), { a: [1], b: [2] }, /uses \{c\}, which `params` does not name \(params: a, b\)/],
    ['unknown placeholder in argv', base({ command: null, argv: ['x', '{zz}'] }), { a: [1] }, /uses \{zz\}/],
    ['too many combinations', base({ command: 'x {a} {b}' }), { a: Array.from({ length: 1000 }, (_, i) => i), b: Array.from({ length: 101 }, (_, i) => i) }, new RegExp(`at most ${MAX_COMBINATIONS} combinations of \`params\`, found 101000 \\(a: 1000 × b: 101\\)`)],
    ['an http job', base({ command: null, http: { url: 'http://x/', method: 'GET', body: null } }), { a: [1] }, /need a `command` or `argv`/],
  ];
  for (const [name, job, raw, re] of refusals) {
    it(`refuses: ${name}`, () => assert.match(refusal(() => expandSweep('job 3', job, parseParams('job 3', raw), { outputRoot: 'r', force: false })), re));
  }
});
