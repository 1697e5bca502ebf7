/**
 * A pool container's pre-started interpreter (agent.py `--prestart`,
 * prestart.py / prestart.js) must be indistinguishable from the plain
 * `python3 main.py` / `node main.js` a cold container runs. Each probe runs in
 * both — a pool container that pre-started the language, and a cold one — and
 * the observable results (exit code, signal, stdout, stderr) must be equal.
 * Real Docker.
 */
import type { ExecRequest, ExecResult, SandboxFile } from '../../sandbox/types';
import { BASE_LIMITS, containersOfOwner, limiter, testSandbox, uniqueId } from './helpers';

const ownerId = uniqueId('test-prestart');
// One pool per language, so every warm run gets the interpreter it needs pre-started.
const warmPy = testSandbox({ ownerId, pool: { size: 2, prestart: 'python' } });
const warmJs = testSandbox({ ownerId, pool: { size: 2, prestart: 'javascript' } });
const cold = testSandbox({ ownerId });
const warmFor = (language: string) => (language === 'javascript' ? warmJs : warmPy);
const slot = limiter(2);

afterAll(async () => {
  await Promise.all([warmPy.sandbox.close(), warmJs.sandbox.close(), cold.sandbox.close()]);
  expect(await containersOfOwner(ownerId)).toEqual([]);
});

type Probe = Pick<ExecRequest, 'language' | 'code'> & { stdin?: string; files?: SandboxFile[] };

/** Readable only from a pre-started interpreter: proves the warm run took that path. */
const CMDLINE_PROBE = {
  python: 'print(open("/proc/self/cmdline").read().split("\\0")[1])',
  javascript: 'console.log(require("fs").readFileSync("/proc/self/cmdline", "utf8").split("\\0")[1])',
} as const;

async function observe(which: typeof cold, p: Probe): Promise<Pick<ExecResult, 'exitCode' | 'signal' | 'stdout' | 'stderr' | 'verdict'>> {
  const r = await slot(() => which.sandbox.run({ runId: uniqueId('prestart'), limits: BASE_LIMITS, ...p }));
  return { verdict: r.verdict, exitCode: r.exitCode, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Node stacks end in the frames that started the script: node:internal's
 * run_main_module for `node main.js`, prestart.js for a pre-started one (the
 * one known difference, README). Compared: every frame of the script itself.
 */
const scriptFrames = (stderr: string) => stderr.split('\n').filter((l) => !/^\s+at /.test(l) || l.includes('/workspace/')).join('\n');

async function expectSame(p: Probe): Promise<void> {
  const [pre, plain] = await Promise.all([observe(warmFor(p.language), p), observe(cold, p)]);
  if (p.language === 'javascript') {
    for (const r of [pre, plain]) r.stderr = scriptFrames(r.stderr);
  }
  expect(pre).toEqual(plain);
}

test('warm python and javascript runs use the pre-started interpreter, cold ones the plain one', async () => {
  for (const language of ['python', 'javascript'] as const) {
    const pre = await warmFor(language).sandbox.run({ runId: uniqueId('cmd'), limits: BASE_LIMITS, language, code: CMDLINE_PROBE[language] });
    const plain = await cold.sandbox.run({ runId: uniqueId('cmd'), limits: BASE_LIMITS, language, code: CMDLINE_PROBE[language] });
    expect({ pre: pre.stdout, plain: plain.stdout }).toEqual({
      pre: `/opt/paddock/prestart.${language === 'python' ? 'py' : 'js'}\n`,
      plain: `main.${language === 'python' ? 'py' : 'js'}\n`,
    });
  }
});

const PY = {
  identity: [
    'import sys, os',
    'print(sys.argv, __name__, sys.path[0], __file__, __loader__.path, __spec__, __doc__, __package__, __cached__)',
    'print(sorted(globals()))',
    'print(sorted(sys.modules))',
    'print(sys.orig_argv[1:], sys.flags, sys.executable)',
    'print(sorted(os.listdir("/proc/self/fd")), os.getcwd(), os.getuid(), os.getsid(0) == os.getpid())',
    'print(open("/proc/self/oom_score_adj").read().strip(), os.umask(0), sorted(os.environ.items()))',
    'print(sorted(sys.path_importer_cache.keys() - {p for p in sys.path}))',
  ].join('\n'),
  imports: 'import helper\nprint(helper.VALUE, helper.__file__)',
  exit3: 'import sys\nprint("bye")\nsys.exit(3)',
  exitMessage: 'import sys\nsys.exit("went wrong")',
  osExit: 'import os\nprint("buffered?", flush=False)\nos._exit(7)',
  uncaught: 'def f():\n    raise ValueError("boom")\n\nf()',
  syntax: 'x = = 1',
  chained: 'try:\n    1/0\nexcept ZeroDivisionError as e:\n    raise KeyError("k") from e',
  signals: [
    'import signal',
    'print([(s.name, str(signal.getsignal(s))) for s in signal.Signals])',
    'print(signal.pthread_sigmask(signal.SIG_BLOCK, []))',
  ].join('\n'),
  sigterm: 'import os, signal\nos.kill(os.getpid(), signal.SIGTERM)',
  sigint: 'import os, signal, atexit\natexit.register(lambda: print("atexit ran"))\nos.kill(os.getpid(), signal.SIGINT)',
  stdin: 'import sys\ndata = sys.stdin.read()\nprint(len(data), data[:8], sys.stdin.read() == "")',
  threadsAtexit: [
    'import atexit, threading, time',
    'atexit.register(lambda: print("atexit"))',
    'def late():\n    time.sleep(0.2)\n    print("thread done")',
    'threading.Thread(target=late).start()',
    'print("main done")',
  ].join('\n'),
  mainGuard: 'import __main__\nx = 1\nprint(__main__.x, __main__.__dict__ is globals())\nif __name__ == "__main__":\n    print("main")',
  pickle: 'import pickle\nclass P: pass\nprint(type(pickle.loads(pickle.dumps(P()))).__module__)',
};

describe('python: pre-started vs plain `python3 main.py`', () => {
  test.each(Object.entries(PY))('%s', async (name, code) => {
    const extra: Partial<Probe> =
      name === 'imports'
        ? { files: [{ path: 'helper.py', content: 'VALUE = 42\n' }] }
        : name === 'stdin'
          ? { stdin: 'abcdefgh\n'.repeat(20000) }
          : {};
    await expectSame({ language: 'python', code, ...extra });
  });
});

const JS = {
  identity: [
    'console.log(process.argv.slice(1), require.main === module, __filename, __dirname, module.id, process.execArgv);',
    'console.log(Object.keys(require.cache), process.mainModule === module, process.cwd(), process.getuid());',
    'console.log(require("fs").readdirSync("/proc/self/fd").length, process.title);',
  ].join('\n'),
  exit4: 'console.log("bye"); process.exit(4);',
  exitCode: 'process.exitCode = 5;',
  uncaughtExitCode: 'setTimeout(() => { throw new Error("boom"); });',
  rejection: 'Promise.reject(new Error("nope")); setTimeout(() => console.log("not reached"), 100);',
  esmSyntax: 'import fs from "node:fs";\nconsole.log(typeof fs.readFileSync, import.meta.url, typeof require);',
  esmImport: 'import("./lib.mjs").then((m) => console.log(m.value, m.url));',
  stdin: 'let n = 0; process.stdin.on("data", (c) => (n += c.length)); process.stdin.on("end", () => console.log(n));',
  sigterm: 'process.kill(process.pid, "SIGTERM");',
  listeners: 'console.log(process.listenerCount("SIGINT"), process.listenerCount("exit"), process.listenerCount("uncaughtException"));',
};

describe('javascript: pre-started vs plain `node main.js`', () => {
  test.each(Object.entries(JS))('%s', async (name, code) => {
    const extra: Partial<Probe> =
      name === 'esmImport'
        ? { files: [{ path: 'lib.mjs', content: 'export const value = 7;\nexport const url = import.meta.url;\n' }] }
        : name === 'stdin'
          ? { stdin: 'x'.repeat(300_000) }
          : {};
    await expectSame({ language: 'javascript', code, ...extra });
  });

  test('an uncaught exception exits 1 with the same message and script frames', async () => {
    await expectSame({ language: 'javascript', code: 'function f() { throw new TypeError("bad"); }\nf();' });
  });
});

test('a bash run in a pool container that pre-started an interpreter still runs bash', async () => {
  // The process count uses a glob (bash itself), not `ls | grep`, whose count depends on whether grep had started.
  const [pre, plain] = await Promise.all([
    observe(warmPy, { language: 'bash', code: 'echo "$0" "$BASH_VERSION" ; set -- /proc/[0-9]* ; echo $#' }),
    observe(cold, { language: 'bash', code: 'echo "$0" "$BASH_VERSION" ; set -- /proc/[0-9]* ; echo $#' }),
  ]);
  expect(pre).toEqual(plain);
});

test('files that cannot be written: exit 125 with the same paddock-boot line', async () => {
  // Larger than RLIMIT_FSIZE (the tmpfs size here): the write fails.
  await expectSame({ language: 'python', code: 'print(1)', files: [{ path: 'big.txt', content: 'x'.repeat(17 * 1024 * 1024) }] });
});
