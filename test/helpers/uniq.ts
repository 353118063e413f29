// Names that two test files running at once do not share (task names, BL_TASK markers).

export function uniq(name: string): string {
  return `${name}_${Math.random().toString(36).slice(2, 8)}`;
}
