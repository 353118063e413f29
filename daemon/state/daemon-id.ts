// Who this daemon is among the daemons sharing a store: made once per state dir and kept in
// it, so a daemon restarted on the same state dir is the same one (it follows the jobs it
// held: recovery.ts) and two daemons never share a name (each state dir has one daemon: lock.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { ulid } from 'ulid';

const FILE = 'daemon-id';

export function daemonId(stateDir: string): string {
  const file = path.join(stateDir, FILE);
  try {
    const id = readFileSync(file, 'utf8').trim();
    if (/^[\w.-]{1,100}$/.test(id)) return id;
  } catch {
    // Not made yet.
  }
  const id = `${hostname().split('.')[0]}-${ulid().slice(-10).toLowerCase()}`;
  writeFileSync(file, `${id}\n`);
  return id;
}
