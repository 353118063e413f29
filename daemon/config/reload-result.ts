// What a config reload did to the tasks, and how the log and POST /config/reload say it.

export interface ReloadResult {
  added: string[];
  removed: string[];
  changed: string[];
}

/** `added [a, b], removed [], changed [c]` */
export function reloadText(r: ReloadResult): string {
  return `added [${r.added.join(', ')}], removed [${r.removed.join(', ')}], changed [${r.changed.join(', ')}]`;
}
