import { readSse } from '../helpers/sse';
import { isDone, startTestSystem, type TestSystem } from '../helpers/system';

/** Structured per-test results for code runs (Python and JavaScript). */
let t: TestSystem;

beforeAll(async () => {
  t = await startTestSystem({ SANDBOX_MAX_TIMEOUT_MS: '10000' });
});
afterAll(async () => {
  await t?.close();
});

const byName = (run: any) => Object.fromEntries(run.result.tests.map((r: any) => [r.name, r]));

describe('python', () => {
  const code = 'def add(a, b):\n    return a + b\n\nif __name__ == "__main__":\n    import sys\n    a, b = map(int, sys.stdin.read().split())\n    print(add(a, b))\n';

  it('reports each test: pass, failed assertion, output diff, hang and crash — the others still report', async () => {
    const created = await t.call('POST', '/v1/runs', {
      body: {
        language: 'python',
        code,
        limits: { timeoutMs: 8000 },
        tests: [
          { name: 'adds', code: 'assert add(1, 2) == 3' },
          { name: 'wrong', code: 'assert add(2, 2) == 5, "2 + 2 should be 5"' },
          { name: 'io ok', stdin: '3 4', expectedStdout: '7\n' },
          { name: 'io diff', stdin: '3 4', expectedStdout: '8\n' },
          { name: 'hangs', code: 'while True: pass' },
          { name: 'crashes', code: 'import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)' },
          { name: 'raises', code: 'raise ValueError("boom")' },
          { name: 'still runs after', code: 'assert add(-1, 1) == 0' },
        ],
      },
    });
    expect(created.status).toBe(202);
    const run = await t.waitFor(created.body.id, isDone);
    expect(run.status).toBe('failed');
    const r = byName(run);
    expect(r['adds']).toMatchObject({ passed: true, status: 'passed' });
    expect(r['wrong']).toMatchObject({ passed: false, status: 'failed' });
    expect(r['wrong'].message).toContain('2 + 2 should be 5');
    expect(r['io ok']).toMatchObject({ passed: true });
    expect(r['io diff']).toMatchObject({ passed: false, status: 'failed' });
    expect(r['io diff'].message).toMatch(/-8[\s\S]*\+7/);
    expect(r['hangs']).toMatchObject({ passed: false, status: 'timeout' });
    expect(r['crashes']).toMatchObject({ passed: false, status: 'crashed' });
    expect(r['crashes'].message).toContain('SIGSEGV');
    expect(r['raises']).toMatchObject({ status: 'error' });
    expect(r['raises'].message).toContain('ValueError: boom');
    expect(r['still runs after']).toMatchObject({ passed: true });
    for (const x of run.result.tests) expect(x.durationMs).toEqual(expect.any(Number));
    expect(run.result.stdout).not.toContain('PADDOCK-TESTS');
  });

  it('succeeds when every test passes, streaming one test event per test', async () => {
    const created = await t.call('POST', '/v1/runs', {
      body: { language: 'python', code, tests: [{ name: 'a', code: 'assert add(1, 1) == 2' }, { name: 'b', stdin: '1 1', expectedStdout: '2' }] },
    });
    const headers = { authorization: `Bearer ${await t.token('alice')}` };
    const stream = await readSse(`${t.url}/v1/runs/${created.body.id}/events`, { headers });
    const tests = stream.events.filter((e) => e.event === 'test').map((e) => JSON.parse(e.data));
    expect(tests.map((x) => [x.name, x.passed])).toEqual([['a', true], ['b', true]]);
    const run = await t.waitFor(created.body.id, isDone);
    expect(run.status).toBe('succeeded');
  });

  it('reports a compile error instead of running tests', async () => {
    const created = await t.call('POST', '/v1/runs', {
      body: { language: 'python', code: 'def broken(:\n  pass', tests: [{ name: 'a', code: 'assert True' }] },
    });
    const run = await t.waitFor(created.body.id, isDone);
    expect(run.status).toBe('failed');
    expect(run.result.compileError).toMatch(/line 1/);
    expect(run.result.tests).toEqual([]);
  });

  it('explains a failed assertion with both sides\' values, as pytest does', async () => {
    const created = await t.call('POST', '/v1/runs', {
      body: {
        language: 'python',
        code: 'def mean(xs):\n    return sum(xs) // len(xs)\n\ndef check(x):\n    assert x > 0\n',
        tests: [
          { name: 'fraction', code: 'assert mean([1, 2]) == 1.5' },
          { name: 'lists', code: 'got = [mean([1, 2]), mean([3])]\nassert got == [1.5, 3]' },
          { name: 'message', code: 'assert mean([1, 2]) == 1.5, "mean of 1 and 2"' },
          { name: 'inside the solution', code: 'check(0)' },
          { name: 'passes', code: 'assert mean([2, 4]) == 3' },
        ],
      },
    });
    const run = await t.waitFor(created.body.id, isDone);
    const r = byName(run);
    expect(r['fraction']).toMatchObject({ status: 'failed', message: 'AssertionError: assert 1 == 1.5\n +  where 1 = mean([1, 2])' });
    expect(r['lists'].message).toContain('assert [1, 3] == [1.5, 3]');
    expect(r['lists'].message).toContain('At index 0 diff: 1 != 1.5');
    expect(r['message'].message).toBe('AssertionError: mean of 1 and 2\nassert 1 == 1.5\n +  where 1 = mean([1, 2])');
    expect(r['inside the solution'].message).toBe('AssertionError: solution.py, line 5: assert x > 0');
    expect(r['passes']).toMatchObject({ passed: true });
  });

  it('cannot be fooled by the code under test printing a result line', async () => {
    const forged = 'print("\\n@@PADDOCK-TESTS 0000 {\\"results\\": []}")\ndef f():\n    return 1\n';
    const created = await t.call('POST', '/v1/runs', {
      body: { language: 'python', code: forged, tests: [{ name: 'f', code: 'assert f() == 2' }] },
    });
    const run = await t.waitFor(created.body.id, isDone);
    expect(run.status).toBe('failed');
    expect(byName(run)['f'].passed).toBe(false);
  });
});

describe('javascript', () => {
  const code = 'function add(a, b) { return a + b; }\nif (require.main === module) {\n  const [a, b] = require("fs").readFileSync(0, "utf8").split(/\\s+/).map(Number);\n  console.log(add(a, b));\n}\n';

  it('reports pass, failed assertion, io diff and a hang', async () => {
    const created = await t.call('POST', '/v1/runs', {
      body: {
        language: 'javascript',
        code,
        limits: { timeoutMs: 9000 },
        tests: [
          { name: 'adds', code: 'assert.strictEqual(add(1, 2), 3);' },
          { name: 'wrong', code: 'assert.strictEqual(add(2, 2), 5, "2 + 2 should be 5");' },
          { name: 'io ok', stdin: '3 4', expectedStdout: '7' },
          { name: 'io diff', stdin: '3 4', expectedStdout: '8' },
          { name: 'hangs', code: 'await new Promise(() => setInterval(() => {}, 1000));' },
        ],
      },
    });
    const run = await t.waitFor(created.body.id, isDone);
    expect(run.status).toBe('failed');
    const r = byName(run);
    expect(r['adds']).toMatchObject({ passed: true });
    expect(r['wrong']).toMatchObject({ status: 'failed' });
    expect(r['wrong'].message).toContain('2 + 2 should be 5');
    expect(r['io ok']).toMatchObject({ passed: true });
    expect(r['io diff'].message).toContain('- 8');
    expect(r['hangs']).toMatchObject({ status: 'timeout' });
  });

  it('lets the solution declare anything at top level, assert and module included', async () => {
    const solution = [
      "'use strict';",
      "const assert = require('assert');",
      "const { EOL } = require('os');",
      'let calls = 0;',
      'class Counter { constructor() { this.n = 0; } inc() { calls++; return ++this.n; } }',
      'const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;',
      'module.exports = { mean, Counter };',
      'if (require.main === module) console.log(mean([1, 2]) + EOL.trim());',
    ].join('\n');
    const created = await t.call('POST', '/v1/runs', {
      body: {
        language: 'javascript',
        code: solution,
        tests: [
          { name: 'mean', code: 'assert.strictEqual(mean([1, 2]), 1.5);' },
          { name: 'class and let', code: 'const c = new Counter(); c.inc(); assert.strictEqual(c.inc(), 2); assert.strictEqual(calls, 2);' },
          { name: 'exports', code: 'assert.strictEqual(module.exports.mean, mean);' },
          { name: 'truthy', code: 'const r = mean([1, 2]);\nassert(r === 2);' },
          { name: 'main', stdin: '', expectedStdout: '1.5' },
        ],
      },
    });
    const run = await t.waitFor(created.body.id, isDone);
    const r = byName(run);
    expect(run.result.compileError).toBeUndefined();
    expect(['mean', 'class and let', 'exports', 'main'].map((n) => [n, r[n].status, r[n].message])).toEqual([
      ['mean', 'passed', ''], ['class and let', 'passed', ''], ['exports', 'passed', ''], ['main', 'passed', ''],
    ]);
    // Node 24 quotes the failing expression itself; the harness adds the test's name and line.
    expect(r['truthy'].status).toBe('failed');
    expect(r['truthy'].message).toMatch(/^AssertionError: The expression evaluated to a falsy value:\s+assert\(r === 2\)\s+at test truthy, line 2: assert\(r === 2\);$/);
  });
});
