// The store's claim for a launcher with little time left (ClaimOptions.maxTimeout), run by hand:
// `npx tsc -p . && node dist/bench/claim-fit.js [pending]` (default 1,000,000 pending jobs).
// Prints each figure beside the plain head claim measured on the same store in the same run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqliteStore } from '../daemon/broker/store/sqlite-store.js';
import type { NewJob } from '../daemon/broker/types.js';
import { openDb } from '../daemon/state/db.js';

const N = Number(process.argv[2] ?? 1_000_000);
const job = (command: string, timeout: number | null): NewJob => ({
  command, argv: null, cwd: '/', env: {}, queue: 'normal', timeout, idleCpu: null, retries: 0, key: null, labels: {},
});
const ms = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;

function main(): void {
  const dir = mkdtempSync(path.join(tmpdir(), 'bl-bench-fit-'));
  const db = openDb(dir);
  const store = new SqliteStore(db);
  try {
    let t = process.hrtime.bigint();
    for (let i = 0; i < N; i += 10_000) store.enqueue(Array.from({ length: Math.min(10_000, N - i) }, (_, k) => job(`echo ${i + k}`, 3600)), 1);
    console.log(`enqueue ${N} jobs of timeout 3600 s: ${ms(t).toFixed(0)} ms`);
    const at = (maxTimeout?: number) => ({ urgentOnly: false, maxTimeout, launcher: 'p', host: 'h', now: 2 });
    const time = (label: string, fn: () => unknown, rounds = 20) => {
      const all: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const t0 = process.hrtime.bigint();
        fn();
        all.push(ms(t0));
      }
      all.sort((a, b) => a - b);
      console.log(`${label}: median ${all[all.length >> 1]!.toFixed(3)} ms, max ${all.at(-1)!.toFixed(3)} ms`);
    };
    // Each claim is put back where it was (the head, or the tail for the one job behind all
    // the others), so every round sees the same queue.
    const claimBack = (maxTimeout?: number, head = true) => {
      const j = store.claimNext(at(maxTimeout));
      if (j) store.requeue(j.id, { head, attempt: 1, reason: null });
      return j;
    };
    time('baseline: plain head claim (+ re-queue)', () => claimBack());
    time('max-timeout claim, the head fits (+ re-queue)', () => claimBack(7200));
    time('max-timeout claim, nothing fits (the in-memory tally answers)', () => claimBack(600));
    store.enqueue([job('the one that fits', 60)], 3);
    time(`max-timeout claim, the one job that fits is behind ${N} that do not (walks the index)`, () => claimBack(600, false), 5);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
