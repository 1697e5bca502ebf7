# Runs one assert-style test: the solution's top level, then the test body, in
# one namespace. Exit 0 = passed, 1 = an assertion failed, 2 = any other error.
import json
import sys
import traceback

spec = json.load(open(".paddock/tests.json"))[int(sys.argv[1])]
ns = {"__name__": "solution"}
try:
    exec(compile(open("solution.py", encoding="utf-8").read(), "solution.py", "exec"), ns)
    exec(compile(spec["code"], "test " + spec["name"], "exec"), ns)
except AssertionError as e:
    detail = str(e) or traceback.format_exc().strip().splitlines()[-2].strip()
    sys.stderr.write("AssertionError: %s\n" % detail)
    sys.exit(1)
except BaseException:
    sys.stderr.write(traceback.format_exc())
    sys.exit(2)
