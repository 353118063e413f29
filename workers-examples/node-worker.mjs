#!/usr/bin/env node
// A long-running bl worker in Node, sending keep-alives over ZeroMQ (the seed's wire format).
//
// Usage (config): "tasks": {"NodeExample": {"cmd": "node", "args": ["workers-examples/node-worker.mjs"], "cardinality": 2}}
// bl-daemon gives every worker BL_TASK and BL_KEEPALIVE_ENDPOINT. Set BL_KEEPALIVE_MS to
// change the interval (default 1000 ms; keep it well under the task's stall_timeout).
//
// On SIGTERM it says goodbye (status "stopping"), finishes its current unit of work and exits 0.
import { Publisher } from 'zeromq';

const task = process.env.BL_TASK ?? 'NodeExample';
const endpoint = process.env.BL_KEEPALIVE_ENDPOINT ?? 'tcp://127.0.0.1:5591';
const every = Number(process.env.BL_KEEPALIVE_MS ?? 1000);

const pub = new Publisher();
pub.connect(endpoint);
let stopping = false;
let done = 0;

async function keepalive(status) {
  const msg = { pid: process.pid, taskname: task, info: `${done} units done` };
  if (status) msg.status = status;
  await pub.send([task, JSON.stringify(msg)]);
}

process.on('SIGTERM', () => {
  stopping = true;
});

while (!stopping) {
  // One unit of "work": here only a pause; a real worker would take a job from its queue.
  await new Promise((r) => setTimeout(r, every));
  done++;
  await keepalive();
}
await keepalive('stopping');
pub.close();
console.log(`${task} ${process.pid}: stopped after ${done} units`);
process.exit(0);
