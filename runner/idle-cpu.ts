// The idle-CPU rule (golang-job-runner's dead-process detection): a job whose whole tree used
// less than `percent` CPU for `seconds` in a row is dead. Pure: fed one sample at a time.
import type { IdleCpu } from '../contract/run.js';

export interface IdleState {
  /** When the tree's CPU last went below the threshold (ms), null while busy. */
  lowSince: number | null;
}

export function idleStep(rule: IdleCpu, st: IdleState, cpuPercent: number, sampleStart: number, now: number): { st: IdleState; dead: boolean } {
  if (cpuPercent >= rule.percent) return { st: { lowSince: null }, dead: false };
  // The sample covers [sampleStart, now]: the quiet stretch began at its start at the latest.
  const lowSince = st.lowSince ?? sampleStart;
  return { st: { lowSince }, dead: now - lowSince >= rule.seconds * 1000 };
}
