// `npm test` runs this first: the tests drive real programs (tmux for the console, Chromium for
// the dashboard, /usr/bin/python3 with python3-zmq for the Python worker, curl for the shell
// worker, ip for network namespaces, Slurm and munge for the allocation tests, PostgreSQL for
// the shared store's tests). On a fresh Debian machine as root it installs what is
// missing, so `npm install && npm test` is the whole set-up; elsewhere it names the command.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const has = (cmd, args = ['--version']) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const needs = [
  ['tmux', () => has('tmux', ['-V'])],
  ['python3-zmq', () => existsSync('/usr/bin/python3') && has('/usr/bin/python3', ['-c', 'import zmq'])],
  ['curl', () => has('curl')],
  ['chromium', () => existsSync('/usr/bin/chromium')],
  ['iproute2', () => has('ip', ['-V'])],
  ['procps', () => has('ps', ['--version'])],
  ['openssl', () => has('openssl', ['version'])],
  // A one-node Slurm, started by test/helpers/slurm.ts as the tests' own children.
  ['slurmctld', () => existsSync('/usr/sbin/slurmctld')],
  ['slurmd', () => existsSync('/usr/sbin/slurmd')],
  ['slurm-client', () => existsSync('/usr/bin/sbatch')],
  ['munge', () => existsSync('/usr/sbin/munged')],
  // A PostgreSQL server, started by test/helpers/postgres.ts in a temp dir for the store tests.
  ['postgresql', () => existsSync('/usr/lib/postgresql') && readdirSync('/usr/lib/postgresql').some((v) => existsSync(`/usr/lib/postgresql/${v}/bin/postgres`))],
];
const missing = needs.filter(([, ok]) => !ok()).map(([pkg]) => pkg);
if (missing.length === 0) process.exit(0);

const cmd = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
const root = process.getuid?.() === 0;
if (!root || !has('apt-get', ['--version'])) {
  console.error(`The tests need Debian packages that are missing: ${missing.join(', ')}.\nInstall them with: sudo apt-get update && sudo ${cmd}`);
  process.exit(1);
}
console.error(`Installing the Debian packages the tests need: ${missing.join(', ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', ...missing]]) {
  const r = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (r.status !== 0) {
    console.error(`apt-get ${args.join(' ')} failed (exit ${r.status}); install by hand: ${cmd}`);
    process.exit(1);
  }
}
