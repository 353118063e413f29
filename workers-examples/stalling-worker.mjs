#!/usr/bin/env node
// Demo misbehaver: sends keep-alives for BL_STALL_AFTER_MS (default 3000 ms), then hangs in a
// busy loop without sending any more — as a worker stuck on a lock or a dead socket would.
// bl-daemon finds it stalled after the task's stall_timeout, stops it and starts another.
//
// Usage (config): "tasks": {"Staller": {"cmd": "node", "args": ["workers-examples/stalling-worker.mjs"], "stall_timeout": 2000}}
import { Publisher } from 'zeromq';

const task = process.env.BL_TASK ?? 'Staller';
const pub = new Publisher();
pub.connect(process.env.BL_KEEPALIVE_ENDPOINT ?? 'tcp://127.0.0.1:5591');
const stallAfter = Number(process.env.BL_STALL_AFTER_MS ?? 3000);
const started = Date.now();

while (Date.now() - started < stallAfter) {
  await pub.send([task, JSON.stringify({ pid: process.pid, taskname: task, info: 'still fine' })]);
  await new Promise((r) => setTimeout(r, 200));
}
console.log(`${task} ${process.pid}: stalling now`);
// Stuck: the thread blocks for good without burning CPU, so no keep-alive leaves (SIGTERM
// still ends it: node's default action applies, as no handler is installed).
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
