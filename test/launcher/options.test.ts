// bl-launcher's command line: Go-style and GNU flags alike, defaults, clear usage errors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../contract/flags.js';
import { parseOptions } from '../../launcher/options.js';

const d = { hostname: 'node7', pid: 321, home: '/home/u', envToken: undefined };

describe('bl-launcher options', () => {
  it('defaults: one slot, host-pid name, state under ~/.local/state/bl-launcher, port 8010', () => {
    const o = parseOptions(['head'], d);
    assert.deepEqual(
      { url: o.url, slots: o.slots, name: o.name, stateDir: o.stateDir, exitWhenEmpty: o.exitWhenEmpty, token: o.token },
      { url: 'http://head:8010', slots: 1, name: 'node7-321', stateDir: '/home/u/.local/state/bl-launcher', exitWhenEmpty: false, token: undefined },
    );
  });

  it('Go-style and GNU flags are the same', () => {
    const forms = [
      ['https://head:9000', '-x', '4', '-name=w1', '-token', 'T', '-exit-when-empty'],
      ['https://head:9000', '-x4', '--name', 'w1', '--token=T', '--exit-when-empty'],
      ['-x=4', '--slots', '4', 'https://head:9000', '-name', 'w1', '-token=T', '--exit-when-empty'],
    ];
    for (const argv of forms) {
      const o = parseOptions(argv, d);
      assert.deepEqual([o.url, o.slots, o.name, o.token, o.exitWhenEmpty], ['https://head:9000', 4, 'w1', 'T', true], argv.join(' '));
    }
  });

  it('walltime flags: --idle-exit, --end-at (epoch seconds or ISO), --end-margin (default 60 s)', () => {
    const none = parseOptions(['h'], d);
    assert.deepEqual([none.idleExitMs, none.endAt, none.endMarginMs], [undefined, undefined, 60_000]);
    const o = parseOptions(['h', '--idle-exit', '90', '-end-at=1796232112', '--end-margin', '45'], d);
    assert.deepEqual([o.idleExitMs, o.endAt, o.endMarginMs], [90_000, 1796232112000, 45_000]);
    assert.equal(parseOptions(['h', '--end-at', '2026-12-02T16:06:19Z'], d).endAt, Date.UTC(2026, 11, 2, 16, 6, 19));
    assert.equal(parseOptions(['h', '--idle-exit', '0.5', '--end-margin', '0'], d).idleExitMs, 500);
  });

  it('the token may come from the environment; the flag wins', () => {
    assert.equal(parseOptions(['h'], { ...d, envToken: 'E' }).token, 'E');
    assert.equal(parseOptions(['h', '--token', 'F'], { ...d, envToken: 'E' }).token, 'F');
  });

  it('several daemons: comma-separated or one after another, in order, each once', () => {
    assert.deepEqual(parseOptions(['a,b:9000', 'https://c', 'a'], d).urls, ['http://a:8010', 'http://b:9000', 'https://c:8010']);
    assert.equal(parseOptions(['a,b'], d).url, 'http://a:8010');
  });

  it('usage errors say what was expected and what came', () => {
    const bad: [string[], RegExp][] = [
      [[], /expected the daemon address \(http:\/\/head:8010\), found nothing/],
      [['a,http://[x', 'b'], /expected each daemon address as host\[:port\] or a URL, found "http:\/\/\[x"/],
      [['h', '-x', '0'], /expected -x to be an integer ≥ 1, found "0"/],
      [['h', '-x', 'many'], /found "many"/],
      [['h', '--name', 'local'], /not "local"/],
      [['h', '--bogus'], /bogus/],
      [['h', '--idle-exit', 'soon'], /expected --idle-exit to be seconds ≥ 0, found "soon"/],
      [['h', '--end-margin=-5'], /expected --end-margin to be seconds ≥ 0, found "-5"/],
      [['h', '--end-at', 'tomorrow'], /expected --end-at to be epoch seconds or an ISO date and time .*found "tomorrow"/],
    ];
    for (const [argv, re] of bad) assert.throws(() => parseOptions(argv, d), (e: Error) => e instanceof UsageError && re.test(e.message), argv.join(' '));
  });
});
