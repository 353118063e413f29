// The pid the kernel will most likely give the next process: the last one it gave, plus one.
// It lets BL_KEEPALIVE_URL name the worker's own pid without a shell started in front of
// every worker to find it out (that shell cost ~2.5 ms of a 6 ms restart). It is a guess:
// another process may fork in between, so the URL also carries the worker's id, which is
// what the daemon goes by.
import { readFileSync } from 'node:fs';

const LAST_PID = '/proc/sys/kernel/ns_last_pid';
const PID_MAX = '/proc/sys/kernel/pid_max';

let pidMax: number | undefined;

/** The likely pid of the next process started, or undefined where the kernel does not say. */
export function nextPid(): number | undefined {
  try {
    const last = Number(readFileSync(LAST_PID, 'latin1'));
    pidMax ??= Number(readFileSync(PID_MAX, 'latin1'));
    const next = last + 1;
    // Past pid_max the kernel starts again low (above the pids it keeps for early daemons);
    // where exactly is not worth guessing.
    return Number.isInteger(next) && next > 1 && next < pidMax ? next : undefined;
  } catch {
    return undefined;
  }
}
