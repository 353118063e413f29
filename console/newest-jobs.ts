// The newest jobs of a list the daemon pages oldest-first (GET /jobs: by id, `after=` an id).
// Job ids are ULIDs, time first, and `after` may be any id, listed or not: a made-up id of a
// time T lists the jobs submitted from T on. So the newest N are found by looking for a time
// after which between N and 2N jobs were submitted (from now, back in steps of ×8, then halving),
// without reading the rest. A daemon that honours `order=desc` answers the first request itself.
import { decodeTime, encodeTime } from 'ulid';
import type { JobJson, JobPageJson } from '../contract/types.js';
import type { Client } from './client.js';

export type FetchPage = (q: { after?: string; limit: number; desc?: boolean }) => Promise<JobPageJson>;

export interface Newest {
  /** Newest first. */
  jobs: JobJson[];
  /** There are older ones than these. */
  more: boolean;
  /** Requests it took (the tests keep it small). */
  requests: number;
}

/** Lookups before falling back to reading on from the best time found. */
export const MAX_PROBES = 16;
/** The daemon's largest page (GET /jobs `limit`). */
const BIG_PAGE = 10000;

/** The smallest id of time `ms`: every job submitted from `ms` on lists after it. */
export function idAtTime(ms: number): string {
  return encodeTime(Math.max(0, Math.floor(ms)), 10) + '0'.repeat(16);
}

const isDescending = (jobs: JobJson[]) => jobs.length >= 2 && jobs.every((j, i) => i === 0 || jobs[i - 1]!.id > j.id);
const newestOf = (ascending: JobJson[], n: number) => ascending.slice(-n).reverse();

export async function newestJobs(fetchPage: FetchPage, n: number, now: number): Promise<Newest> {
  const limit = 2 * n;
  let requests = 0;
  const get = (q: Parameters<FetchPage>[0]) => {
    requests++;
    return fetchPage(q);
  };
  const first = await get({ limit, desc: true });
  if (isDescending(first.jobs)) return { jobs: first.jobs.slice(0, n), more: first.jobs.length > n || first.next !== null, requests };
  if (first.next === null) return { jobs: newestOf(first.jobs, n), more: first.jobs.length > n, requests };

  let oldest: number;
  try {
    oldest = decodeTime(first.jobs[0]!.id);
  } catch {
    // Not ULIDs: nothing to aim with; read on from the first page.
    return { ...(await readOn(get, first.next, n, first.jobs)), requests };
  }
  // `lo`: a time with more than `limit` jobs after it; `hi`: one with fewer than n after it.
  let lo = oldest - 1;
  let hi: number | undefined;
  type Probe = { done: JobJson[] } | { many: true } | { few: true };
  const probe = async (t: number): Promise<Probe> => {
    const p = await get({ after: idAtTime(t), limit });
    if (p.next !== null) {
      lo = Math.max(lo, t);
      return { many: true };
    }
    if (p.jobs.length >= n) return { done: p.jobs };
    hi = hi === undefined ? t : Math.min(hi, t);
    return { few: true };
  };
  const finish = (jobs: JobJson[]): Newest => ({ jobs: newestOf(jobs, n), more: true, requests });

  // Bracket it: from now back in steps of ×8 (or forward, when the daemon's clock is ahead).
  const r = await probe(now);
  if ('done' in r) return finish(r.done);
  for (let step = 1000; requests < MAX_PROBES; step *= 8) {
    const t = 'many' in r ? now + step : now - step;
    if ('many' in r ? hi !== undefined : lo > oldest - 1 || t <= lo) break;
    const p = await probe(t);
    if ('done' in p) return finish(p.done);
  }
  // Halve the bracket.
  while (hi !== undefined && hi - lo > 1 && requests < MAX_PROBES) {
    const p = await probe(Math.floor((lo + hi) / 2));
    if ('done' in p) return finish(p.done);
  }
  // Many jobs in one millisecond (a sweep) or an odd spread: read on from `lo`.
  return { ...(await readOn(get, idAtTime(lo), n, [])), requests };
}

/** Every job after `after` in large pages, keeping the newest n (with `seen` before them). */
async function readOn(get: FetchPage, after: string, n: number, seen: JobJson[]): Promise<Omit<Newest, 'requests'>> {
  let keep = seen.slice(-n);
  let cursor: string | null = after;
  while (cursor !== null) {
    const p = await get({ after: cursor, limit: BIG_PAGE });
    keep = [...keep, ...p.jobs].slice(-n);
    cursor = p.next;
  }
  return { jobs: keep.reverse(), more: true };
}

/** GET /jobs of one daemon as a FetchPage (`state` as the route takes it; none: every job). */
export function pageFetcher(client: Pick<Client, 'json'>, state?: string): FetchPage {
  return ({ after, limit, desc }) => {
    const q = new URLSearchParams({ limit: String(limit) });
    if (state) q.set('state', state);
    if (after !== undefined) q.set('after', after);
    if (desc) q.set('order', 'desc');
    return client.json<JobPageJson>('GET', `/jobs?${q}`);
  };
}
