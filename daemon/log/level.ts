// The daemon log's levels, most severe first: a logger at level L writes L and what is above it.

export const LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type Level = (typeof LEVELS)[number];

/** True when an entry at `level` passes a logger set to `threshold`. */
export function passes(level: Level, threshold: Level): boolean {
  return LEVELS.indexOf(level) <= LEVELS.indexOf(threshold);
}

export function isLevel(s: string): s is Level {
  return (LEVELS as readonly string[]).includes(s);
}
