// The daemon's Slurm allocations as the contract describes them (contract/types.ts
// AllocationJson; GET/POST /broker/allocations, DELETE /broker/allocations/:id, POST
// /broker/allocations/resume, 409 `conflict` without `broker.slurm`), in memory and with no
// Slurm behind it: what the console's fake daemon and the dashboard's tests serve while the
// daemon's own routes are being built. A test changes allocations as Slurm would (`start`,
// `end`, `pause`); `onEvent` hears the `alloc.*` events the daemon would publish.
import type { AllocationJson, AllocationsJson } from '../../contract/types.js';

export const NO_SLURM = 'no broker.slurm in the config';

export interface FakeReply {
  status: number;
  contentType: string;
  body: string;
}

/** An allocation as kept: `time_left_s` is worked out from `end_at` when asked. */
export type FakeAllocation = Omit<AllocationJson, 'time_left_s'>;

export class FakeAllocations {
  paused: string | null = null;
  readonly list: FakeAllocation[] = [];
  /** Every request the routes got, with its body as sent. */
  readonly calls: { method: string; path: string; body: string }[] = [];
  /** The daemon's `alloc.*` events, as it would publish them. */
  onEvent: (topic: string, data: Record<string, unknown>) => void = () => {};
  private nextId = 4001;

  /** A pending allocation, as sbatch's answer leaves it; `over` sets any field. */
  add(over: Partial<FakeAllocation> = {}): FakeAllocation {
    const id = over.id ?? String(this.nextId);
    // Slurm's ids only grow: one given by the test moves the next one past it.
    this.nextId = Math.max(this.nextId, Number(id) + 1 || 0);
    const a: FakeAllocation = {
      id, state: 'pending', launcher: `slurm-${id}`, node: null, submitted_at: new Date().toISOString(), started_at: null, ended_at: null,
      end_at: null, connected: false, jobs_run: 0, reason: null, ...over,
    };
    this.list.push(a);
    return a;
  }

  get(id: string): FakeAllocation {
    const a = this.list.find((x) => x.id === id);
    if (!a) throw new Error(`the fake has no allocation ${id}`);
    return a;
  }

  /** Slurm started it on `node` with `seconds` of its time limit left; its launcher connects. */
  start(id: string, node: string, seconds: number): void {
    Object.assign(this.get(id), { state: 'running', node, started_at: new Date().toISOString(), end_at: new Date(Date.now() + seconds * 1000).toISOString(), connected: true });
    this.onEvent('alloc.started', { id, node });
  }

  end(id: string, reason: string): void {
    Object.assign(this.get(id), { state: 'ended', ended_at: new Date().toISOString(), connected: false, reason });
    this.onEvent('alloc.ended', { id, reason });
  }

  pause(reason: string): void {
    this.paused = reason;
    this.onEvent('alloc.paused', { reason });
  }

  json(now = Date.now()): AllocationsJson {
    return { paused: this.paused, allocations: this.list.map((a) => this.full(a, now)) };
  }

  private full(a: FakeAllocation, now = Date.now()): AllocationJson {
    const running = a.state === 'running' || a.state === 'ending';
    return { ...a, time_left_s: running && a.end_at ? Math.max(0, Math.round((Date.parse(a.end_at) - now) / 1000)) : null };
  }

  /**
   * Answers a request to /broker/allocations…, or undefined for any other path. `fake` null: a
   * daemon without `broker.slurm`.
   */
  static handle(fake: FakeAllocations | null, method: string, path: string, body: string, wantsJson: boolean): FakeReply | undefined {
    const m = /^\/broker\/allocations(?:\/([^/]+))?$/.exec(path);
    if (!m) return undefined;
    const json = (status: number, value: unknown): FakeReply => ({ status, contentType: 'application/json', body: JSON.stringify(value) });
    const reply = (status: number, text: string, value: unknown) => (wantsJson ? json(status, value) : { status, contentType: 'text/plain', body: text + '\n' });
    const error = (status: number, code: string, message: string) => reply(status, `ERROR: ${message}`, { error: { code, message } });
    if (!fake) return error(409, 'conflict', NO_SLURM);
    fake.calls.push({ method, path, body });
    const sub = m[1] === undefined ? undefined : decodeURIComponent(m[1]);
    if (sub === undefined && method === 'GET') {
      const list = fake.json();
      const lines = list.allocations.map((a) => `${a.id}\t${a.state}\t${a.node ?? '-'}`);
      return reply(200, [...(list.paused ? [`Paused: ${list.paused}`] : []), ...lines].join('\n'), list);
    }
    if (sub === undefined && method === 'POST') {
      let count: unknown;
      try {
        count = /^\s*\{/.test(body) ? (JSON.parse(body) as { count?: unknown }).count : body.trim() === '' ? 1 : Number(body.trim());
      } catch {
        return error(400, 'bad_json', `expected a JSON object {"count": N}, got ${JSON.stringify(body)}`);
      }
      if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) return error(400, 'bad_value', `expected count to be a whole number of allocations, 1 or more; found ${JSON.stringify(count)}`);
      const added = Array.from({ length: count }, () => fake.add());
      for (const a of added) fake.onEvent('alloc.submitted', { id: a.id });
      const ids = added.map((a) => a.id).join(', ');
      return reply(201, `Submitted ${count} allocation${count === 1 ? '' : 's'}: ${ids}`, { paused: fake.paused, allocations: added.map((a) => fake.full(a)) });
    }
    if (sub === 'resume' && method === 'POST') {
      const was = fake.paused;
      fake.paused = null;
      if (was) fake.onEvent('alloc.resumed', {});
      return reply(200, was ? 'Resumed: allocations are submitted again as pending work needs them' : 'Allocations were not paused', fake.json());
    }
    if (sub !== undefined && sub !== 'resume' && method === 'DELETE') {
      const a = fake.list.find((x) => x.id === sub);
      if (!a) return error(404, 'not_found', `no allocation ${JSON.stringify(sub)}: expected the Slurm job id of one of this daemon's allocations`);
      if (a.state === 'ended') return error(409, 'conflict', `allocation ${a.id} has already ended (${a.reason ?? 'no reason given'})`);
      // scancel: a queued one goes at once, a running one ends when Slurm has stopped it.
      if (a.state === 'pending') fake.end(a.id, 'cancelled');
      else Object.assign(a, { state: 'ending', reason: 'cancelled' });
      return reply(200, `Cancelled allocation ${a.id}`, fake.full(a));
    }
    return error(405, 'method_not_allowed', `${method} ${path}: not a method of this route`);
  }
}
