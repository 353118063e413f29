// A reload plan in words, pure: the lines the reload's reply, its log line, `reload --dry-run`
// and `bl-daemon --check` print. One line a task or setting: what is done to it and why.
import { isEmptyPlan, DEFINITION, type FieldChange, type ReloadPlan } from './reload-plan.js';

/** `3`, `true`, `"sleep"`, `["1000"]`; none for null. */
function value(v: unknown): string {
  if (v === null || v === undefined) return 'none';
  return typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}

/** `args ["1000"] → ["2000"]`, `env (TOKEN)`. */
export function changeText(c: FieldChange): string {
  return 'from' in c || 'to' in c ? `${c.field} ${value(c.from)} → ${value(c.to)}` : c.field;
}

export function planLines(p: ReloadPlan): string[] {
  const lines: string[] = [];
  for (const t of p.start) lines.push(`start ${t} (new task)`);
  for (const t of p.add) lines.push(`add ${t} (new task, autostart false: not started)`);
  for (const t of p.stop) lines.push(`stop ${t} (no longer in the file)`);
  for (const t of p.remove) lines.push(`remove ${t} (no longer in the file; not running)`);
  for (const r of p.restart) lines.push(`restart ${r.task}: ${r.changes.map(changeText).join(', ')}`);
  for (const c of p.change) {
    const later = c.changes.some((x) => DEFINITION.has(x.field.replace(/ .*/, ''))) ? ' (not running: taken at its next start)' : '';
    lines.push(`change ${c.task}: ${c.changes.map(changeText).join(', ')}${later}`);
  }
  for (const s of p.settings) lines.push(`set ${changeText(s)}${s.applied ? '' : ' (not applied: takes a restart of the daemon)'}`);
  return lines;
}

/** POST /config/reload's answer (`dry`: POST /config/check's): the file, then a line each. */
export function planText(p: ReloadPlan, dry: boolean): string {
  const file = p.file ?? '(no file)';
  if (isEmptyPlan(p)) return dry ? `A reload of ${file} would change nothing` : `Reloaded ${file}: nothing changed`;
  return `${dry ? `A reload of ${file} would` : `Reloaded ${file}`}:\n${planLines(p).map((l) => `  ${l}`).join('\n')}`;
}

/** The log's one line: `start C (new task); restart B: args ["1"] → ["2"]`. */
export function planSummary(p: ReloadPlan): string {
  return isEmptyPlan(p) ? 'nothing changed' : planLines(p).join('; ');
}
