# A Python interpreter started ahead of its run (agent.py `--prestart python`):
#   python3 /opt/paddock/prestart.py      (fd 3: the agent's control pipe)
#
# Started exactly as `python3 main.py` would be (same uid, session, pipes,
# rlimits, cwd, environment; `site` imported), it blocks on fd 3 until the run
# frame has arrived and the agent has written the run's files, then becomes
# `python3 main.py`: interpreter start-up is off the run's hot path.
#
# Control message (the agent writes it, then closes the pipe):
#   b"R" + NUL-joined argv (argv[0] the script, as sys.argv)   run it
#   b"B"                                                       the files could not be written
#   (EOF without a message: the agent is gone)
#
# Faithfulness: the script runs in a fresh `__main__` namespace with the
# globals a plain interpreter gives it, sys.argv / sys.orig_argv / sys.path[0]
# as for `python3 main.py`, no module of ours left in sys.modules, fd 3
# closed; an uncaught exception prints the traceback from the script's frame
# down (ours stripped) and exits 1, KeyboardInterrupt dies of SIGINT as a
# fresh interpreter does. Known difference: frames above the script
# (sys._getframe depth, inspect.stack()) include this file's two.
import os
import sys

_MODULES_AT_START = frozenset(sys.modules)
_MAIN_KEYS = frozenset(globals())
_LOADER_TYPE = type(__loader__)
_EXIT_BOOT = 125


def _read_control():
    data = b""
    while True:
        chunk = os.read(3, 1 << 16)
        if not chunk:
            break
        data += chunk
    os.close(3)
    return data


def _fresh_main(path):
    """The globals of `python3 <path>`'s __main__, nothing of ours."""
    fresh = {
        "__name__": "__main__",
        "__doc__": None,
        "__package__": None,
        "__loader__": _LOADER_TYPE("__main__", path),
        "__spec__": None,
        "__annotations__": {},
        "__builtins__": __builtins__,
        "__file__": path,
        "__cached__": None,
    }
    fresh = {k: v for k, v in fresh.items() if k in _MAIN_KEYS}
    ns = sys.modules["__main__"].__dict__
    ns.clear()  # from here on, this module's globals are gone
    ns.update(fresh)
    return ns


def _forget_ourselves(workdir):
    sys.path[0] = workdir
    cache = sys.path_importer_cache  # has an entry for the script's path, ours until now
    cache[os.path.join(workdir, sys.argv[0])] = cache.pop(os.path.abspath(__file__), None)
    for name in set(sys.modules) - _MODULES_AT_START:
        del sys.modules[name]


def _die_of_sigint(os=os, sys=sys):
    # What CPython does after an uncaught KeyboardInterrupt: finalize, then
    # kill itself with SIGINT so the parent sees the signal.
    import atexit
    import signal

    atexit._run_exitfuncs()
    for f in (sys.stdout, sys.stderr):
        try:
            f.flush()
        except Exception:  # noqa: BLE001 - as at interpreter exit
            pass
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGINT)
    os._exit(130)


# Defaults, not globals: the script's namespace replaces this module's.
def _run(os=os, sys=sys, read_control=_read_control, fresh_main=_fresh_main, forget=_forget_ourselves,
         die_of_sigint=_die_of_sigint, exit_boot=_EXIT_BOOT):
    message = read_control()
    if not message.startswith(b"R"):
        os._exit(exit_boot)
    argv = [os.fsdecode(a) for a in message[1:].split(b"\0")]
    workdir = os.getcwd()
    path = os.path.join(workdir, argv[0])
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError as e:
        sys.stderr.write("%s: can't open file %r: [Errno %d] %s\n" % (sys.executable, path, e.errno, e.strerror))
        sys.stderr.flush()
        os._exit(2)
    sys.argv[:] = argv
    sys.orig_argv[:] = [sys.orig_argv[0]] + argv
    forget(workdir)
    ns = fresh_main(path)
    try:
        exec(compile(source, path, "exec", dont_inherit=True), ns)
    except SystemExit:
        raise  # the interpreter handles it as for any script
    except BaseException as e:  # noqa: BLE001 - reported as the interpreter would
        tb = e.__traceback__.tb_next if e.__traceback__ else None
        e.__traceback__ = tb  # what the hook prints: the script's frames only
        # Compile errors have no frame of the script: just the exception, as CPython prints it.
        interrupted = isinstance(e, KeyboardInterrupt)
        sys.excepthook(type(e), e, tb)
        del e, tb
        if interrupted:
            die_of_sigint()
        sys.exit(1)


_run()
