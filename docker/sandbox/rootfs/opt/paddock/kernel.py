# The persistent Python interpreter of a session (agent.py `Kernel`), run as
#   /usr/bin/python3 /opt/paddock/kernel.py      (fd 3: the agent's control socket)
#
# Started like `python3 main.py` (agent.py child(): same uid, session, rlimits,
# oom_score_adj, environment), it runs the session's persistent runs one after
# another in ONE `__main__` namespace, so a run sees the variables, functions and
# imports of the runs before it, like a notebook kernel. Between runs the agent
# keeps it stopped (SIGSTOP): none of its threads runs.
#
# Control socket (SOCK_SEQPACKET; one message per run each way):
#   agent -> kernel  b"R" + NUL-joined argv (argv[0] the script, as sys.argv),
#                    with three fds attached: the run's stdin, stdout and stderr
#   kernel -> agent  b"X" + decimal exit status, once the run is over (its output flushed,
#                    fds 0-2 back on /dev/null, so the run's pipes see EOF once its
#                    other processes are dead)
#   (EOF from the agent: it is gone; the kernel exits.)
#
# Per run, as `python3 main.py` would start: cwd /workspace, umask 022,
# sys.argv, sys.path[0] = /workspace, fresh sys.stdin/stdout/stderr on the new
# fds (no read-ahead of an earlier run's stdin), `__name__ == '__main__'`,
# `__file__` the script. SystemExit gives its exit status as the interpreter
# would (None 0, an int, anything else printed and 1); an uncaught exception
# prints its traceback from the script's frame down and gives 1
# (KeyboardInterrupt: 130, as a death by SIGINT reads); the kernel lives on
# either way. Anything that ends the process (os._exit, a signal, the OOM
# killer) loses the namespace; the agent reports that and starts a fresh kernel
# for the next persistent run.
#
# Known differences from a fresh `python3 main.py`: modules imported by an
# earlier run stay imported (a changed helper module needs importlib.reload);
# sys.modules holds this file's few imports; threads an earlier run left
# running resume with each persistent run; atexit handlers never run; a
# function defined by an earlier run shows the current main.py's lines in a
# traceback (they share the file name).
import io
import os
import socket
import sys
import types

WORKDIR = "/workspace"
EXIT_BOOT = 125


def _stdio(fd, old, reading):
    """A fresh text stream on fd, configured like the one the interpreter made at start."""
    raw = io.FileIO(fd, "r" if reading else "w", closefd=False)
    binary = io.BufferedReader(raw) if reading else raw if isinstance(old.buffer, io.FileIO) else io.BufferedWriter(raw)
    return io.TextIOWrapper(binary, encoding=old.encoding, errors=old.errors, newline="\n",
                            line_buffering=old.line_buffering, write_through=old.write_through)


def _exit_status(e):
    """The exit status the interpreter gives an uncaught SystemExit."""
    code = e.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    try:
        sys.stderr.write(str(code) + "\n")
    except Exception:  # noqa: BLE001 - as at interpreter exit
        pass
    return 1


def _run_one(argv, main, ns, originals):
    """Runs argv[0] in the kept namespace; its exit status."""
    os.chdir(WORKDIR)
    os.umask(0o022)
    sys.stdin = sys.__stdin__ = _stdio(0, originals[0], True)
    sys.stdout = sys.__stdout__ = _stdio(1, originals[1], False)
    sys.stderr = sys.__stderr__ = _stdio(2, originals[2], False)
    sys.argv = list(argv)
    if sys.path:
        sys.path[0] = WORKDIR
    else:
        sys.path.insert(0, WORKDIR)
    path = os.path.join(WORKDIR, argv[0])
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError as e:
        sys.stderr.write("%s: can't open file %r: [Errno %d] %s\n" % (sys.executable, path, e.errno, e.strerror))
        return 2
    sys.modules["__main__"] = main  # a run may have replaced it
    ns["__name__"] = "__main__"
    ns["__file__"] = path
    try:
        exec(compile(source, path, "exec", dont_inherit=True), ns)
        return 0
    except SystemExit as e:
        return _exit_status(e)
    except BaseException as e:  # noqa: BLE001 - reported as the interpreter would
        tb = e.__traceback__.tb_next if e.__traceback__ else None  # the script's frames only
        e.__traceback__ = tb
        interrupted = isinstance(e, KeyboardInterrupt)
        try:
            sys.excepthook(type(e), e, tb)
        except BaseException:  # noqa: BLE001 - a broken hook must not end the kernel
            pass
        del e, tb
        return 130 if interrupted else 1


def _flush():
    for f in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            f.flush()
        except BaseException:  # noqa: BLE001 - a closed or broken stream: nothing to flush
            pass


def _reap():
    """Children the agent killed after an earlier run are zombies until we wait for them."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _main_namespace(ours):
    main = types.ModuleType("__main__")
    ns = main.__dict__
    ns.update({"__builtins__": __builtins__, "__loader__": type(__loader__)("__main__", os.path.join(WORKDIR, "main.py")),
               "__spec__": None, "__package__": None, "__doc__": None, "__annotations__": {}, "__cached__": None})
    # The script's namespace has exactly the keys `python3 main.py` gives it.
    for k in [k for k in ns if k not in ours]:
        del ns[k]
    return main, ns


def serve():
    # The runs share this process: one that breaks what the loop uses (os.dup2 =
    # None, fd 3 closed) ends the kernel, and the agent reports it lost.
    me = os.getpid()
    ours = frozenset(globals())
    this_module = sys.modules["__main__"]  # noqa: F841 - keeps our own globals alive
    originals = (sys.stdin, sys.stdout, sys.stderr)
    recv_fds, dup2, close, fsdecode, exit_now = socket.recv_fds, os.dup2, os.close, os.fsdecode, os._exit
    global _exit_now
    _exit_now = exit_now
    ctl = socket.socket(fileno=3)
    os.set_inheritable(3, False)  # no program a run execs gets the control socket
    null = os.open("/dev/null", os.O_RDWR | os.O_CLOEXEC)
    main, ns = _main_namespace(ours)
    sys.modules["__main__"] = main
    while True:
        message, fds, _flags, _addr = recv_fds(ctl, 1 << 16, 3)
        if not message:
            exit_now(0)  # the agent is gone
        if message[:1] != b"R" or len(fds) != 3:
            exit_now(EXIT_BOOT)
        for target, fd in zip((0, 1, 2), fds):
            dup2(fd, target)
            close(fd)
        _reap()
        status = _run_one([fsdecode(a) for a in message[1:].split(b"\0")], main, ns, originals)
        _flush()
        if os.getpid() != me:
            exit_now(status)  # a process the run forked fell off the end of the script: it ends there
        for target in (0, 1, 2):
            dup2(null, target)
        ctl.send(b"X%d" % status)


_exit_now = os._exit

if __name__ == "__main__":
    try:
        serve()
    except BaseException:  # noqa: BLE001 - the kernel cannot go on: the agent sees it die
        _exit_now(EXIT_BOOT)
