#!/bin/sh
# Demo misbehaver: ignores SIGTERM. bl-daemon waits the task's grace_period after SIGTERM,
# then sends SIGKILL to the worker's process group.
#
# Usage (config): "tasks": {"Stubborn": {"cmd": "workers-examples/stubborn-worker.sh", "grace_period": 1000, "stall_timeout": 0}}
trap '' TERM
echo "stubborn worker $$: ignoring SIGTERM"
while :; do
  [ -n "$BL_KEEPALIVE_URL" ] && curl -s -o /dev/null -X POST "$BL_KEEPALIVE_URL"
  sleep 1
done
