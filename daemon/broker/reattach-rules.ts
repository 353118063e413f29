// What a restarted daemon does with a job the store says runs on the built-in launcher, and
// when a job it follows has ended: pure, from what /proc and the job's end file say. A job's
// keeper (its spawn helper, which outlives the daemon: spawn-helpers/protocol.ts 'keep')
// writes its end; a job is never called running once neither it nor a keeper that could still
// write its end is left.
import type { KeeperEnd } from '../../runner/spawn-helpers/end-file.js';

export interface RecoveryFacts {
  /** An http job: a request of the daemon itself, gone with it. */
  http: boolean;
  /** Its end, written by its keeper. */
  end: KeeperEnd | undefined;
  /** Its leader process lives (the one recorded, or the one its marker and attempt find). */
  leaderAlive: boolean;
  /** Some keeper of an earlier daemon lives: one may still write an end. */
  keepersAlive: boolean;
}

export type RecoveryAction =
  /** Its real end: recorded as if it had been reported. */
  | { kind: 'ended'; end: KeeperEnd }
  /** Followed to its end: walltime, cancel, usage, log as for a job started here. */
  | { kind: 'attach' }
  /** No process, but a keeper that may still write its end: waited for. */
  | { kind: 'await' }
  /** Nothing of it left and no end: back in the queue, or lost. */
  | { kind: 'gone'; reason: string };

export const HTTP_GONE = 'the daemon stopped while the http job ran';
export const NO_END = 'the daemon stopped while the job ran and no keeper recorded its end (the host restarted, or its keeper was killed)';
export const KEEPER_DIED = 'its keeper died, exit code unknown';

export function decideRecoveryOf(f: RecoveryFacts): RecoveryAction {
  if (f.end) return { kind: 'ended', end: f.end };
  if (f.http) return { kind: 'gone', reason: HTTP_GONE };
  if (f.leaderAlive) return { kind: 'attach' };
  if (f.keepersAlive) return { kind: 'await' };
  return { kind: 'gone', reason: NO_END };
}

export interface FollowFacts {
  /** Read after the two below: an end written before its keeper exited is seen. */
  end: KeeperEnd | undefined;
  leaderAlive: boolean;
  /** Its keeper (or, with no leader known, any keeper of an earlier daemon) lives. */
  keeperAlive: boolean;
  /** A leader was followed: its keeper died under it; else no keeper wrote an end. */
  hadLeader: boolean;
}

export type FollowStep = { kind: 'wait' } | { kind: 'ended'; end: KeeperEnd } | { kind: 'lost'; reason: string };

export function followStep(f: FollowFacts): FollowStep {
  if (f.end) return { kind: 'ended', end: f.end };
  if (f.leaderAlive || f.keeperAlive) return { kind: 'wait' };
  return { kind: 'lost', reason: f.hadLeader ? KEEPER_DIED : NO_END };
}
