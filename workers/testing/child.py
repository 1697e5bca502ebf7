# Runs one assert-style test: the solution's top level, then the test body, in
# one namespace. Exit 0 = passed, 1 = an assertion failed, 2 = any other error.
#
# stdin: the test body compiled by the harness with pytest's assertion rewriting
# (marshal), or nothing (no pytest, or the body did not parse: compiled here).
# The rewritten asserts call pytest's helpers only when an assertion fails, so
# pytest is imported only then: a passing test costs no import.
import builtins
import json
import marshal
import sys
import traceback

spec = json.load(open(".paddock/tests.json"))[int(sys.argv[1])]
filename = "test " + spec["name"]


class _Config:
    """The one option pytest's comparison explainer reads: -v, so diffs are not cut short."""

    def getoption(self, name, default=None):
        return 1 if name == "verbose" else default


def _reprcompare(op, left, right):
    # What pytest's assertion plugin installs as util._reprcompare (callbinrepr).
    from _pytest.assertion import util

    lines = util.assertrepr_compare(_Config(), op, left, right)
    if not lines:
        return None
    return "\n~".join(line.replace("\n", "\\n") for line in lines).replace("%", "%%")


class _PytestHelpers:
    """Stands in for `import _pytest.assertion.rewrite as @pytest_ar` until an assertion fails."""

    def __getattr__(self, name):
        from _pytest.assertion import rewrite, util

        util._reprcompare = _reprcompare
        return getattr(rewrite, name)


class _Builtins:
    """What the rewritten asserts reach builtins through.

    pytest decides by `locals()` whether a name's value is shown: at module level
    that would be every name of the solution, so `where 1 = mean([1, 2])` would
    read `where 1 = <function mean at 0x...>([1, 2])`. The test's locals are the
    names it bound itself, as in a pytest test function.
    """

    def __getattr__(self, name):
        return getattr(builtins, name)

    def locals(self):
        return {k: v for k, v in ns.items() if k not in solution_names}


def where(tb):
    """The failing source line: the test's own text, or the solution's file."""
    frame = traceback.extract_tb(tb)[-1]
    if frame.filename == filename:
        lines = spec["code"].splitlines()
        line = lines[frame.lineno - 1].strip() if 0 < frame.lineno <= len(lines) else ""
        return "%s, line %d: %s" % (filename, frame.lineno, line)
    return "%s, line %d: %s" % (frame.filename, frame.lineno, (frame.line or "").strip())


payload = sys.stdin.buffer.read()
ns = {"__name__": "solution", "@py_builtins": _Builtins(), "@pytest_ar": _PytestHelpers()}
solution_names = set()
try:
    exec(compile(open("solution.py", encoding="utf-8").read(), "solution.py", "exec"), ns)
    solution_names = set(ns)
    body = marshal.loads(payload) if payload else compile(spec["code"], filename, "exec")
    exec(body, ns)
except AssertionError as e:
    detail = str(e).strip() or where(e.__traceback__)
    sys.stderr.write("AssertionError: %s\n" % detail)
    sys.exit(1)
except BaseException:
    sys.stderr.write(traceback.format_exc())
    sys.exit(2)
