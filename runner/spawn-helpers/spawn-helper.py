# bl's spawn helper in Python (the protocol, and what both helpers do, is in protocol.ts beside
# this file; node-helper.ts is the other helper). Python for one reason: Node's child_process
# forks its whole process (libuv 1.46 on Linux uses fork(), not vfork), so every job pays for
# copying a 40 MB process's page tables and the copy-on-write faults after it: a bare Node spawn
# pool runs /bin/true at ~0.5x the rate of `xargs -P2`. os.posix_spawn is glibc's
# clone(CLONE_VM|CLONE_VFORK): no copy at all, and the same pool in Python runs at ~0.8x xargs.
# Where python3 (3.8+) is missing, the Node helper starts jobs instead.
#
# Log files: a job's log starts as an unnamed file (O_TMPFILE) in the log directory and gets
# its name (linkat) once the job has run LOG_NAMED_AFTER_S, or at its exit if it wrote anything
# (or left processes that may), or when the parent goes. Creating a named file costs 100-340 us
# of kernel time on ext4 (the directory insert), an unnamed one 5 us.
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

# Every process of a job's run inherits this variable, BL_JOB_RUN=<id>:<attempt>@<launcher>
# (runner/job-process.ts sets it; proc/job-tree.ts says why kills go by the run).
RUN_MARKER = "BL_JOB_RUN"
LOG_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC
# An unnamed log is opened for append too: once named, an earlier or later attempt's processes
# may write to it by name, and no writer may overwrite another's lines.
TMP_LOG_FLAGS = os.O_TMPFILE | os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC
# protocol.ts LOG_NAMED_AFTER_MS; a reader following a log polls it every 200 ms.
LOG_NAMED_AFTER_S = 0.2
# Python ignores these two for itself; a job must start with every signal at its default,
# as a job forked by Node does. (glibc's posix_spawn leaves its two internal signals, 32 and
# 33, ignored, and refuses them here; SIGRTMIN is 34 for glibc programs, which reinstall them.)
DEFAULT_SIGNALS = (signal.SIGPIPE, signal.SIGXFSZ)
# execvp's rule: these mean "not in this PATH entry", look in the next one.
NOT_HERE = (errno.ENOENT, errno.ENOTDIR, errno.EACCES, errno.ELOOP, errno.ENAMETOOLONG)
# protocol.ts RECENT_ENDS_S: a keeper also writes the ends it reported this recently, which its
# parent may have died before recording; at most RECENT_MAX of them are kept.
RECENT_S = 30
RECENT_MAX = 4096


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
    __slots__ = ("k", "path", "fd", "marker")

    def __init__(self, k, path, fd, marker):
        self.k = k
        self.path = path
        self.fd = fd  # the unnamed log's fd until it is named or dropped, else None
        self.marker = marker  # its BL_JOB_RUN, which every process of its tree inherits


def request_problem(req):
    """Why execve could not take this request (protocol.ts requestProblem, word for word); None: it can."""
    for t in req["tries"]:
        for i, a in enumerate([t["file"]] + t["args"]):
            if "\0" in a:
                return "argument %d of %s holds a NUL byte" % (i, json.dumps(t["file"]))
    if "\0" in req["cwd"]:
        return "the working directory holds a NUL byte"
    for name, value in req["env"].items():
        if name == "" or "=" in name or "\0" in name:
            return "the environment variable name %s is empty or holds = or a NUL byte" % json.dumps(name)
        if "\0" in value:
            return "the environment variable %s holds a NUL byte" % name
    return None


def open_log(path):
    """(fd, named): the log, unnamed when it does not exist yet and the filesystem allows."""
    if not os.path.lexists(path):
        try:
            return os.open(os.path.dirname(path) or ".", TMP_LOG_FLAGS, 0o666), False
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
        self.on_eof = "leave"
        self.to_name = collections.deque()  # (deadline, Job) in spawn order
        self.out = []
        self.path_cache = {}
        self.end_files = {}  # pid -> where its end goes when this helper outlives its parent
        self.recent = collections.deque()  # (monotonic time, end file, end) reported lately
        self.orphaned = False  # the parent went and this helper keeps its jobs (onEof "keep")
        self.sel = None  # main's selector, which also waits on the piped logs
        self.pipes = {}  # read fd -> LogPipe, while its job's output is copied
        self.piped = {}  # pid -> LogPipe of a running piped job

    def send(self, msg):
        self.out.append(json.dumps(msg, separators=(",", ":")) + "\n")

    def flush(self):
        if self.out:
            data = "".join(self.out).encode()
            self.out = []
            self.chan.sendall(data)

    def handle(self, msg):
        if not isinstance(msg, dict):
            sys.stderr.write("bl: the spawn helper got a message that is not an object; ignored\n")
            return
        if "batch" in msg:
            for m in msg["batch"]:
                self.handle(m)
            return
        if "env" in msg:
            self.base_env = msg["env"]
            self.on_eof = msg.get("onEof", "leave")
            return
        k = msg.get("k", 0)
        try:
            self.launch(k, msg["req"])
        except Exception as e:
            # One request this helper could not handle fails alone, never the helper: the
            # other jobs are its to report. (A job whose pid was reported runs on; the error
            # goes to stderr.)
            if any(j.k == k for j in self.jobs.values()):
                sys.stderr.write("bl: after starting job %s: %r\n" % (k, e))
            else:
                self.send({"k": k, "t": "failed", "message": "cannot start the job: the spawn helper could not handle its request (%r)" % e})

    def launch(self, k, req):
        why = request_problem(req)
        if why:
            return self.send({"k": k, "t": "failed", "message": "cannot start the job: %s" % why})
        if req.get("output"):
            return launch_piped(self, k, req)
        try:
            fd, named = open_log(req["logPath"])
        except OSError as e:
            return self.send({"k": k, "t": "failed", "message": "cannot open the log file %s: %s" % (req["logPath"], e.strerror)})
        job = Job(k, req["logPath"], None if named else fd, req["env"].get(RUN_MARKER))
        if req.get("header"):
            try:
                os.write(fd, req["header"].encode())
            except OSError:
                pass  # the header is a courtesy
        env = dict(self.base_env)
        env.update(req["env"])
        pid = self.start(job, req, env, fd)
        if named:
            os.close(fd)
        elif pid is not None:
            self.to_name.append((time.monotonic() + LOG_NAMED_AFTER_S, job))
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
        except (ValueError, TypeError) as e:
            return self.fail(job, req, fd, "the working directory: %s" % e)
        cg = req.get("cgroup")
        try:
            if cg:
                # Into the job's cgroup for the spawn, so the job starts inside it before it
                # runs a single instruction (nothing it forks can be outside); back after.
                try:
                    enter(cg["enter"])
                except OSError as e:
                    return self.fail(job, req, fd, "cannot enter its cgroup: %s" % e)
            last = None
            for t in req["tries"]:
                try:
                    pid = self.spawn_one(t["file"], [t["file"]] + t["args"], env, actions)
                except OSError as e:
                    last = "spawn %s %s" % (t["file"], errno.errorcode.get(e.errno, e.errno))
                    continue
                except (ValueError, TypeError) as e:
                    # What execve cannot take (a NUL byte, a name with =): no other try helps.
                    return self.fail(job, req, fd, "spawn %s: %s" % (t["file"], e))
                self.jobs[pid] = job
                if req.get("endFile"):
                    self.end_files[pid] = req["endFile"]
                self.send({"k": k, "t": "spawned", "pid": pid})
                return pid
            return self.fail(job, req, fd, last)
        finally:
            if cg:
                try:
                    enter(cg["home"])
                except OSError as e:
                    sys.stderr.write("bl: cannot go back to the helper's own cgroup: %s\n" % e)
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
                pid, status, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            job = self.jobs.pop(pid, None)
            if job is None:
                continue
            drain_piped(self, pid)
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
                msg = {"k": k, "t": "exited", "code": None, "signal": signal_name(os.WTERMSIG(status)), "left": left, "at": at}
            else:
                msg = {"k": k, "t": "exited", "code": os.WEXITSTATUS(status), "signal": None, "left": left, "at": at}
            self.send(msg)
            self.note_end(pid, msg, usage)

    def name_due(self, now):
        """Names the logs of jobs running for LOG_NAMED_AFTER_S; the seconds to the next, or None."""
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

    def parent_gone(self):
        """The channel closed: kill the jobs, leave them or keep them (onEof), and leave their logs named."""
        if self.on_eof == "kill" and self.jobs:
            kill_trees(self.jobs)
        if self.on_eof == "keep":
            self.orphaned = True
            self.out = []
            for _, path, end in self.recent:
                write_end(path, end)
            self.recent.clear()
        self.name_all()

    def note_end(self, pid, msg, usage):
        """Writes a job's end when no parent hears of it, else keeps it a while (RECENT_S)."""
        path = self.end_files.pop(pid, None)
        if path is None:
            return
        end = {"pid": pid, "code": msg["code"], "signal": msg["signal"], "at": msg["at"], "left": msg["left"],
               "cpu": round(usage.ru_utime + usage.ru_stime, 3), "maxrss": usage.ru_maxrss * 1024}
        if self.orphaned:
            return write_end(path, end)
        now = time.monotonic()
        self.recent.append((now, path, end))
        while self.recent and (len(self.recent) > RECENT_MAX or self.recent[0][0] < now - RECENT_S):
            self.recent.popleft()


# --- Piped logs: log_max_bytes, log_keep, log_timestamps (a request's "output") ---------------
# A job whose request asks for rotation or timestamps writes into a pipe, and this helper, its
# keeper, copies the pipe into the log: stamping each line with the time it was read, and moving
# the log to <log>.1 ... <log>.<keep> by renames once it reaches max_bytes (the names and the
# order of task logs, daemon/supervisor/log-writer.ts). A write that a slow disk holds up holds
# this helper, the pipe fills and the job's writes wait: slowed, never dropped. Without
# "output" a job writes its log itself (the fast path above).
PIPE_READ = 1 << 16
PIPE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC


def rotated_path(path, i):
    return path if i == 0 else "%s.%d" % (path, i)


def stamp_now():
    """The time a line was read, as task logs start their lines (ISO 8601, ms, UTC)."""
    t = time.time()
    return (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ " % (int(t * 1000) % 1000)).encode()


class LogPipe:
    def __init__(self, path, output):
        self.path = path
        self.max_bytes = output.get("maxBytes")
        self.keep = output.get("keep", 3)
        self.stamps = bool(output.get("timestamps"))
        self.at_line_start = True
        self.failed = False
        self.fd = os.open(path, PIPE_FLAGS, 0o666)
        self.size = os.fstat(self.fd).st_size
        try:
            self.r, self.w = os.pipe2(os.O_CLOEXEC)
        except OSError:
            os.close(self.fd)
            raise
        os.set_blocking(self.r, False)
        self.registered = False

    def write_raw(self, data):
        """Bytes written as they are (the attempt header)."""
        self.put(data)

    def pump(self, sp, limit=16):
        """Copies what the pipe holds (up to `limit` reads); at EOF, lets the pipe go."""
        for _ in range(limit):
            try:
                data = os.read(self.r, PIPE_READ)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                return self.close(sp)
            self.put(self.stamp(data) if self.stamps else data)

    def stamp(self, data):
        ts = stamp_now()
        ends = data.endswith(b"\n")
        out = (data[:-1] if ends else data).replace(b"\n", b"\n" + ts) + (b"\n" if ends else b"")
        if self.at_line_start:
            out = ts + out
        self.at_line_start = ends
        return out

    def put(self, data):
        """Appends; the file is rotated at the first line end at or past max_bytes (a line
        longer than PIPE_READ past it is cut there)."""
        while data:
            need = None if self.max_bytes is None else self.max_bytes - self.size
            if need is None or len(data) < need:
                return self.write_all(data)
            i = data.find(b"\n", max(need - 1, 0))
            if i < 0:
                self.write_all(data)
                if self.size >= self.max_bytes + PIPE_READ:
                    self.rotate()
                return
            self.write_all(data[: i + 1])
            data = data[i + 1 :]
            self.rotate()

    def write_all(self, data):
        view = memoryview(data)
        try:
            if self.fd is None:
                self.reopen()
            while view:
                n = os.write(self.fd, view)
                view = view[n:]
                self.size += n
            self.failed = False
        except OSError as e:
            # A full disk: said once until a write works again, the output meanwhile lost.
            if not self.failed:
                sys.stderr.write("bl: cannot write the log %s: %s\n" % (self.path, e.strerror))
            self.failed = True

    def reopen(self):
        self.fd = os.open(self.path, PIPE_FLAGS, 0o666)
        self.size = os.fstat(self.fd).st_size

    def rotate(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        # Oldest first, each to the place after it; the one at `keep` makes room by going.
        steps = [(os.unlink, (rotated_path(self.path, max(self.keep, 1)),))]
        steps += [(os.rename, (rotated_path(self.path, i), rotated_path(self.path, i + 1))) for i in range(self.keep - 1, -1, -1)]
        if self.keep == 0:
            steps.append((os.unlink, (self.path,)))
        for fn, args in steps:
            try:
                fn(*args)
            except OSError:
                pass  # removed meanwhile: nothing to move (a rename refused: the next write says so)
        try:
            self.reopen()
        except OSError:
            pass  # the next write tries again, and says why it cannot

    def close(self, sp):
        if self.r is None:
            return
        if self.registered:
            sp.sel.unregister(self.r)
            self.registered = False
        sp.pipes.pop(self.r, None)
        os.close(self.r)
        self.r = None
        if self.w is not None:
            os.close(self.w)
            self.w = None
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def launch_piped(sp, k, req):
    """A job whose output this helper copies into its log (LogPipe)."""
    path = req["logPath"]
    try:
        lp = LogPipe(path, req["output"])
    except OSError as e:
        return sp.send({"k": k, "t": "failed", "message": "cannot open the log file %s: %s" % (path, e.strerror)})
    if req.get("header"):
        lp.write_raw(req["header"].encode())
    job = Job(k, path, None, req["env"].get(RUN_MARKER))
    env = dict(sp.base_env)
    env.update(req["env"])
    pid = sp.start(job, req, env, lp.w)
    # The job has its copy; ours would keep the pipe open after it.
    os.close(lp.w)
    lp.w = None
    if pid is None:
        # It did not start: the reason, written into the pipe, goes to the log.
        lp.pump(sp, limit=1 << 30)
        return lp.close(sp)
    sp.pipes[lp.r] = lp
    sp.piped[pid] = lp
    sp.sel.register(lp.r, selectors.EVENT_READ, lp)
    lp.registered = True


def drain_piped(sp, pid):
    """A piped job was reaped: what it wrote is in its pipe, copied before its exit is told (a
    follow ends at the exit). Processes it left may write on: the pipe stays until they close it."""
    lp = sp.piped.pop(pid, None)
    if lp is not None and lp.r is not None:
        # Bounded: what the job wrote fits in the pipe; a left process writing on is read later.
        lp.pump(sp, limit=64)


def close_pipes(sp):
    """The keeper's last jobs ended: their output is copied and the pipes let go."""
    for lp in list(sp.pipes.values()):
        lp.pump(sp, limit=64)
        lp.close(sp)


def write_end(path, end):
    """A job's end, whole or not at all (runner/spawn-helpers/end-file.ts)."""
    tmp = "%s.%d.tmp" % (path, os.getpid())
    try:
        with open(tmp, "w") as f:
            json.dump(end, f, separators=(",", ":"))
        os.rename(tmp, path)
    except OSError as e:
        sys.stderr.write("bl: cannot write the end of job %d to %s: %s\n" % (end["pid"], path, e.strerror))


def keep(sp, sel, chan):
    """The parent went: with onEof "keep", waits on the jobs left, writing each end, until none is."""
    if not sp.orphaned and not sp.pipes:
        return
    sel.unregister(chan)
    while True:
        sp.reap()
        sp.out = []
        if not sp.jobs:
            return close_pipes(sp)
        # SIGCHLD wakes the select; the timeout is a net for a wake-up lost to a full pipe.
        for key, _ in sel.select(5.0):
            if isinstance(key.data, LogPipe):
                key.data.pump(sp)
                continue
            try:
                while key.fileobj.recv(4096):
                    pass
            except BlockingIOError:
                pass


def kill_trees(jobs):
    """SIGKILL to every process of these jobs: their groups, their leaders' descendants (also
    those that left the group) and anything carrying one of their markers."""
    procs = {}  # pid -> (ppid, pgrp)
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as f:
                rest = f.read().rsplit(b")", 1)[1].split()
            procs[int(name)] = (int(rest[1]), int(rest[2]))
        except (OSError, IndexError, ValueError):
            continue
    markers = {(RUN_MARKER + "=" + j.marker).encode() for j in jobs.values() if j.marker}
    doomed = set()
    for pid, (_, pgrp) in procs.items():
        if pgrp in jobs:
            doomed.add(pid)
        elif markers:
            try:
                with open("/proc/%d/environ" % pid, "rb") as f:
                    if markers & set(f.read().split(b"\0")):
                        doomed.add(pid)
            except OSError:
                pass
    doomed |= set(jobs)
    grew = True
    while grew:
        kids = {pid for pid, (ppid, _) in procs.items() if ppid in doomed and pid not in doomed}
        grew = bool(kids)
        doomed |= kids
    for pid in doomed:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def enter(procs_files):
    """Moves this process into the cgroups whose cgroup.procs files these are."""
    me = str(os.getpid())
    for f in procs_files:
        with open(f, "w") as out:
            out.write(me)


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
    # A helper lives as long as its channel. A batch system signals every process of a job at
    # once (Slurm: SIGTERM at scancel and the time limit, SIGUSR2 as its warning); the parent
    # decides what its jobs become, and must still hear how they end. Caught, not ignored, so
    # jobs start with them at their default.
    for s in (signal.SIGTERM, signal.SIGUSR2):
        signal.signal(s, lambda *_: None)

    sp = Spawner(chan)
    sel = selectors.DefaultSelector()
    sel.register(chan, selectors.EVENT_READ, "chan")
    sel.register(wake_r, selectors.EVENT_READ, "wake")
    sp.sel = sel
    buf = b""
    sp.send({"k": 0, "t": "ready"})
    try:
        sp.flush()
    except (BrokenPipeError, ConnectionResetError):
        return  # the parent went before this helper was ready: nothing started, nothing to do
    while True:
        now = time.monotonic()
        wait = sp.name_due(now)
        for key, _ in sel.select(wait):
            if isinstance(key.data, LogPipe):
                key.data.pump(sp)
                continue
            if key.data == "wake":
                try:
                    while wake_r.recv(4096):
                        pass
                except BlockingIOError:
                    pass
                continue
            try:
                data = chan.recv(1 << 16)
            except ConnectionResetError:
                data = b""  # the parent went with messages of ours unread: as at EOF
            if not data:
                sp.parent_gone()
                return keep(sp, sel, chan)
            buf += data
            *lines, buf = buf.split(b"\n")
            for line in lines:
                if not line:
                    continue
                try:
                    msg = json.loads(line)
                except ValueError as e:
                    sys.stderr.write("bl: the spawn helper got a line that is not JSON (%s); ignored\n" % e)
                    continue
                sp.handle(msg)
        # SIGCHLD only wakes the loop; a wait after every turn also catches an exit whose
        # signal came while a request was being handled.
        sp.reap()
        try:
            sp.flush()
        except (BrokenPipeError, ConnectionResetError):
            # The parent went while this was written: as at EOF.
            sp.parent_gone()
            return keep(sp, sel, chan)


if __name__ == "__main__":
    main()
