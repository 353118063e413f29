// Counted nouns in messages: "1 task known", "3 tasks known", never "1 tasks".

/** `plural(1, 'task')` → "1 task", `plural(0, 'task')` → "0 tasks"; `many` for irregular words. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
