// /proc helpers for the supervisor benchmark: find the workers of one program by a marker
// in their command line, wait for a replacement, count a pool, read a daemon's memory.
//
// Every benchmarked program is `sleep <token>` with a token unique to the run and the
// program, so a worker is recognised the same way whichever supervisor started it, and
// only once it has exec'd into `sleep` (not while it is still a forked copy of the daemon
// or bl's /bin/sh shim): that is the moment "a new worker process exists".
import { readFileSync, readdirSync } from 'node:fs';

const waitCell = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread for `ms` (sub-millisecond precise, unlike a 1 ms setTimeout). */
export function sleepSync(ms) {
  Atomics.wait(waitCell, 0, 0, ms);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function nowMs() {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Numeric entries of /proc: every process (not threads). */
export function listPids() {
  const out = [];
  for (const d of readdirSync('/proc')) {
    const c = d.charCodeAt(0);
    if (c >= 48 && c <= 57) out.push(Number(d));
  }
  return out;
}

/** argv of a process, or undefined when it is gone (a zombie has an empty cmdline). */
export function readArgv(pid) {
  let s;
  try {
    s = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
  } catch {
    return undefined;
  }
  if (!s) return undefined;
  return s.split('\0');
}

/** The token of a `sleep <token>` process, else undefined. */
export function sleepToken(pid) {
  const a = readArgv(pid);
  if (!a || a.length < 2) return undefined;
  const prog = a[0];
  if (prog !== 'sleep' && !prog.endsWith('/sleep')) return undefined;
  return a[1];
}

/**
 * Waits (busy, 1 ms steps, blocking) for a process with `token` that was not in `before`.
 * Only pids new since `before` are read, so one step costs a readdir and a few reads even
 * with a thousand processes around. Returns ms since `t0`, or undefined after `limitMs`.
 */
export function waitNewPidSync(token, before, t0, limitMs) {
  for (;;) {
    for (const pid of listPids()) {
      if (before.has(pid)) continue;
      if (sleepToken(pid) === token) return { pid, ms: nowMs() - t0 };
    }
    if (nowMs() - t0 > limitMs) return undefined;
    sleepSync(1);
  }
}

/**
 * Counts the processes of a token. count() is incremental, for a pool growing: pids known
 * to match are not read again (a pool that is growing does not lose them), and pids that
 * were there before the watch began and did not match are skipped.
 */
export class PoolWatch {
  constructor(token) {
    this.token = token;
    this.matched = new Set();
    this.ignore = new Set();
    for (const pid of listPids()) {
      if (sleepToken(pid) === token) this.matched.add(pid);
      else this.ignore.add(pid);
    }
  }

  count() {
    let n = 0;
    const live = listPids();
    for (const pid of live) {
      if (this.matched.has(pid)) {
        n++;
        continue;
      }
      if (this.ignore.has(pid)) continue;
      if (sleepToken(pid) === this.token) {
        this.matched.add(pid);
        n++;
      }
    }
    return n;
  }

  /** Reads every candidate again: for counting down, where a worker may die or be a zombie. */
  countExact() {
    let n = 0;
    for (const pid of listPids()) {
      if (this.ignore.has(pid)) continue;
      if (sleepToken(pid) === this.token) n++;
    }
    return n;
  }

  /** Polls every `stepMs` (async, so replies to the request that started it are read). */
  async waitCount(pred, t0, limitMs, stepMs = 1, exact = false) {
    for (;;) {
      const n = exact ? this.countExact() : this.count();
      if (pred(n)) return { n, ms: nowMs() - t0 };
      if (nowMs() - t0 > limitMs) return { n, ms: undefined };
      await sleep(stepMs);
    }
  }
}

/** Pids of the processes running `sleep <token>` for any token in `tokens`. */
export function pidsOfTokens(tokens) {
  const out = [];
  for (const pid of listPids()) {
    const t = sleepToken(pid);
    if (t !== undefined && tokens.has(t)) out.push(pid);
  }
  return out;
}

/** Proportional set size in MiB (shared pages split among their users). */
export function pssMiB(pid) {
  const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export function rssMiB(pid) {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}
