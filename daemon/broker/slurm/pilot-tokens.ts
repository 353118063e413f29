// A token made for one allocation: it lets that allocation's launcher speak the launcher
// protocol (leases, heartbeats, reports, goodbye) and nothing else. Only its hash is kept.
import { createHash, randomBytes } from 'node:crypto';

const PREFIX = 'blp_';
/** A pilot's launcher is named `slurm-<allocation id>`. */
export const LAUNCHER_PREFIX = 'slurm-';

export function newPilotToken(): string {
  return PREFIX + randomBytes(24).toString('base64url');
}

/** Shaped like a pilot's token (whether it is a valid one is the allocations' to say). */
export function isPilotToken(token: string): boolean {
  return token.startsWith(PREFIX);
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The launcher protocol's routes: what a pilot's token opens. */
export function isLauncherProtocol(method: string, path: string): boolean {
  if (method === 'POST' && /^\/launchers\/[^/]+\/lease$/.test(path)) return true;
  if (method === 'DELETE' && /^\/launchers\/[^/]+$/.test(path)) return true;
  return method === 'POST' && /^\/jobs\/[^/]+\/(heartbeat|finish)$/.test(path);
}
