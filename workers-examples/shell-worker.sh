#!/bin/sh
# A long-running bl worker in plain shell, with no ZeroMQ: it sends keep-alives over HTTP to
# $BL_KEEPALIVE_URL (bl-daemon fills in this worker's id) with curl.
#
# Usage (config): "tasks": {"ShellExample": {"cmd": "workers-examples/shell-worker.sh", "cardinality": 1}}
# Set BL_KEEPALIVE_MS to change the interval (default 1000 ms).
# On SIGTERM it tells the daemon it is stopping and exits 0.
every_ms=${BL_KEEPALIVE_MS:-1000}
every=$(awk "BEGIN { printf \"%.3f\", $every_ms / 1000 }")
stopping=0
trap 'stopping=1' TERM

alive() {
  curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
    -d "{\"status\": \"$1\", \"info\": \"shell worker\"}" "$BL_KEEPALIVE_URL" || true
}

alive running
while [ "$stopping" = 0 ]; do
  # sleep in the background and wait, so SIGTERM interrupts the wait at once
  sleep "$every" &
  wait $! 2>/dev/null
  [ "$stopping" = 0 ] && alive running
done
alive stopping
echo "shell worker $$: stopped"
exit 0
