// The Python spawn helper when its parent (the daemon, a launcher) exits with the helper's
// last messages unread: the kernel says "connection reset" instead of end-of-file, and the
// helper must take it as the same, not print a traceback on the daemon's terminal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../../helpers/daemon.js';

// A parent in Python: a socketpair as Node's IPC channel, the helper's "ready" left unread,
// the parent's end closed: the helper's next read is ECONNRESET.
const PARENT = `
import os, select, socket, subprocess, sys
ours, theirs = socket.socketpair()
env = dict(os.environ, NODE_CHANNEL_FD=str(theirs.fileno()))
p = subprocess.Popen([sys.executable, sys.argv[1]], env=env, pass_fds=[theirs.fileno()], stderr=subprocess.PIPE)
theirs.close()
select.select([ours], [], [], 10)  # its ready message is here, and stays unread
ours.close()
_, err = p.communicate(timeout=10)
print(p.returncode)
sys.stdout.write(err.decode())
`;

test('a parent gone with messages unread: the helper exits quietly', () => {
  const r = spawnSync('python3', ['-c', PARENT, path.join(repoRoot, 'runner/spawn-helpers/spawn-helper.py')], { encoding: 'utf8', timeout: 20000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '0\n', 'exit 0 and nothing on its stderr');
});
