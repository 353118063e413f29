// A keep-alive blaster, run as its own process by bench/supervisor.mjs so it does not share
// an event loop with the HTTP prober: sends [task, {"pid", "taskname"}] to the daemon's
// ZeroMQ keep-alive endpoint, as fast as one socket allows, from `startAt` for `durationMs`.
// Prints {"sent": n} on stdout at the end.
//   node ka-sender.mjs <endpoint> <task> <pid,pid,...> <startAt epoch ms> <durationMs>
import { Publisher } from 'zeromq';

const [endpoint, task, pidList, startAt, durationMs] = process.argv.slice(2);
const pids = pidList.split(',').map(Number);
const sock = new Publisher();
// Default sndhwm (1000): PUB drops past it rather than block, as real workers' sockets do.
sock.connect(endpoint);
// Prebuilt bodies: what is measured is the daemon, not JSON.stringify here.
const bodies = pids.map((pid) => Buffer.from(JSON.stringify({ pid, taskname: task })));
const topic = Buffer.from(task);

const wait = Number(startAt) - Date.now();
if (wait > 0) await new Promise((r) => setTimeout(r, wait));
const end = Date.now() + Number(durationMs);
let sent = 0;
// Bounded by time: checks the clock every 256 messages.
for (;;) {
  await sock.send([topic, bodies[sent % bodies.length]]);
  sent++;
  if ((sent & 255) === 0 && Date.now() >= end) break;
}
process.stdout.write(JSON.stringify({ sent }) + '\n');
sock.linger = 0;
sock.close();
