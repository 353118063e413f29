// Slurm's durations, pure: what `--time` accepts and what squeue's %L (time left) and %M (time
// used) print: "minutes", "minutes:seconds", "hours:minutes:seconds", "days-hours",
// "days-hours:minutes", "days-hours:minutes:seconds". A bare number is minutes, as for sbatch.

const DAYS = /^(\d+)-(\d+)(?::(\d+))?(?::(\d+))?$/;
const CLOCK = /^(\d+)(?::(\d+))?(?::(\d+))?$/;

/** Seconds, or undefined when `v` is not a Slurm duration (UNLIMITED, INVALID, N/A… included). */
export function parseSlurmDuration(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v > 0 ? Math.round(v * 60) : undefined;
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  let m = DAYS.exec(t);
  if (m) {
    const [d, h, min, s] = m.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number];
    return ((d * 24 + h) * 60 + min) * 60 + s;
  }
  m = CLOCK.exec(t);
  if (!m) return undefined;
  const parts = m.slice(1).filter((x) => x !== undefined).map(Number);
  if (parts.length === 1) return parts[0]! * 60;
  if (parts.length === 2) return parts[0]! * 60 + parts[1]!;
  return (parts[0]! * 60 + parts[1]!) * 60 + parts[2]!;
}

/** `--time` as Slurm prints it: "H:MM:SS", or "D-HH:MM:SS" from a day up. */
export function formatSlurmDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return d > 0 ? `${d}-${two(h)}:${two(m)}:${two(sec)}` : `${h}:${two(m)}:${two(sec)}`;
}
