#!/usr/bin/python3
# A long-running bl worker in Python, sending keep-alives over ZeroMQ (the seed's wire format:
# two frames, [taskname, json]). Needs pyzmq: Debian's python3-zmq, which is installed for
# /usr/bin/python3 (hence the shebang; a pyenv python3 first on PATH would not have it).
#
# Usage (config): "tasks": {"PyExample": {"cmd": "workers-examples/python-worker.py", "cardinality": 1}}
# On SIGTERM it sends status "stopping" and exits 0.
import json
import os
import signal
import time

import zmq

task = os.environ.get("BL_TASK", "PyExample")
endpoint = os.environ.get("BL_KEEPALIVE_ENDPOINT", "tcp://127.0.0.1:5591")
every = float(os.environ.get("BL_KEEPALIVE_MS", "1000")) / 1000.0

ctx = zmq.Context()
pub = ctx.socket(zmq.PUB)
pub.connect(endpoint)
stopping = False


def on_term(signum, frame):
    global stopping
    stopping = True


signal.signal(signal.SIGTERM, on_term)


def keepalive(status=None):
    # The Go workers of the seed send "Pid"/"TaskName"; bl matches keys in any case.
    msg = {"Pid": os.getpid(), "TaskName": task}
    if status:
        msg["status"] = status
    pub.send_multipart([task.encode(), json.dumps(msg).encode()])


done = 0
while not stopping:
    time.sleep(every)
    done += 1
    keepalive()

keepalive("stopping")
time.sleep(0.05)  # let the last message leave before the socket closes
pub.close(linger=100)
ctx.term()
print(f"{task} {os.getpid()}: stopped after {done} units", flush=True)
