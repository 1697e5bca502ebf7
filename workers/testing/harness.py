# Paddock test harness (runs inside the sandbox as the main program).
# stdin: a nonce line, then the per-test timeout in seconds; nothing else.
# Files: solution.py (the code under test), .paddock/tests.json, .paddock/child.py.
# Each test runs in its own process group, so a test that hangs, crashes or
# exits is reported as such and the others still run. The one result line is
# printed last, tagged with the nonce the worker chose: output printed by the
# code under test cannot forge it (children never see the nonce).
# Assert-style tests are compiled here with pytest's assertion rewriting, so a
# failing `assert mean([1, 2]) == 1.5` reports both sides' values, as pytest
# would; each child gets its compiled test on stdin (child.py).
import ast
import difflib
import json
import marshal
import os
import signal
import subprocess
import sys
import time
import warnings

nonce = sys.stdin.readline().strip()
per_test = float(sys.stdin.readline())
tests = json.load(open(".paddock/tests.json"))


def emit(payload):
    sys.stdout.write("\n@@PADDOCK-TESTS %s %s\n" % (nonce, json.dumps(payload)))
    sys.stdout.flush()


def tail(text, limit=2000):
    text = text.strip()
    return text if len(text) <= limit else "..." + text[-limit:]


def rewritten(tests):
    """Each assert-style test body, compiled with pytest's assertion rewriting (marshal bytes).

    A body that pytest cannot rewrite (or no pytest in the image) is left out: the
    child compiles it plainly and reports its own error.
    """
    if not any("code" in t for t in tests):
        return {}
    try:
        from _pytest.assertion.rewrite import rewrite_asserts
    except ImportError:
        return {}
    out = {}
    for i, t in enumerate(tests):
        if "code" not in t:
            continue
        filename = "test " + t["name"]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(t["code"], filename)
                rewrite_asserts(tree, t["code"].encode("utf-8"), filename, None)
            # The child provides these two names itself (pytest is imported there only on failure).
            tree.body = [n for n in tree.body if not (isinstance(n, ast.Import) and n.names[0].asname in ("@py_builtins", "@pytest_ar"))]
            out[i] = marshal.dumps(compile(tree, filename, "exec", dont_inherit=True))
        except Exception:
            pass
    return out


def run(cmd, stdin_bytes):
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        out, err = proc.communicate(stdin_bytes, timeout=per_test)
        return proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return None, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), True


def check_io(t, code, out, err):
    expected = t.get("expectedStdout", "")
    if code != 0:
        return "failed", "exit code %s\n%s" % (code, tail(err))
    if out.rstrip("\n") == expected.rstrip("\n"):
        return "passed", ""
    diff = difflib.unified_diff(expected.splitlines(), out.splitlines(), "expected", "actual", lineterm="")
    return "failed", tail("\n".join(diff))


def check_assert(code, err):
    if code == 0:
        return "passed", ""
    if code == 1:
        return "failed", tail(err)
    return "error", tail(err) or "exit code %s" % code


def main():
    source = open("solution.py", encoding="utf-8").read()
    try:
        compile(source, "solution.py", "exec")
    except SyntaxError as e:
        emit({"compileError": "%s (line %s)" % (e.msg, e.lineno), "results": []})
        return
    compiled = rewritten(tests)
    results = []
    for i, t in enumerate(tests):
        started = time.monotonic()
        if "code" in t:
            code, out, err, timed_out = run([sys.executable, "-B", ".paddock/child.py", str(i)], compiled.get(i, b""))
        else:
            code, out, err, timed_out = run([sys.executable, "-B", "solution.py"], t.get("stdin", "").encode())
        duration = int((time.monotonic() - started) * 1000)
        if timed_out:
            status, message = "timeout", "no result within %.1f s" % per_test
        elif code is not None and code < 0:
            status, message = "crashed", "killed by signal %s\n%s" % (signal.Signals(-code).name, tail(err))
        elif "code" in t:
            status, message = check_assert(code, err)
        else:
            status, message = check_io(t, code, out, err)
        results.append({"name": t["name"], "passed": status == "passed", "status": status,
                        "message": message, "durationMs": duration})
    emit({"results": results})


main()
