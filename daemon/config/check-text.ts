// What `bl-daemon --check -conf=FILE` prints of a valid config when no daemon is asked, pure:
// the file, then every task it defines in the order they start (requirements first), with
// its command, workers, whether it autostarts and what it requires.
import type { DaemonConfig } from './types.js';
import { withRequirements } from './task-graph.js';
import { plural } from '../../contract/plural.js';

export function checkText(c: DaemonConfig): string {
  const names = withRequirements(c.tasks, c.tasks.keys());
  const head = `${c.file ?? '(defaults)'}: valid; ${plural(names.length, 'task')}${names.length ? ', in the order they start:' : ''}`;
  const width = Math.max(0, ...names.map((n) => n.length));
  const rows = names.map((n) => {
    const t = c.tasks.get(n)!;
    const notes = [plural(t.cardinality, 'worker'), t.autostart ? 'autostart' : 'defined only'];
    if (t.requires.length) notes.push(`requires ${t.requires.join(', ')}`);
    return `  ${n.padEnd(width)}  ${[t.cmd, ...t.args].join(' ')}  (${notes.join(', ')})`;
  });
  return [head, ...rows, ...c.warnings.map((w) => `warning: ${w}`)].join('\n');
}
