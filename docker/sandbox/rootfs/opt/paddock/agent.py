# Paddock sandbox agent: PID 1 of every sandbox container, run as
#   python3 -I -S /opt/paddock/agent.py [--idle-exit-ms N]
# (-I ignores PYTHON* variables and the user site; -S skips `site`.)
#
# The container is created and started before its run is known (warm pool), so
# the agent waits for one run on stdin, starts a fresh interpreter for it, relays
# its output, and reports how it ended. Single-use by default: after reporting
# it exits and the container ends. With `keep` (opt-in warm reuse) it kills every
# process of the run, wipes every writable place and waits for the next run.
#
# Host -> agent, on stdin (the attach stream), all integers big-endian:
#   u32 N, then N header bytes:
#     u8 version (5), u32 timeoutMs, u32 graceMs, u8 keep, u32 stdinBytes,
#     u16 argc, argc x (u32 len, UTF-8 arg),
#     u32 nfiles, nfiles x (u32 len, UTF-8 relative path, u32 len, content bytes)
#     u16 nglobs, nglobs x (u32 len, UTF-8 glob), u32 maxFiles, u32 maxFileBytes,
#     u32 maxTotalBytes, u8 mode (0 files, 1 list, 2 exact paths)   (the run's outputs; see collect_outputs)
#   then stdinBytes bytes: the program's stdin
# keep: 0 single-use, 1 warm reuse (wipe between runs), 2 session (files stay;
# a run's files overwrite those already there), 3 a session run in the
# session's persistent Python interpreter (see "the persistent interpreter").
# (binary rather than JSON: importing `json` costs ~12 ms of CPU per container.)
#
# Agent -> host, on stdout (the agent is the only writer; see "trust" below):
#   1 byte type, 4 bytes big-endian length L, L bytes payload
#   R  ready      JSON {"v", "pid"}   (started, or wiped after a kept run)
#   S  started    JSON {"pid"}        (the run's files are written, its process forked)
#   O  stdout     raw bytes of the program's stdout
#   E  stderr     raw bytes of the program's stderr
#   P  file       u16 len, UTF-8 path, u32 size, bytes (one output file; a large
#                 one comes as several P frames of the same path, in order)
#   X  exit       JSON {"exitCode", "signal", "wallNs", "cpuNs", "oomKills",
#                       "memPeak", "memPeakRose", "backstop", "filesDropped",
#                       and for keep 3 "kernelFresh", "kernelLost"}
#   F  fatal      UTF-8 text          (the agent failed; the container is unusable)
#
# Trust: the program can't touch the agent. The container starts the agent as
# uid 0 with only CAP_KILL, CAP_SETGID, CAP_SETUID and CAP_SETPCAP (spec.ts;
# no-new-privileges). Before it reads anything it empties its capability
# bounding set and becomes AGENT_UID, keeping CAP_KILL (to kill the run's
# processes), CAP_SETGID and CAP_SETUID (to start them as another user) and
# nothing else. Every program runs as SANDBOX_UID, with no capability in any set
# (and none it could regain: empty bounding set, no ambient or inheritable
# ones, no-new-privileges, no setuid files), in a session of its own. The kernel
# only lets a process prlimit, renice, set the affinity or scheduler of,
# signal, ptrace or read the memory of processes of its own uid (or with
# capabilities the program lacks), so everything the program tries on the agent
# fails with EPERM; being non-dumpable, the agent's /proc files are root's and
# can't be opened either (its fds: the container's stdio, where frames go).
# Each run is forked from the agent, whose state nobody else can change, so
# it starts with the container's rlimits, nice value, affinity and scheduler,
# umask 022, /workspace as cwd and the container's environment. The program
# gets fresh pipes for fds 0-2 and no other descriptor.
#
# Backstop: if the host goes silent, the agent SIGKILLs the run at
# timeoutMs + graceMs counted from the frame's arrival, and exits when idle for
# --idle-exit-ms or when stdin ends (the host's attach connection closed).
import ctypes
import errno
import os
import resource
import select
import signal
import sys
import time

VERSION = 5
MAX_HEADER = 64 * 1024 * 1024
EXIT_BOOT = 125  # like `env`: the program could not be started
CHUNK = 64 * 1024
WRITABLE = ("/workspace", "/tmp", "/dev/shm", "/dev/mqueue")
WORKDIR = "/workspace"
# The programs' environment: the container's (spec.ts SANDBOX_ENV), as the agent got it.
PROGRAM_ENV = dict(os.environ)
CG_MEM = "/sys/fs/cgroup/memory/"

# Two users (docker/sandbox builds them; spec.ts owns the tmpfs by SANDBOX_UID).
AGENT_UID = AGENT_GID = 10000
SANDBOX_UID = SANDBOX_GID = 10001

libc = ctypes.CDLL(None, use_errno=True)
PR_SET_DUMPABLE = 4
PR_SET_KEEPCAPS = 8
PR_CAPBSET_READ = 23
PR_CAPBSET_DROP = 24
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
IPC_RMID = 0
CAP_KILL, CAP_SETGID, CAP_SETUID, CAP_SETPCAP = 5, 6, 7, 8
# What the agent keeps: kill the run's processes, start them as SANDBOX_UID.
AGENT_CAPS = (1 << CAP_KILL) | (1 << CAP_SETGID) | (1 << CAP_SETUID)


class Fatal(Exception):
    pass


def send(kind, payload):
    if isinstance(payload, str):
        payload = payload.encode("utf-8", "replace")
    data = memoryview(kind + len(payload).to_bytes(4, "big") + bytes(payload))
    while data:
        data = data[os.write(1, data):]


def js(value):
    """JSON for the few flat values we report: ints, booleans, null."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(int(value))


def js_object(d):
    return "{" + ",".join('"%s":%s' % (k, js(v)) for k, v in d.items()) + "}"


# ---- users and capabilities --------------------------------------------------

class CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


CAP_VERSION_3 = 0x20080522  # 64-bit sets, as two CapData


def errno_error(what):
    e = ctypes.get_errno()
    return OSError(e, "%s: %s" % (what, os.strerror(e)))


def capget():
    """(effective, permitted, inheritable) of this thread, as 64-bit masks."""
    d = (CapData * 2)()
    if libc.capget(ctypes.byref(CapHeader(CAP_VERSION_3, 0)), d) != 0:
        raise errno_error("capget")
    return tuple(getattr(d[0], f) | (getattr(d[1], f) << 32) for f in ("effective", "permitted", "inheritable"))


def capset(effective, permitted, inheritable):
    d = (CapData * 2)()
    for i in (0, 1):
        d[i].effective = (effective >> (32 * i)) & 0xFFFFFFFF
        d[i].permitted = (permitted >> (32 * i)) & 0xFFFFFFFF
        d[i].inheritable = (inheritable >> (32 * i)) & 0xFFFFFFFF
    if libc.capset(ctypes.byref(CapHeader(CAP_VERSION_3, 0)), d) != 0:
        raise errno_error("capset")


def prctl(what, option, arg2=0):
    if libc.prctl(option, arg2, 0, 0, 0) < 0:
        raise errno_error(what)


def clear_ambient():
    # EINVAL: a kernel without ambient capabilities (before 4.3) has none to clear.
    if libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 and ctypes.get_errno() != errno.EINVAL:
        raise errno_error("prctl(PR_CAP_AMBIENT_CLEAR_ALL)")


def become(uid, gid):
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)


def scrub_environ():
    """Zeroes the environment strings the kernel put on our stack (PROGRAM_ENV holds a copy).

    /proc/<agent>/environ reads exactly those bytes. runc refuses it to the
    program (we are non-dumpable, another uid); gVisor lets any process read it,
    so there must be nothing left to read: it then shows only NUL bytes.
    """
    environ = ctypes.POINTER(ctypes.c_void_p).in_dll(libc, "environ")
    libc.strlen.argtypes = [ctypes.c_void_p]
    libc.strlen.restype = ctypes.c_size_t
    i = 0
    while environ[i]:
        ctypes.memset(environ[i], 0, libc.strlen(environ[i]))
        i += 1


def become_agent():
    """At start, as uid 0: empty the bounding set, become AGENT_UID keeping AGENT_CAPS only."""
    if os.getresuid() != (0, 0, 0):
        raise Fatal("the agent must start as uid 0 with CAP_KILL, CAP_SETGID, CAP_SETUID, CAP_SETPCAP "
                    "(sandbox/spec.ts), not as uid %d: image and worker out of step?" % os.getuid())
    needed = AGENT_CAPS | (1 << CAP_SETPCAP)
    permitted = capget()[1]
    if permitted & needed != needed:
        raise Fatal("the agent lacks capabilities %#x (has %#x): see sandbox/spec.ts CapAdd" % (needed & ~permitted, permitted))
    try:
        # Nothing started below the agent may ever gain a capability through exec.
        cap = 0
        while libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0:
            cap += 1
        if ctypes.get_errno() != errno.EINVAL or cap == 0:  # EINVAL: past the last capability
            raise errno_error("prctl(PR_CAPBSET_DROP, %d)" % cap)
        clear_ambient()
        prctl("prctl(PR_SET_KEEPCAPS)", PR_SET_KEEPCAPS, 1)
        become(AGENT_UID, AGENT_GID)
        prctl("prctl(PR_SET_KEEPCAPS)", PR_SET_KEEPCAPS, 0)
        capset(AGENT_CAPS, AGENT_CAPS, 0)
        # The uid change made us non-dumpable already; say so explicitly. Not
        # dumpable: /proc/<agent>/* belongs to root, so no program opens its fds,
        # environ or memory.
        prctl("prctl(PR_SET_DUMPABLE)", PR_SET_DUMPABLE, 0)
    except OSError as e:
        raise Fatal("could not drop privileges: %s" % e)
    got = (os.getresuid(), os.getresgid(), os.getgroups(), capget(), libc.prctl(PR_CAPBSET_READ, CAP_SETUID, 0, 0, 0))
    want = ((AGENT_UID,) * 3, (AGENT_GID,) * 3, [], (AGENT_CAPS, AGENT_CAPS, 0), 0)
    if got != want:
        raise Fatal("privileges not as intended: %r" % (got,))


def become_sandbox_user():
    """In a child of the agent, for good: SANDBOX_UID, no capability in any set."""
    become(SANDBOX_UID, SANDBOX_GID)
    # Leaving one non-zero uid for another keeps capabilities: drop them by hand.
    capset(0, 0, 0)
    clear_ambient()
    if os.getresuid() != (SANDBOX_UID,) * 3 or os.getresgid() != (SANDBOX_GID,) * 3 or capget() != (0, 0, 0):
        raise OSError(errno.EPERM, "could not drop to the sandbox user")


def process_state():
    """What every run inherits from the agent; nothing but the agent may change it."""
    limits = []
    for name in sorted(n for n in dir(resource) if n.startswith("RLIMIT_")):
        try:
            limits.append((name, resource.getrlimit(getattr(resource, name))))
        except (OSError, ValueError):
            pass  # not known to this kernel (or runtime)
    return limits, os.getpriority(os.PRIO_PROCESS, 0), os.sched_getaffinity(0), os.sched_getscheduler(0)


# ---- reading frames ---------------------------------------------------------

def read_exact(n, deadline):
    """n bytes from stdin; None on EOF at a frame boundary; Fatal inside one."""
    buf = bytearray()
    while len(buf) < n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([0], [], [], left)[0]:
                if buf:
                    raise Fatal("stdin stalled inside a frame")
                return "idle"
        chunk = os.read(0, min(n - len(buf), 1 << 20))
        if not chunk:
            if buf:
                raise Fatal("stdin ended inside a frame (%d of %d bytes)" % (len(buf), n))
            return None
        buf += chunk
    return bytes(buf)


class Header:
    """Cursor over the binary run header."""

    def __init__(self, raw):
        self.raw = raw
        self.pos = 0

    def int(self, n):
        if self.pos + n > len(self.raw):
            raise Fatal("run header truncated")
        v = int.from_bytes(self.raw[self.pos:self.pos + n], "big")
        self.pos += n
        return v

    def bytes(self):
        n = self.int(4)
        if self.pos + n > len(self.raw):
            raise Fatal("run header truncated")
        v = self.raw[self.pos:self.pos + n]
        self.pos += n
        return v

    def text(self):
        try:
            return self.bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise Fatal("run header has invalid UTF-8")


def read_frame(idle_deadline):
    size = read_exact(4, idle_deadline)
    if size is None or size == "idle":
        return size
    n = int.from_bytes(size, "big")
    if n > MAX_HEADER:
        raise Fatal("frame header too large (%d bytes)" % n)
    raw = read_exact(n, None)
    if raw is None:
        raise Fatal("stdin ended inside a frame")
    h = Header(raw)
    if h.int(1) != VERSION:
        raise Fatal("unknown frame version")
    header = {"timeoutMs": h.int(4), "graceMs": h.int(4), "keep": h.int(1)}
    stdin_bytes = h.int(4)
    header["argv"] = [h.text() for _ in range(h.int(2))]
    header["files"] = [(h.text(), h.bytes()) for _ in range(h.int(4))]
    header["outputs"] = read_outputs(h)
    if h.pos != len(raw):
        raise Fatal("run header has trailing bytes")
    stdin = read_exact(stdin_bytes, None) if stdin_bytes else b""
    if stdin is None:
        raise Fatal("stdin ended inside a frame")
    return header, stdin


# ---- files ------------------------------------------------------------------

class BootError(Exception):
    pass


def safe_parts(path):
    if not isinstance(path, str) or not path or "\0" in path or "\\" in path:
        raise BootError("bad file path %r" % (path,))
    if path.startswith("/"):
        raise BootError("absolute file path %r" % (path,))
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if not parts or any(p == ".." for p in parts):
        raise BootError("file path escapes the workdir: %r" % (path,))
    return parts


def write_file(parts, data, overwrite=False):
    # Walk down with dir fds and O_NOFOLLOW so no path component can be a
    # symlink planted by an earlier entry.
    dirfd = os.open(WORKDIR, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for name in parts[:-1]:
            try:
                os.mkdir(name, 0o755, dir_fd=dirfd)
            except FileExistsError:
                pass
            nxt = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dirfd)
            os.close(dirfd)
            dirfd = nxt
        # A session's file may already exist: replace it, but never open a FIFO
        # a program left there (O_NONBLOCK: ENXIO instead of waiting for a reader).
        replace = os.O_TRUNC | os.O_NONBLOCK if overwrite else os.O_EXCL
        fd = os.open(parts[-1], os.O_WRONLY | os.O_CREAT | replace | os.O_NOFOLLOW, 0o644, dir_fd=dirfd)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
    finally:
        os.close(dirfd)


def write_files(files, overwrite=False):
    """In the program's child, as the sandbox user: the files are the program's."""
    for path, data in files:
        parts = safe_parts(path)
        try:
            write_file(parts, data, overwrite)
        except OSError as e:
            raise BootError("cannot write %r: %s" % (path, e))


# ---- metrics (cgroup v1, mounted read-only inside the container) -------------

def cg_read(name):
    try:
        with open(CG_MEM + name) as f:
            return f.read()
    except OSError:
        return None


def oom_kills():
    text = cg_read("memory.oom_control")
    if text is None:
        return None
    for line in text.splitlines():
        k, _, v = line.partition(" ")
        if k == "oom_kill":
            return int(v)
    return None


def mem_peak():
    text = cg_read("memory.max_usage_in_bytes")
    return int(text) if text else None


def children_cpu_ns():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return int((ru.ru_utime + ru.ru_stime) * 1e9)


# ---- processes ----------------------------------------------------------------

def child(argv, files, fds, overwrite=False, ctl=None):
    # In the forked child, before exec. Never returns.
    try:
        stdin_r, stdout_w, stderr_w = fds
        os.dup2(stdin_r, 0)
        os.dup2(stdout_w, 1)
        os.dup2(stderr_w, 2)
        if ctl is not None:
            os.dup2(ctl, 3)  # a pre-started interpreter's control pipe (prestart())
        os.closerange(3 if ctl is None else 4, 65536)
        signal.set_wakeup_fd(-1)
        # Ignored dispositions survive exec (Python ignores SIGPIPE and SIGXFSZ,
        # the agent SIGINT): the program gets the defaults.
        for s in range(1, signal.NSIG):
            try:
                if signal.getsignal(s) == signal.SIG_IGN:
                    signal.signal(s, signal.SIG_DFL)
            except (OSError, ValueError):
                pass
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        # A session (and process group) of its own: kill(0, ...) and
        # setpriority(PRIO_PGRP, 0, ...) reach the run's processes only.
        os.setsid()
        become_sandbox_user()
        # Under memory pressure the kernel should kill the program, not the agent.
        # (The uid change left us non-dumpable, which makes /proc/self root's;
        # exec makes the program dumpable again anyway.)
        libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
        try:
            with open("/proc/self/oom_score_adj", "w") as f:
                f.write("1000")
        except OSError:
            pass
        os.umask(0o022)
        os.chdir(WORKDIR)
        try:
            write_files(files, overwrite)
        except BootError as e:
            os.write(2, ("paddock-boot: %s\n" % e).encode("utf-8", "replace"))
            os._exit(EXIT_BOOT)
        os.execve(argv[0], argv, PROGRAM_ENV)
    except BaseException as e:  # noqa: BLE001 - must never return into the agent
        try:
            os.write(2, ("paddock-boot: cannot start %r: %s\n" % (argv[0], e)).encode("utf-8", "replace"))
        finally:
            os._exit(EXIT_BOOT)


def reap_exited(kernel, root=None):
    """Reaps every child that has exited, without waiting (orphans are ours too, as
    PID 1); notes the kernel's wait status if it is among them. Returns root's, if reaped."""
    found = None
    while True:
        try:
            p, st = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return found
        if p == 0:
            return found
        if kernel is not None and p == kernel.pid:
            kernel.status = st
        if p == root:
            found = st


def kill_all(kernel=None):
    """SIGKILL every process but ourselves, the session's kernel included, and reap them all (until ECHILD)."""
    while True:
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            p, st = os.waitpid(-1, 0)
        except ChildProcessError:
            return
        except InterruptedError:
            continue
        if kernel is not None and p == kernel.pid:
            kernel.status = st


def proc_state(pid, tid=None):
    """The state letter of /proc/<pid>[/task/<tid>]/stat (b"R", b"S", b"T", b"Z", ...), None if gone."""
    try:
        fd = os.open("/proc/%d/stat" % pid if tid is None else "/proc/%d/task/%d/stat" % (pid, tid), os.O_RDONLY)
    except OSError:
        return None
    try:
        data = os.read(fd, 4096)
    except OSError:
        return None
    finally:
        os.close(fd)
    end = data.rfind(b")")
    return data[end + 2:end + 3] or None


def kill_all_but_kernel(kernel):
    """SIGKILL every process but ourselves and the (stopped) kernel, until none is left
    but zombies of the kernel's (it reaps them itself, at its next run). False if the
    kernel died meanwhile or the processes did not settle."""
    me = os.getpid()
    deadline = time.monotonic() + SWEEP_S
    while True:
        reap_exited(kernel)
        if kernel.status is not None:
            return False
        alive = [pid for pid in (int(n) for n in os.listdir("/proc") if n.isdigit())
                 if pid != me and pid != kernel.pid and proc_state(pid) not in (None, b"Z", b"X")]
        if not alive:
            return True
        for pid in alive:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.0002)


def set_nonblock(fd):
    os.set_blocking(fd, False)


def run(header, stdin, wake_r, pre=None, kernel=None):
    """Runs one frame; returns (its X report, the session's kernel after it, None if
    there is none). A persistent run (keep 3) goes to the kernel, started first if
    there is none; any other run leaves a kernel alone: stopped, and spared when the
    run's processes are killed."""
    argv = header["argv"]
    if not argv:
        raise Fatal("frame has no argv")
    persistent = header["keep"] == KEEP_PERSISTENT
    budget = (header["timeoutMs"] + header["graceMs"]) / 1000.0
    deadline = time.monotonic() + budget if budget > 0 else None
    if kernel is not None:
        reap_exited(kernel)  # it may have died since (OOM-killed, or killed by a run of its uid)
        if kernel.status is not None:
            kernel.close()
            kernel = None

    oom0, peak0, cpu0 = oom_kills(), mem_peak(), children_cpu_ns()
    kcpu0 = kernel.cpu_ns() if kernel is not None else 0
    in_r, in_w, out_r, out_w, err_r, err_w = pre.pipes if pre else (os.pipe() + os.pipe() + os.pipe())
    t0 = time.monotonic_ns()
    status = None
    fresh = False
    if persistent:
        if kernel is None:
            kernel = start_kernel()
        pid = kernel.pid
        fresh = kernel.runs == 0
        if not write_files_in_child(header["files"], err_w, overwrite=True):
            status = EXIT_BOOT << 8  # a raw wait status "exited 125": the kernel never saw the run
        elif not kernel.go(argv[1:], (in_r, out_w, err_w)):
            kernel.kill()  # it cannot take a run: the loop below reaps it, and the run says so
    elif pre:
        pid = prestart_go(pre, header)
    else:
        pid = os.fork()
        if pid == 0:
            child(argv, header["files"], (in_r, out_w, err_w), header["keep"] in (KEEP_SESSION, KEEP_PERSISTENT))
    for fd in (in_r, out_w, err_w):
        os.close(fd)
    send(b"S", '{"pid":%d}' % pid)
    for fd in (in_w, out_r, err_r):
        set_nonblock(fd)

    poller = select.poll()
    names = {out_r: b"O", err_r: b"E"}
    for fd in names:
        poller.register(fd, select.POLLIN)
    poller.register(wake_r, select.POLLIN)
    ctl = kernel.sock.fileno() if persistent and status is None else None
    if ctl is not None:
        poller.register(ctl, select.POLLIN)
    pending = memoryview(stdin)
    if pending:
        poller.register(in_w, select.POLLOUT)
    else:
        os.close(in_w)
        in_w = None

    wall_ns = 0
    backstop = False
    open_out = set(names)

    def pump(fd):
        try:
            data = os.read(fd, CHUNK)
        except BlockingIOError:
            return
        if data:
            send(names[fd], data)
        else:
            poller.unregister(fd)
            open_out.discard(fd)

    while status is None:
        timeout = None
        if deadline is not None:
            timeout = max(0, int((deadline - time.monotonic()) * 1000) + 1)
        events = poller.poll(timeout)
        for fd, ev in events:
            if fd == wake_r:
                try:
                    os.read(wake_r, 4096)
                except BlockingIOError:
                    pass
            elif fd == in_w:
                try:
                    n = os.write(in_w, pending[:CHUNK])
                    pending = pending[n:]
                except BlockingIOError:
                    n = 0
                except BrokenPipeError:
                    pending = pending[:0]
                if not pending:
                    poller.unregister(in_w)
                    os.close(in_w)
                    in_w = None
            elif fd in open_out:
                pump(fd)
            elif fd == ctl:
                reported = kernel.read_result()
                if reported is False:
                    # Closed, broken or garbled: the kernel can't go on; the reap below says how it ended.
                    poller.unregister(ctl)
                    ctl = None
                    kernel.kill()
                elif reported is not None and status is None:
                    status = reported << 8  # as a raw wait status
                    wall_ns = time.monotonic_ns() - t0
        st = reap_exited(kernel, pid)
        if st is not None and status is None:
            status = st
            wall_ns = time.monotonic_ns() - t0
        if status is None and deadline is not None and time.monotonic() >= deadline:
            backstop = True
            break

    # The run's root process is gone (or out of time): nothing of the run may
    # outlive it, as with an init that ends the container. Only a live kernel
    # stays, stopped, with its variables (not after a persistent run timed out).
    spare = kernel is not None and kernel.status is None and not (persistent and backstop)
    if spare and not (kernel.stop() and kill_all_but_kernel(kernel)):
        spare = False
    if not spare:
        kill_all(kernel)
    if backstop:
        status = signal.SIGKILL  # a raw wait status "killed by SIGKILL"
        wall_ns = time.monotonic_ns() - t0
    if in_w is not None:
        os.close(in_w)
    # Every writer is dead, or is the stopped kernel: what is in the pipes is all
    # there is (a kernel may hold a copy of a write end, so no waiting for EOF then).
    for fd in list(open_out):
        os.set_blocking(fd, not spare)
        while True:
            try:
                data = os.read(fd, CHUNK)
            except BlockingIOError:
                break
            if not data:
                break
            send(names[fd], data)
    for fd in names:
        os.close(fd)

    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        code = 128 + sig
    else:
        sig = None
        code = os.WEXITSTATUS(status)
    cpu = children_cpu_ns() - cpu0
    if kernel is not None:
        # A kernel reaped during the run brought its whole life's CPU into RUSAGE_CHILDREN.
        cpu += kernel.cpu_ns() - kcpu0 if kernel.status is None else -kcpu0
    oom1, peak1 = oom_kills(), mem_peak()
    report = {
        "exitCode": code,
        "signal": sig,
        "wallNs": wall_ns,
        "cpuNs": max(0, cpu),
        "oomKills": (oom1 - oom0) if oom0 is not None and oom1 is not None else None,
        "memPeak": peak1,
        "memPeakRose": peak0 is not None and peak1 is not None and peak1 > peak0,
        "backstop": backstop,
    }
    if persistent:
        report["kernelFresh"] = fresh
        report["kernelLost"] = kernel.status is not None
    if kernel is not None and kernel.status is not None:
        kernel.close()
        kernel = None
    return report, kernel


# ---- the persistent interpreter (a session's runs with keep 3) ------------------
# One per container, started by the first persistent run: /opt/paddock/kernel.py,
# forked and set up exactly as a program is (child(): SANDBOX_UID, no
# capabilities, its own session and process group, the container's rlimits,
# oom_score_adj 1000, cwd /workspace), with a control socket on fd 3. Per run,
# the agent writes the files (a short child, as for a pre-started interpreter),
# passes the kernel fresh stdin/stdout/stderr pipes over the socket (SCM_RIGHTS)
# and lets it go on (SIGCONT); the kernel runs main.py in its kept namespace,
# puts /dev/null back on fds 0-2 and reports the exit status. Then the agent
# stops it (SIGSTOP, until every thread of it is stopped), kills every other
# process (the run's children) and drains the pipes. Between runs the kernel is
# stopped: none of its threads runs, forks or writes. A kernel that dies during
# a run (exit, signal, OOM kill, or killed at the backstop) is reported lost;
# the next persistent run starts a fresh one.

KERNEL_ARGV = ["/usr/bin/python3", "/opt/paddock/kernel.py"]
KERNEL_STOP_S = 1.0  # a kernel whose threads don't all stop by then is killed
SWEEP_S = 2.0  # the same for processes that keep appearing while we kill them
CLK_TCK = os.sysconf("SC_CLK_TCK")


class Kernel:
    def __init__(self, pid, sock):
        self.pid, self.sock = pid, sock
        self.status = None  # its wait status once reaped
        self.runs = 0

    def go(self, args, fds):
        """Hands it a run (its argv after the interpreter; its stdin, stdout and
        stderr) and lets it go on. False if it cannot take one."""
        import socket
        try:
            while True:  # anything it wrote outside a run (a run's forked child may hold fd 3) is stale
                if not self.sock.recv(4096):
                    return False
        except BlockingIOError:
            pass
        except OSError:
            return False
        try:
            socket.send_fds(self.sock, [b"R" + b"\0".join(os.fsencode(a) for a in args)], list(fds))
            os.kill(self.pid, signal.SIGCONT)
        except OSError:
            return False
        self.runs += 1
        return True

    def read_result(self):
        """The exit status it reported; None if nothing arrived; False if the socket is closed, broken or garbled."""
        try:
            message = self.sock.recv(64)
        except BlockingIOError:
            return None
        except OSError:
            return False
        if message[:1] == b"X" and 2 <= len(message) <= 4 and message[1:].isdigit():
            return int(message[1:]) & 0xFF
        return False

    def stop(self):
        """SIGSTOP; True once every thread of it has stopped, False if it died or does not stop."""
        try:
            os.kill(self.pid, signal.SIGSTOP)
        except ProcessLookupError:
            return False
        deadline = time.monotonic() + KERNEL_STOP_S
        while True:
            try:
                tids = [int(t) for t in os.listdir("/proc/%d/task" % self.pid)]
            except OSError:
                return False
            states = [proc_state(self.pid, t) for t in tids]
            if all(s in (b"T", b"t", None, b"Z", b"X") for s in states):
                return proc_state(self.pid) in (b"T", b"t")
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.0002)

    def kill(self):
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def cpu_ns(self):
        """User + system CPU of the kernel and of the children it has reaped, so far."""
        try:
            fd = os.open("/proc/%d/stat" % self.pid, os.O_RDONLY)
            try:
                data = os.read(fd, 4096)
            finally:
                os.close(fd)
            fields = data[data.rfind(b")") + 2:].split()
            return int(sum(int(x) for x in fields[11:15]) * 1e9 / CLK_TCK)
        except (OSError, ValueError):
            return 0

    def close(self):
        self.sock.close()


def start_kernel():
    import socket
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    null = os.open("/dev/null", os.O_RDWR)
    pid = os.fork()
    if pid == 0:
        child(KERNEL_ARGV, [], (null, null, null), ctl=theirs.fileno())
    os.close(null)
    theirs.close()
    ours.setblocking(False)
    return Kernel(pid, ours)


# ---- a pre-started interpreter (single-use pool containers) --------------------
# The program's process is forked, set up as in child() and exec'd ahead of the
# frame, as an interpreter that waits on a control pipe (prestart.py/.js); on
# the frame a short child writes the files as SANDBOX_UID (write_files, as
# today) and the pipe tells the interpreter to run the script.

PRESTART = {
    "python": ("/usr/bin/python3", "/opt/paddock/prestart.py"),
    "javascript": ("/usr/local/bin/node", "/opt/paddock/prestart.js"),
}


class Prestarted:
    def __init__(self, pid, interpreter, pipes, ctl_w):
        self.pid, self.interpreter, self.pipes, self.ctl_w = pid, interpreter, pipes, ctl_w

    def close_fds(self):
        for fd in self.pipes + (self.ctl_w,):
            os.close(fd)


def prestart(language):
    if language not in PRESTART:
        raise Fatal("unknown --prestart %r" % language)
    argv = list(PRESTART[language])
    pipes = os.pipe() + os.pipe() + os.pipe()  # in_r, in_w, out_r, out_w, err_r, err_w
    ctl_r, ctl_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        child(argv, [], (pipes[0], pipes[3], pipes[5]), ctl=ctl_r)
    os.close(ctl_r)
    return Prestarted(pid, argv[0], pipes, ctl_w)


def take_prestart(pre, header):
    """`pre` if it can run this frame's argv, else None (and it is gone)."""
    if pre is None:
        return None
    argv = header["argv"]
    fits = header["keep"] != KEEP_PERSISTENT and len(argv) >= 2 and argv[0] == pre.interpreter and not argv[1].startswith("-")
    if fits and os.waitpid(pre.pid, os.WNOHANG)[0] == 0:
        return pre
    try:
        os.kill(pre.pid, signal.SIGKILL)
        os.waitpid(pre.pid, 0)
    except ChildProcessError:
        pass  # it had died (and was reaped above)
    pre.close_fds()
    return None


def prestart_go(pre, header):
    """Writes the files, tells the interpreter to run; its pid (the run's root process)."""
    ok = write_files_in_child(header["files"], pre.pipes[5], overwrite=False)
    message = b"R" + b"\0".join(os.fsencode(a) for a in header["argv"][1:]) if ok else b"B"
    try:
        view = memoryview(message)
        while view:
            view = view[os.write(pre.ctl_w, view):]
    except BrokenPipeError:
        pass  # it died: the run loop reaps it and reports how
    os.close(pre.ctl_w)
    return pre.pid


def fork_as_sandbox_user(task, fds, on_error=None, error_exit=1, in_workdir=False):
    """Runs task() in a forked child that has fully become SANDBOX_UID (no
    capabilities, umask 022; cwd /workspace if `in_workdir`, which a run may
    have locked: chmod 0) and exits 0, or on an exception
    calls on_error(e) there and exits `error_exit`. The child's fds: `fds`
    ({number: our fd}, numbers 0-3), /dev/null on the rest of 0-2 (never the
    container's stdout), nothing else. Returns its pid (the caller waits)."""
    pid = os.fork()
    if pid == 0:
        try:
            signal.set_wakeup_fd(-1)
            null = os.open("/dev/null", os.O_RDWR)
            for target in sorted(set(fds) | {0, 1, 2}):
                os.dup2(fds.get(target, null), target)
            os.closerange(max(fds, default=2) + 1, 65536)
            become_sandbox_user()
            os.umask(0o022)
            if in_workdir:
                os.chdir(WORKDIR)
            task()
            os._exit(0)
        except BaseException as e:  # noqa: BLE001 - must never return into the agent
            try:
                if on_error is not None:
                    on_error(e)
            finally:
                os._exit(error_exit)
    return pid


def write_files_in_child(files, stderr_w, overwrite):
    """write_files as SANDBOX_UID in /workspace; failures go to the program's stderr."""
    def boot_failure(e):
        os.write(2, ("paddock-boot: %s\n" % e).encode("utf-8", "replace"))
    pid = fork_as_sandbox_user(lambda: write_files(files, overwrite), {2: stderr_w}, boot_failure, EXIT_BOOT, in_workdir=True)
    return os.waitpid(pid, 0)[1] == 0


# ---- between kept runs ---------------------------------------------------------

def remove_tree_contents(top):
    """Removes everything below `top` (not `top` itself) without following symlinks."""
    topfd = os.open(top, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        clear_dir(topfd)
    finally:
        os.close(topfd)


def clear_dir(dirfd):
    for name in os.listdir(dirfd):
        try:
            st = os.stat(name, dir_fd=dirfd, follow_symlinks=False)
        except FileNotFoundError:
            continue
        if (st.st_mode & 0o170000) == 0o040000:
            try:
                os.chmod(name, 0o700, dir_fd=dirfd, follow_symlinks=True)
            except OSError:
                pass
            sub = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dirfd)
            try:
                clear_dir(sub)
            finally:
                os.close(sub)
            os.rmdir(name, dir_fd=dirfd)
        else:
            os.unlink(name, dir_fd=dirfd)


def remove_sysv_ipc():
    # The IPC namespace is the container's own: every object in it is the run's.
    for kind, idcol in (("shm", 1), ("sem", 1), ("msg", 1)):
        try:
            with open("/proc/sysvipc/" + kind) as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if len(cols) < 2:
                continue
            ident = int(cols[idcol])
            if kind == "shm":
                libc.shmctl(ident, IPC_RMID, None)
            elif kind == "sem":
                libc.semctl(ident, 0, IPC_RMID)
            else:
                libc.msgctl(ident, IPC_RMID, None)


def wipe_as_sandbox_user():
    # The run may have locked its own directories (chmod 0): its user owns them,
    # and the tmpfs roots of /workspace and /tmp.
    for top, mode in ((WORKDIR, 0o755), ("/tmp", 0o1777)):
        try:
            os.chmod(top, mode)
        except OSError:
            pass
    for top in WRITABLE:
        if os.path.isdir(top):
            remove_tree_contents(top)
    remove_sysv_ipc()
    left = [t for t in WRITABLE if os.path.isdir(t) and os.listdir(t)]
    if left:
        raise OSError(errno.ENOTEMPTY, "could not wipe %s" % ", ".join(left))


def wipe(fresh_state):
    """After a kept run (every process of it is dead): clean up as its user, in a child."""
    if process_state() != fresh_state:
        raise Fatal("the agent's process state changed during the run")
    r, w = os.pipe()
    pid = fork_as_sandbox_user(wipe_as_sandbox_user, {3: w}, lambda e: os.write(3, str(e).encode("utf-8", "replace")[:4096]))
    os.close(w)
    try:
        why = b""
        while True:
            chunk = os.read(r, 4096)
            if not chunk:
                break
            why += chunk
    finally:
        os.close(r)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        raise Fatal("wipe failed: %s" % (why.decode("utf-8", "replace") or "status %d" % status))


# ---- sessions and output files -------------------------------------------------

KEEP_SESSION = 2  # keep the container and its files: no wipe between runs
KEEP_PERSISTENT = 3  # a session run in the session's persistent interpreter (Kernel)
OUT_GLOBS, OUT_LIST, OUT_EXACT = 0, 1, 2  # match globs and send contents / sizes only / exact paths
FILE_CHUNK = 512 * 1024  # P frames stay well below the host's 1 MiB frame limit


def read_outputs(h):
    globs = [h.text() for _ in range(h.int(2))]
    return {"globs": globs, "maxFiles": h.int(4), "maxFileBytes": h.int(4), "maxTotalBytes": h.int(4), "mode": h.int(1)}


def check_state(fresh_state):
    """A session keeps its container: the agent must still be as it started."""
    if process_state() != fresh_state:
        raise Fatal("the agent's process state changed during the run")


def glob_regex(glob):
    """`*` and `?` stay inside one path segment, `**` spans any number of them."""
    import re
    out, i = [], 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:[^/]*/)*")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        else:
            c = glob[i]
            out.append("[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c))
            i += 1
    return re.compile("".join(out) + r"\Z")


def workspace_files():
    """Relative paths of the regular files below /workspace, never through a symlink."""
    found = []
    for top, _dirs, files, topfd in os.fwalk(WORKDIR):
        rel = os.path.relpath(top, WORKDIR)
        for name in files:
            try:
                st = os.stat(name, dir_fd=topfd, follow_symlinks=False)
            except OSError:
                continue
            if (st.st_mode & 0o170000) == 0o100000:
                found.append(name if rel == "." else rel + "/" + name)
    return sorted(found)


def open_below(path):
    """Opens a file below /workspace for reading, every component without following symlinks."""
    parts = safe_parts(path)
    dirfd = os.open(WORKDIR, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for name in parts[:-1]:
            nxt = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dirfd)
            os.close(dirfd)
            dirfd = nxt
        fd = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dirfd)
    finally:
        os.close(dirfd)
    if (os.fstat(fd).st_mode & 0o170000) != 0o100000:
        os.close(fd)
        raise OSError(errno.EINVAL, "not a regular file")
    return fd


def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def collect_outputs(outputs, out):
    """As the sandbox user, in a child: the matching files as records on fd `out`,
    within the caps (in path order), then a 0-length path and the count dropped."""
    mode = outputs["mode"]
    if mode == OUT_EXACT:
        paths = outputs["globs"]
    else:
        patterns = [glob_regex(g) for g in outputs["globs"]]
        paths = [p for p in workspace_files() if any(r.match(p) for r in patterns)]
    sent = total = dropped = 0
    for path in paths:
        try:
            fd = open_below(path)
        except (OSError, BootError):
            dropped += mode != OUT_EXACT  # an exact path that isn't there is simply absent
            continue
        try:
            size = os.fstat(fd).st_size
            body = mode != OUT_LIST
            if sent >= outputs["maxFiles"] or (body and (size > outputs["maxFileBytes"] or total + size > outputs["maxTotalBytes"])):
                dropped += 1
                continue
            name = path.encode("utf-8")
            write_all(out, len(name).to_bytes(2, "big") + name + (size if body else 0).to_bytes(4, "big") + size.to_bytes(4, "big"))
            left = size if body else 0
            while left > 0:
                chunk = os.read(fd, min(left, FILE_CHUNK)) or bytes(left)  # shrank under us: pad
                write_all(out, chunk[:left])
                left -= len(chunk[:left])
            sent += 1
            total += size if body else 0
        finally:
            os.close(fd)
    write_all(out, b"\0\0" + dropped.to_bytes(4, "big"))


def read_pipe(fd, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = os.read(fd, n - len(buf))
        if not chunk:
            raise Fatal("output collector ended early")
        buf += chunk
    return bytes(buf)


def send_outputs(outputs):
    """After a run: its output files as P frames (collected by a child that is the
    sandbox user, so the run's own modes apply); returns how many the caps dropped."""
    if not outputs["globs"]:
        return 0
    r, w = os.pipe()
    pid = fork_as_sandbox_user(lambda: collect_outputs(outputs, 3), {3: w})
    os.close(w)
    try:
        while True:
            n = int.from_bytes(read_pipe(r, 2), "big")
            if n == 0:
                dropped = int.from_bytes(read_pipe(r, 4), "big")
                break
            name = read_pipe(r, n)
            body, size = int.from_bytes(read_pipe(r, 4), "big"), int.from_bytes(read_pipe(r, 4), "big")
            head = len(name).to_bytes(2, "big") + name + size.to_bytes(4, "big")
            send(b"P", head)
            left = body
            while left > 0:
                chunk = read_pipe(r, min(left, FILE_CHUNK))
                send(b"P", head + chunk)
                left -= len(chunk)
    finally:
        os.close(r)
        _, status = os.waitpid(pid, 0)
    if status != 0:
        raise Fatal("output collector failed (status %d)" % status)
    return dropped


# ---- main ---------------------------------------------------------------------------

def main():
    args = sys.argv[1:]
    opts = dict(zip(args[::2], args[1::2]))  # --idle-exit-ms N, --prestart LANGUAGE
    idle_ms = int(opts.get("--idle-exit-ms", 0))
    scrub_environ()
    become_agent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    os.chdir("/")
    fresh_state = process_state()
    pre = prestart(opts["--prestart"]) if "--prestart" in opts else None
    kernel = None

    send(b"R", '{"v":%d,"pid":%d}' % (VERSION, os.getpid()))
    while True:
        idle_deadline = time.monotonic() + idle_ms / 1000.0 if idle_ms > 0 else None
        frame = read_frame(idle_deadline)
        if frame is None or frame == "idle":
            return  # the host went away, or never came back
        header, stdin = frame
        session = header["keep"] in (KEEP_SESSION, KEEP_PERSISTENT)
        if kernel is not None and not session:
            kill_all(kernel)  # only a session keeps one (the worker never mixes the two)
            kernel.close()
            kernel = None
        status, kernel = run(header, stdin, wake_r, take_prestart(pre, header), kernel)
        pre = None
        status["filesDropped"] = send_outputs(header["outputs"])
        send(b"X", js_object(status))
        if not header["keep"]:
            return
        if session:
            check_state(fresh_state)
        else:
            wipe(fresh_state)
        send(b"R", '{"v":%d,"pid":%d}' % (VERSION, os.getpid()))


if __name__ == "__main__":
    try:
        main()
    except Fatal as e:
        send(b"F", str(e))
        os._exit(1)
    except Exception as e:  # noqa: BLE001
        try:
            send(b"F", "agent crashed: %s: %s" % (type(e).__name__, e))
        finally:
            os._exit(1)
    os._exit(0)
