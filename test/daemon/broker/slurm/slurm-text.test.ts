// What the daemon reads from and writes for Slurm, pure: durations, squeue's lines, the pilot's
// sbatch command line and script, the routes a pilot's token opens.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatSlurmDuration, parseSlurmDuration } from '../../../../daemon/broker/slurm/slurm-time.js';
import { allUnknown, endedHow, neverStarts, parseSqueue, phaseOf } from '../../../../daemon/broker/slurm/squeue-parse.js';
import { pilotScript, sbatchArgv, shellQuote, type PilotSpec } from '../../../../daemon/broker/slurm/pilot-script.js';
import { isLauncherProtocol, isPilotToken, newPilotToken } from '../../../../daemon/broker/slurm/pilot-tokens.js';
import type { SlurmSettings } from '../../../../daemon/config/types.js';

describe('Slurm durations', () => {
  it('every form sbatch --time takes and squeue prints', () => {
    const cases: [unknown, number | undefined][] = [
      [60, 3600],
      [1.5, 90],
      ['90', 5400],
      ['0:58', 58],
      ['1:00:00', 3600],
      ['2-00:00:00', 172800],
      ['1-12', 129600],
      ['1-12:30', 131400],
      ['UNLIMITED', undefined],
      ['INVALID', undefined],
      ['1h', undefined],
      [0, undefined],
      [-5, undefined],
      [true, undefined],
    ];
    for (const [v, want] of cases) assert.equal(parseSlurmDuration(v), want, String(v));
  });

  it('formats as H:MM:SS, from a day up D-HH:MM:SS', () => {
    assert.equal(formatSlurmDuration(3600), '1:00:00');
    assert.equal(formatSlurmDuration(600), '0:10:00');
    assert.equal(formatSlurmDuration(90061), '1-01:01:01');
    for (const s of [59, 3600, 90061, 7 * 86400]) assert.equal(parseSlurmDuration(formatSlurmDuration(s)), s);
  });
});

describe('squeue', () => {
  const out = [
    '12|PENDING||Priority|1:00:00|0:00',
    '13|RUNNING|node7|None|58:10|1:50',
    '14|COMPLETING|node7|None|0:00|1:00:00',
    '15|FAILED|node7|NonZeroExitCode|1:00:00|0:00',
    '16|TIMEOUT|node8|None|0:00|1:00:00',
    'garbage line',
    '',
  ].join('\n');

  it('a line a job: state, node, reason, time left and used', () => {
    const m = parseSqueue(out);
    assert.deepEqual([...m.keys()], ['12', '13', '14', '15', '16']);
    assert.deepEqual(m.get('12'), { id: '12', state: 'PENDING', node: null, reason: 'Priority', timeLeftS: 3600, elapsedS: 0 });
    assert.deepEqual(m.get('13'), { id: '13', state: 'RUNNING', node: 'node7', reason: null, timeLeftS: 3490, elapsedS: 110 });
  });

  it('the phase of each state; how an allocation ended, in words and in Slurm\'s', () => {
    assert.deepEqual(['PENDING', 'CONFIGURING', 'RUNNING', 'SUSPENDED', 'COMPLETING', 'COMPLETED', 'TIMEOUT', 'NODE_FAIL', 'SOMETHING_NEW'].map(phaseOf), [
      'pending', 'pending', 'running', 'running', 'ending', 'ended', 'ended', 'ended', 'ended',
    ]);
    const m = parseSqueue(out);
    assert.equal(endedHow(m.get('15')), 'failed (Slurm: FAILED, NonZeroExitCode)');
    assert.equal(endedHow(m.get('16')), 'time limit reached (Slurm: TIMEOUT)');
    assert.equal(endedHow(undefined), "no longer in Slurm's queue");
    // What its launcher said on leaving tells a pilot's own exit apart; Slurm's words win otherwise.
    const idle = 'nothing to run for 300 s (--idle-exit)';
    assert.equal(endedHow({ id: '17', state: 'COMPLETED', node: 'n1', reason: null, timeLeftS: null, elapsedS: 400 }, idle), `its launcher exited: ${idle} (Slurm: COMPLETED)`);
    assert.equal(endedHow(undefined, idle), `its launcher exited: ${idle}`);
    assert.equal(endedHow(m.get('16'), 'the Slurm allocation of launcher slurm-16 ended (SIGTERM)'), 'time limit reached (Slurm: TIMEOUT)');
    assert.equal(endedHow({ id: '17', state: 'COMPLETED', node: 'n1', reason: null, timeLeftS: null, elapsedS: 400 }, null), 'its launcher exited (Slurm: COMPLETED)');
    assert.ok(allUnknown('slurm_load_jobs error: Invalid job id specified\n'));
    assert.ok(!allUnknown('squeue: error: Unable to contact slurm controller'));
  });

  it('a queued allocation Slurm will never start, and one that waits its turn', () => {
    const v = (state: string, reason: string | null) => ({ id: '1', state, node: null, reason, timeLeftS: null, elapsedS: null });
    assert.match(neverStarts(v('PENDING', 'PartitionConfig'))!, /^Slurm will not start it as asked: PartitionConfig \(the partition cannot give/);
    assert.match(neverStarts(v('PENDING', 'PartitionTimeLimit'))!, /time_limit is longer than the partition's MaxTime/);
    for (const r of ['Priority', 'Resources', 'AssocGrpCpuLimit', null]) assert.equal(neverStarts(v('PENDING', r)), null, String(r));
    assert.equal(neverStarts(v('RUNNING', 'PartitionConfig')), null, 'a running one is not judged by a stale reason');
  });
});

describe('the pilot', () => {
  const settings: SlurmSettings = {
    partition: 'batch',
    account: 'proj1',
    qos: undefined,
    timeLimitS: 3600,
    slotsPerLauncher: 4,
    cpusPerLauncher: 4,
    mem: '8G',
    gres: 'gpu:1',
    maxLaunchers: 4,
    maxPendingAllocations: 1,
    idleExitS: 300,
    endMarginS: 60,
    pollIntervalS: 10,
    sbatchArgs: ['--constraint=ib', '--exclusive'],
    env: {},
    launcherUrl: undefined,
    name: 'bl',
  };
  const spec: PilotSpec = {
    settings,
    jobName: 'bl-login1',
    dir: '/home/u/.local/state/bl/slurm',
    program: ['/usr/bin/node', '/opt/bl/dist/launcher/main.js'],
    url: 'http://login1:8010',
    token: 'blp_abc',
  };

  it('sbatch: every Slurm option on the command line, the operator\'s words last', () => {
    assert.deepEqual(sbatchArgv(spec, '/s/pilot.sh'), [
      '--parsable',
      '--job-name=bl-login1',
      '--output=/home/u/.local/state/bl/slurm/%j.out',
      '--chdir=/home/u/.local/state/bl/slurm',
      '--nodes=1',
      '--ntasks=1',
      '--cpus-per-task=4',
      '--time=1:00:00',
      '--signal=B:USR2@60',
      '--partition=batch',
      '--account=proj1',
      '--mem=8G',
      '--gres=gpu:1',
      '--constraint=ib',
      '--exclusive',
      '/s/pilot.sh',
    ]);
  });

  it('the script: the token in the environment, bl-launcher named after the allocation', () => {
    const s = pilotScript({ ...spec, caFile: '/etc/bl/ca.pem' });
    assert.match(s, /^#!\/bin\/sh\n/);
    assert.match(s, /^BL_TOKEN=blp_abc\nexport BL_TOKEN$/m);
    assert.match(
      s,
      /^exec \/usr\/bin\/node \/opt\/bl\/dist\/launcher\/main\.js http:\/\/login1:8010 -x 4 --name "slurm-\$SLURM_JOB_ID" --idle-exit 300 --end-margin 60 --state-dir \/home\/u\/\.local\/state\/bl\/slurm\/"launcher-\$SLURM_JOB_ID" --ca \/etc\/bl\/ca\.pem$/m,
    );
    assert.doesNotMatch(s, /--token/, 'not on the command line, where ps shows it');
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
  });

  it("a pilot's token opens the launcher protocol and nothing else", () => {
    const t = newPilotToken();
    assert.ok(isPilotToken(t) && t.length > 30 && t !== newPilotToken());
    assert.ok(isLauncherProtocol('POST', '/launchers/slurm-12/lease'));
    assert.ok(isLauncherProtocol('DELETE', '/launchers/slurm-12'));
    assert.ok(isLauncherProtocol('POST', '/jobs/01JEX/heartbeat'));
    assert.ok(isLauncherProtocol('POST', '/jobs/01JEX/finish'));
    for (const [m, p] of [['GET', '/jobs'], ['POST', '/jobs'], ['DELETE', '/jobs/01JEX'], ['GET', '/launchers'], ['POST', '/shutdown'], ['POST', '/broker/allocations'], ['GET', '/launchers/slurm-12/lease']]) {
      assert.ok(!isLauncherProtocol(m!, p!), `${m} ${p}`);
    }
  });
});
