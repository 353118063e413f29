# bl's fast job spawner: the same helper as spawner-main.ts (see helper-spawner.ts), in Python
# for one reason. Node's child_process forks its whole process (libuv 1.46 on Linux uses
# fork(), not vfork), so every job pays for copying a 40 MB process's page tables and the
# copy-on-write faults after it: a bare Node spawn pool runs /bin/true at ~0.5x the rate of
# `xargs -P2`. os.posix_spawn is glibc's clone(CLONE_VM|CLONE_VFORK): no copy at all, and the
# same pool in Python runs at ~0.8x xargs. When python3 (3.8+) is missing the daemon uses the
# Node helper instead (helper-spawner.ts), so this file is a speed-up, never a requirement.
#
# Protocol: Node's IPC channel in 'json' mode (one JSON object a line) on NODE_CHANNEL_FD.
#   in:  {"k": 0, "env": {...}}                the environment jobs inherit (sent first)
#        {"k": n, "req": SpawnRequest}         start a job (spawner.ts has the fields); with
#                                              "standby": true, hold it and start it the moment
#                                              one of this helper's jobs exits
#        {"k": n, "t": "go" | "withdraw"}      start a held job now / give it back
#        {"k": 0, "batch": [msg, ...]}         the messages above, in order (one write)
#   out: {"k": 0, "t": "ready"}                after start-up, before any job
#        {"k": n, "t": "spawned", "pid": p} | {"k": n, "t": "failed", "message": m}
#        {"k": n, "t": "exited", "code": c, "signal": s, "left": bool, "at": ms}   left: its
#                                              group still had processes when it was reaped;
#                                              at: when it was reaped (epoch ms)
#        {"k": n, "t": "withdrawn"}            a held job given back (never started)
# EOF on the channel (the daemon went): exit; the jobs, in sessions of their own, run on.
#
# Log files: creating a named file is the dearest step of a short job here (100-340 us of
# kernel time on ext4, the directory insert; an O_TMPFILE inode costs 5 us). So a job's log
# starts as an unnamed file in the log directory and gets its name (linkat) once the job has
# run LINK_AFTER_S, or at its exit if it wrote anything (or left processes that may), or when
# the daemon goes. A job that ran briefly and said nothing leaves no file: the daemon serves a
# missing log as empty. An earlier attempt's log is appended to by name, as before.
import collections
import errno
import json
import os
import selectors
import signal
import socket
import sys
import time

if sys.version_info < (3, 8):
    sys.exit("bl: the python3 spawner needs Python 3.8 or later (posix_spawn with setsid)")

LOG_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC
# A reader following a log polls it every 200 ms (daemon/http/log-file.ts): it sees no
# difference, and a job of the sleep bench (50 ms, silent) never costs a directory insert.
# 20 ms here cost ~0.3 points of that bench.
LINK_AFTER_S = 0.2
# Reports of exits whose slots held jobs took are sent up to HUSH_S late, together: the daemon
# then wakes once for a wave of exits, and not while the jobs just started are still exec'ing
# (on 2 cores its bookkeeping competed with them: the sleep bench went from +5.5-5.8 % to
# +5.0-5.2 % with 5 ms; 2 and 10 ms did less). The exit's time travels in the report
# ("at"), so a job's finished_at is not late by it. An exit that leaves a slot for the
# daemon to fill (nothing held) is sent at once, and so is one that leaves fewer jobs held
# than running: the daemon tops them up then, before they run out (the /bin/true batch,
# whose jobs end within a millisecond, emptied its holds within the 5 ms).
HUSH_S = 0.005
# Python ignores these two for itself; a job must start with every signal at its default,
# as a job forked by Node does. (glibc's posix_spawn leaves its two internal signals, 32 and
# 33, ignored, and refuses them here; SIGRTMIN is 34 for glibc programs, which reinstall them.)
DEFAULT_SIGNALS = (signal.SIGPIPE, signal.SIGXFSZ)
# execvp's rule: these mean "not in this PATH entry", look in the next one.
NOT_HERE = (errno.ENOENT, errno.ENOTDIR, errno.EACCES, errno.ELOOP, errno.ENAMETOOLONG)


def channel():
    fd = int(os.environ.pop("NODE_CHANNEL_FD"))
    os.environ.pop("NODE_CHANNEL_SERIALIZATION_MODE", None)
    # Node leaves the channel inheritable; a job must not hold the daemon's socket open.
    os.set_inheritable(fd, False)
    return socket.socket(fileno=fd)


def signal_name(n):
    try:
        return signal.Signals(n).name
    except ValueError:
        return "SIG%d" % n


class Job:
    __slots__ = ("k", "path", "fd")

    def __init__(self, k, path, fd):
        self.k = k
        self.path = path
        self.fd = fd  # the unnamed log's fd until it is named or dropped, else None


def open_log(path):
    """(fd, named): the log, unnamed when it does not exist yet and the filesystem allows."""
    if not os.path.lexists(path):
        try:
            return os.open(os.path.dirname(path) or ".", os.O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC, 0o666), False
        except OSError:
            pass  # no O_TMPFILE here (or no directory: the named open says so)
    return os.open(path, LOG_FLAGS, 0o666), True


# The log directories' fds: Python calls linkat(..., AT_SYMLINK_FOLLOW), which names an unnamed
# file through its /proc/self/fd link, only when given a directory fd (else plain link(),
# which would link the /proc entry itself and fail with EXDEV).
dir_fds = {}


def link_into(fd, path, retry=True):
    d, base = os.path.split(path)
    d = d or "."
    dfd = dir_fds.get(d)
    if dfd is None:
        dfd = dir_fds[d] = os.open(d, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.link("/proc/self/fd/%d" % fd, base, dst_dir_fd=dfd, follow_symlinks=True)
    except FileNotFoundError:
        # The directory was removed and made again since: look it up anew, once.
        os.close(dir_fds.pop(d))
        if not retry:
            raise
        link_into(fd, path, False)


def give_name(job):
    fd, job.fd = job.fd, None
    try:
        link_into(fd, job.path)
    except FileExistsError:
        # Someone made the file meanwhile: add this output to it.
        with open("/proc/self/fd/%d" % fd, "rb") as src, open(job.path, "ab") as dst:
            dst.write(src.read())
    except OSError as e:
        sys.stderr.write("bl: cannot name the log %s: %s\n" % (job.path, e.strerror))
    finally:
        os.close(fd)


class Spawner:
    def __init__(self, chan):
        self.chan = chan
        self.base_env = dict(os.environ)
        self.home = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        self.jobs = {}  # pid -> Job
        self.held = collections.OrderedDict()  # k -> req, standby jobs in the order they came
        self.to_name = collections.deque()  # (deadline, Job) in spawn order
        self.out = []
        self.path_cache = {}
        self.hush_until = None

    def send(self, msg):
        self.out.append(json.dumps(msg, separators=(",", ":")) + "\n")

    def flush(self):
        if self.out:
            data = "".join(self.out).encode()
            self.out = []
            self.chan.sendall(data)

    def handle(self, msg):
        # What the daemon asks is answered at once (the hush is for exits only).
        self.hush_until = 0.0
        if "batch" in msg:
            for m in msg["batch"]:
                self.handle(m)
            return
        k = msg.get("k", 0)
        if "env" in msg:
            self.base_env = msg["env"]
            return
        t = msg.get("t")
        if t is not None:
            req = self.held.pop(k, None)
            if req is None:
                return  # started already: its report has gone out
            if t == "go":
                return self.launch(k, req)
            return self.send({"k": k, "t": "withdrawn"})
        req = msg["req"]
        if req.get("standby"):
            self.held[k] = req
            return
        self.launch(k, req)

    def launch(self, k, req):
        try:
            fd, named = open_log(req["logPath"])
        except OSError as e:
            return self.send({"k": k, "t": "failed", "message": "cannot open the log file %s: %s" % (req["logPath"], e.strerror)})
        job = Job(k, req["logPath"], None if named else fd)
        if req.get("header"):
            try:
                os.write(fd, req["header"].encode())
            except OSError:
                pass  # the header is a courtesy
        env = dict(req.get("baseEnv") or self.base_env)
        env.update(req["env"])
        pid = self.start(job, req, env, fd)
        if named:
            os.close(fd)
        elif pid is not None:
            self.to_name.append((time.monotonic() + LINK_AFTER_S, job))
        # else fail() has named it, with the reason written in it

    def start(self, job, req, env, fd):
        """The job's pid, or None when it could not start (reported)."""
        k = job.k
        actions = [
            (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
            (os.POSIX_SPAWN_DUP2, fd, 1),
            (os.POSIX_SPAWN_DUP2, fd, 2),
        ]
        try:
            # posix_spawn has no chdir action here: this process moves, spawns and moves back
            # (it runs one thing at a time, and its own paths are absolute or opened already).
            os.chdir(req["cwd"])
        except OSError as e:
            return self.fail(job, req, fd, "spawn %s %s" % (req["tries"][0]["file"], errno.errorcode.get(e.errno, e.errno)))
        try:
            last = None
            for t in req["tries"]:
                try:
                    pid = self.spawn_one(t["file"], [t["file"]] + t["args"], env, actions)
                except OSError as e:
                    last = "spawn %s %s" % (t["file"], errno.errorcode.get(e.errno, e.errno))
                    continue
                self.jobs[pid] = job
                self.send({"k": k, "t": "spawned", "pid": pid})
                return pid
            return self.fail(job, req, fd, last)
        finally:
            os.fchdir(self.home)

    def spawn_one(self, file, argv, env, actions):
        opts = dict(file_actions=actions, setsid=True, setsigdef=DEFAULT_SIGNALS, setsigmask=())
        if "/" in file:
            return os.posix_spawn(file, argv, env, **opts)
        # A bare name is looked up in the job's own PATH, as Node does (posix_spawnp would use
        # this process's). The hit is cached; a failed spawn from the cache looks again.
        search = env.get("PATH", os.defpath)
        key = (search, file)
        hit = self.path_cache.get(key)
        if hit:
            try:
                return os.posix_spawn(hit, argv, env, **opts)
            except OSError as e:
                if e.errno not in NOT_HERE:
                    raise
                del self.path_cache[key]
        err = OSError(errno.ENOENT, "not found")
        for d in search.split(":"):
            cand = os.path.join(d or ".", file)
            try:
                pid = os.posix_spawn(cand, argv, env, **opts)
            except OSError as e:
                if e.errno not in NOT_HERE:
                    raise
                if e.errno == errno.EACCES:
                    err = e
                continue
            self.path_cache[key] = cand
            return pid
        raise err

    def fail(self, job, req, fd, message):
        try:
            os.write(fd, ("bl: cannot start the job: %s\n" % message).encode())
        except OSError:
            pass
        if job.fd is not None:
            give_name(job)
        self.send({"k": job.k, "t": "failed", "message": "cannot start the job in %s: %s" % (req["cwd"], message)})
        return None

    def reap(self):
        while self.jobs:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            job = self.jobs.pop(pid, None)
            if job is None:
                continue
            at = int(time.time() * 1000)
            k = job.k
            # Processes left in its group? The daemon stops them; asked here, where it is cheap.
            left = group_alive(pid)
            if job.fd is not None:
                # Named only when there is something to read, or processes left that may write.
                if left or os.fstat(job.fd).st_size > 0:
                    give_name(job)
                else:
                    os.close(job.fd)
                    job.fd = None
            if os.WIFSIGNALED(status):
                self.send({"k": k, "t": "exited", "code": None, "signal": signal_name(os.WTERMSIG(status)), "left": left, "at": at})
            else:
                self.send({"k": k, "t": "exited", "code": os.WEXITSTATUS(status), "signal": None, "left": left, "at": at})
            # Its slot is free: the first held job takes it, no round trip through the daemon.
            if self.held:
                nk, nreq = self.held.popitem(last=False)
                self.launch(nk, nreq)
                if len(self.held) < len(self.jobs):
                    # Fewer held than running: the daemon tops up now, before they run out.
                    self.hush_until = 0.0
                elif self.hush_until is None:
                    self.hush_until = time.monotonic() + HUSH_S
            else:
                # A slot the daemon must fill: it hears of it now.
                self.hush_until = 0.0


    def name_due(self, now):
        """Names the logs of jobs running for LINK_AFTER_S; the seconds to the next, or None."""
        while self.to_name:
            due, job = self.to_name[0]
            if job.fd is None:
                self.to_name.popleft()
                continue
            if due > now:
                return due - now
            self.to_name.popleft()
            give_name(job)
        return None

    def name_all(self):
        for _, job in self.to_name:
            if job.fd is not None:
                give_name(job)
        self.to_name.clear()


def group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def main():
    chan = channel()
    wake_r, wake_w = socket.socketpair()
    wake_r.setblocking(False)
    wake_w.setblocking(False)
    signal.set_wakeup_fd(wake_w.fileno())
    signal.signal(signal.SIGCHLD, lambda *_: None)

    sp = Spawner(chan)
    sel = selectors.DefaultSelector()
    sel.register(chan, selectors.EVENT_READ, "chan")
    sel.register(wake_r, selectors.EVENT_READ, "wake")
    buf = b""
    sp.send({"k": 0, "t": "ready"})
    sp.flush()
    while True:
        now = time.monotonic()
        wait = sp.name_due(now)
        if sp.hush_until is not None:
            h = max(0.0, sp.hush_until - now)
            wait = h if wait is None else min(wait, h)
        for key, _ in sel.select(wait):
            if key.data == "wake":
                try:
                    while wake_r.recv(4096):
                        pass
                except BlockingIOError:
                    pass
                continue
            data = chan.recv(1 << 16)
            if not data:
                # The daemon went: its jobs run on, and their logs must be where it will look.
                sp.name_all()
                return
            buf += data
            *lines, buf = buf.split(b"\n")
            for line in lines:
                if line:
                    sp.handle(json.loads(line))
        # SIGCHLD only wakes the loop; a wait after every turn also catches an exit whose
        # signal came while a request was being handled.
        sp.reap()
        if sp.hush_until is not None:
            if time.monotonic() < sp.hush_until:
                continue
            sp.hush_until = None
        try:
            sp.flush()
        except (BrokenPipeError, ConnectionResetError):
            # The daemon went while this was written: as at EOF.
            sp.name_all()
            return


if __name__ == "__main__":
    main()
