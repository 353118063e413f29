// Runs every compiled test file under node's test runner (Node 20 has no globs in --test).
import { readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve('dist/test');
const files = [];
(function walk(d) {
  for (const f of readdirSync(d).sort()) {
    const p = path.join(d, f);
    if (statSync(p).isDirectory()) walk(p);
    else if (f.endsWith('.test.js')) files.push(p);
  }
})(root);
const only = process.argv.slice(2);
const chosen = only.length ? files.filter((f) => only.some((o) => f.includes(o))) : files;
const r = spawnSync(process.execPath, ['--test', `--test-concurrency=${process.env.BL_TEST_CONCURRENCY ?? 2}`, ...chosen], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
