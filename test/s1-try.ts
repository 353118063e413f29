import { startSlurm } from './helpers/slurm.ts';
const s = await startSlurm();
console.log(s.run('sbatch', ['--parsable', '--wrap', 'sleep 100', '-o', s.dir + '/%j.out', '-t', '5']));
await new Promise(r => setTimeout(r, 4000));
console.log(s.run('squeue', []));
console.log(s.run('scancel', ['1']));
const t0 = Date.now();
try { await s.stop(); } catch (e) { console.log(String(e)); }
console.log('stop took', Date.now() - t0);
