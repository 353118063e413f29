// Where an allocation's end comes from: --end-at, SLURM_JOB_END_TIME, scontrol's EndTime (the
// cluster's local time), and when there is no allocation at all.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allocationName, parseEndAt, parseScontrolEndTime, planEnd } from '../../launcher/allocation-end.js';

// Slurm 22.05's `scontrol show job` for a running batch job (trimmed).
const SCONTROL = `JobId=1 JobName=job.sh
   UserId=root(0) GroupId=root(0) MCS_label=N/A
   JobState=RUNNING Reason=None Dependency=(null)
   RunTime=00:00:00 TimeLimit=00:01:00 TimeMin=N/A
   SubmitTime=2026-12-02T17:20:50 EligibleTime=2026-12-02T17:20:50
   StartTime=2026-12-02T17:20:52 EndTime=2026-12-02T17:21:52 Deadline=N/A
   Partition=debug AllocNode:Sid=localhost:16996
`;

describe('parseEndAt (--end-at)', () => {
  it('takes epoch seconds, whole or not', () => {
    assert.equal(parseEndAt('1796232112'), 1796232112000);
    assert.equal(parseEndAt(' 1796232112.5 '), 1796232112500);
  });

  it('takes an ISO date and time: with an offset as said, without one in local time', () => {
    assert.equal(parseEndAt('2026-12-02T16:06:19Z'), Date.UTC(2026, 11, 2, 16, 6, 19));
    assert.equal(parseEndAt('2026-12-02T16:06:19+02:00'), Date.UTC(2026, 11, 2, 14, 6, 19));
    assert.equal(parseEndAt('2026-12-02T16:06:19'), new Date(2026, 11, 2, 16, 6, 19).getTime());
    assert.equal(parseEndAt('2026-12-02 16:06'), new Date(2026, 11, 2, 16, 6).getTime());
  });

  it('refuses what is neither, saying what it expected', () => {
    for (const bad of ['', 'soon', '12:00', 'March 7', '-5', '2026-13-45T99:00:00']) {
      assert.throws(() => parseEndAt(bad), new RegExp(`expected --end-at to be epoch seconds or an ISO date and time .*found "${bad}"`), bad);
    }
  });
});

describe('parseScontrolEndTime', () => {
  it("reads EndTime in the cluster's local time", () => {
    assert.equal(parseScontrolEndTime(SCONTROL), new Date(2026, 11, 2, 17, 21, 52).getTime());
  });

  it('is null when Slurm does not know the end, and refuses output with no EndTime', () => {
    assert.equal(parseScontrolEndTime(SCONTROL.replace('EndTime=2026-12-02T17:21:52', 'EndTime=Unknown')), null);
    assert.throws(() => parseScontrolEndTime('slurm_load_jobs error: Invalid job id specified'), /expected an EndTime= field in scontrol's output, found: slurm_load_jobs error/);
    assert.throws(() => parseScontrolEndTime(''), /found: nothing/);
  });
});

describe('planEnd', () => {
  const at = Date.UTC(2026, 11, 2, 16, 0, 0);
  it('no SLURM_JOB_ID and no --end-at: no allocation', () => {
    assert.deepEqual(planEnd({ endAtFlag: undefined, slurmJobId: undefined, slurmJobEndTime: '1796232112' }), { kind: 'none' });
    assert.deepEqual(planEnd({ endAtFlag: undefined, slurmJobId: ' ', slurmJobEndTime: undefined }), { kind: 'none' });
  });

  it('--end-at wins over what Slurm says, and works without Slurm', () => {
    assert.deepEqual(planEnd({ endAtFlag: at, slurmJobId: '123', slurmJobEndTime: '1796232112' }), { kind: 'known', allocation: { endAt: at, source: '--end-at', slurmJobId: '123' } });
    assert.deepEqual(planEnd({ endAtFlag: at, slurmJobId: undefined, slurmJobEndTime: undefined }), { kind: 'known', allocation: { endAt: at, source: '--end-at', slurmJobId: null } });
  });

  it('under Slurm: SLURM_JOB_END_TIME when set, else scontrol; an unreadable one is said and scontrol asked', () => {
    assert.deepEqual(planEnd({ endAtFlag: undefined, slurmJobId: '123', slurmJobEndTime: '1796232112' }), {
      kind: 'known', allocation: { endAt: 1796232112000, source: 'SLURM_JOB_END_TIME', slurmJobId: '123' },
    });
    assert.deepEqual(planEnd({ endAtFlag: undefined, slurmJobId: '123', slurmJobEndTime: undefined }), { kind: 'scontrol', jobId: '123' });
    assert.deepEqual(planEnd({ endAtFlag: undefined, slurmJobId: '123', slurmJobEndTime: 'Unknown' }), {
      kind: 'scontrol', jobId: '123', warning: 'expected SLURM_JOB_END_TIME to be epoch seconds, found "Unknown"; asking scontrol',
    });
  });

  it('names the allocation in reasons', () => {
    assert.equal(allocationName({ slurmJobId: '123' }, 'slurm-123'), 'the Slurm allocation of launcher slurm-123');
    assert.equal(allocationName({ slurmJobId: null }, 'p1'), 'the allocation of launcher p1');
    assert.equal(allocationName(undefined, 'p1'), 'the allocation of launcher p1');
  });
});
