// Reading /proc/PID/stat: the fields after the command name, whatever the name holds; a live
// process read as the kernel has it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStat, readStat } from '../../proc/stat.js';

test('parseStat: the fields after the last ")", a name with spaces and parentheses included', () => {
  // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
  // cutime cstime priority nice num_threads itrealvalue starttime vsize rss …
  const line = '4242 (a) (b c)) S 17 4242 4242 0 -1 4194560 120 0 0 0 31 12 0 0 -2 0 1 0 987654 2301952 345 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n';
  assert.deepEqual(parseStat(4242, line), { pid: 4242, state: 'S', ppid: 17, pgid: 4242, cpuTicks: 43, startTime: 987654, rssPages: 345 });
});

test('readStat: this process, as the kernel has it; nothing for a pid that is not there', () => {
  const st = readStat(process.pid)!;
  assert.equal(st.pid, process.pid);
  assert.equal(st.ppid, process.ppid);
  assert.equal(st.state, 'R', 'it is running: it is reading');
  assert.ok(st.rssPages > 0 && st.startTime > 0);
  assert.equal(readStat(2 ** 22 + 1), undefined, 'above any pid_max');
});
