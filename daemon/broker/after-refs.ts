// A submit's `after` names jobs as people have them: an id (whole, a prefix or the last 8
// characters, job-ref.ts), an idempotency key, a sweep id, or the key a sweep was submitted
// with. Each is resolved to one job id or sweep id before the store sees the submit; a name
// that matches nothing, or several jobs, refuses the whole submit naming it.
import { BlError } from '../../contract/errors.js';
import type { JobStore } from './store/store.js';
import type { NewJob } from './types.js';

type Resolved = { id: string } | { unknown: true } | { ambiguous: number };

function resolveOne(store: JobStore, ref: string): Resolved {
  const byKey = store.getByKey(ref);
  if (byKey) return { id: byKey.id };
  const sweep = store.findSweep(ref);
  if (sweep) return { id: sweep };
  const m = store.resolveId(ref, 1);
  if (m.count === 1) return { id: m.jobs[0]!.id };
  return m.count === 0 ? { unknown: true } : { ambiguous: m.count };
}

/** The jobs with `after` as stored: ids, each once. A 100,000-job sweep resolves its list once. */
export function resolveAfter(store: JobStore, jobs: NewJob[]): NewJob[] {
  if (!jobs.some((j) => j.after?.length)) return jobs;
  const seen = new Map<string, Resolved>();
  const unknown = new Set<string>();
  const ambiguous: string[] = [];
  const out = jobs.map((j) => {
    if (!j.after?.length) return j;
    const ids = new Set<string>();
    for (const ref of j.after) {
      let r = seen.get(ref);
      if (!r) seen.set(ref, (r = resolveOne(store, ref)));
      if ('id' in r) ids.add(r.id);
      else if ('unknown' in r) unknown.add(ref);
      else if (!ambiguous.some((a) => a.startsWith(`${ref} `))) ambiguous.push(`${ref} (${r.ambiguous} jobs)`);
    }
    return { ...j, after: [...ids] };
  });
  if (unknown.size || ambiguous.length) {
    const parts: string[] = [];
    if (unknown.size) parts.push(`no job, key or sweep named ${[...unknown].join(', ')}`);
    if (ambiguous.length) parts.push(`more than one job named ${ambiguous.join(', ')}`);
    throw new BlError('bad_value', `expected \`after\` to name submitted jobs or sweeps (ids, idempotency keys, sweep ids), found ${parts.join('; ')}; nothing was submitted`);
  }
  return out;
}
