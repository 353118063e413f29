#!/bin/sh
# Demo: a worker that starts children of its own — one in its process group and one that
# leaves it with setsid — as wrappers, pipelines and daemons-in-disguise do. bl-daemon stops
# them all with the worker (stop, scale-down, stall kill, daemon shutdown).
#
# Usage (config): "tasks": {"Forker": {"cmd": "workers-examples/forking-worker.sh", "stall_timeout": 0}}
sleep 100000 &
setsid sleep 100001 &
echo "forking worker $$: children started"
while :; do sleep 1; done
