# Paddock sandbox bootstrap: the container's command, run as
#   timeout -s KILL <budget> python3 -I -S /opt/paddock/boot.py
#
# The rootfs is read-only and /workspace is a tmpfs that only exists once the
# container runs, so files cannot be copied in beforehand. Instead the worker
# writes one frame to the container's stdin:
#
#   4 bytes  big-endian length N of the header
#   N bytes  UTF-8 JSON {"v": 1, "files": [{"path", "content"}], "argv": [...]}
#   ...      the user's stdin, untouched
#
# This reads exactly N header bytes from fd 0 with os.read (no buffered reader,
# so nothing after the header is consumed), writes the files below the working
# directory, and execs argv: the program's stdin is the rest of the stream.
# -I ignores PYTHON* variables and the user site; -S skips `site` for a fast start.
import json
import os
import signal
import sys

MAX_HEADER = 64 * 1024 * 1024
EXIT_BOOT = 125  # like `env`: the bootstrap failed, the program never ran


def fail(message):
    os.write(2, ("paddock-boot: " + message + "\n").encode("utf-8", "replace"))
    os._exit(EXIT_BOOT)


def read_exact(n):
    buf = bytearray()
    while len(buf) < n:
        chunk = os.read(0, n - len(buf))
        if not chunk:
            fail("stdin ended inside the header (%d of %d bytes)" % (len(buf), n))
        buf += chunk
    return bytes(buf)


def safe_parts(path):
    if not isinstance(path, str) or not path or "\0" in path or "\\" in path:
        fail("bad file path %r" % (path,))
    if path.startswith("/"):
        fail("absolute file path %r" % (path,))
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if not parts or any(p == ".." for p in parts):
        fail("file path escapes the workdir: %r" % (path,))
    return parts


def write_file(parts, content):
    # Walk down with dir fds and O_NOFOLLOW so no path component can be a
    # symlink planted by an earlier entry.
    dirfd = os.open(".", os.O_RDONLY | os.O_DIRECTORY)
    try:
        for name in parts[:-1]:
            try:
                os.mkdir(name, 0o755, dir_fd=dirfd)
            except FileExistsError:
                pass
            nxt = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dirfd)
            os.close(dirfd)
            dirfd = nxt
        fd = os.open(parts[-1], os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644, dir_fd=dirfd)
        try:
            data = content.encode("utf-8")
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
    finally:
        os.close(dirfd)


def main():
    size = int.from_bytes(read_exact(4), "big")
    if size > MAX_HEADER:
        fail("header too large (%d bytes)" % size)
    try:
        header = json.loads(read_exact(size).decode("utf-8"))
    except ValueError as e:
        fail("header is not valid JSON: %s" % e)
    if not isinstance(header, dict) or header.get("v") != 1:
        fail("unknown header version")
    argv = header.get("argv")
    if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
        fail("header has no argv")
    for f in header.get("files") or []:
        if not isinstance(f, dict) or not isinstance(f.get("content"), str):
            fail("bad file entry")
        try:
            write_file(safe_parts(f.get("path")), f["content"])
        except OSError as e:
            fail("cannot write %r: %s" % (f.get("path"), e))
    # Python starts with SIGPIPE and SIGXFSZ ignored, and an ignored signal
    # stays ignored across exec: give the program the default dispositions
    # (`yes | head -1` must end; a write past RLIMIT_FSIZE must raise SIGXFSZ).
    for name in ("SIGPIPE", "SIGXFSZ", "SIGXFZ"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    sys.stdout.flush()
    try:
        os.execv(argv[0], argv)
    except OSError as e:
        fail("cannot exec %r: %s" % (argv[0], e))


main()
