// The environment every worker and job inherits: the daemon's own, copied once. Spreading
// process.env reads each variable through a getter (~30 µs a spawn here), and nothing in the
// daemon changes its environment after start.
let copy: Record<string, string> | undefined;

export function inheritedEnv(): Record<string, string> {
  copy ??= { ...(process.env as Record<string, string>) };
  return copy;
}
