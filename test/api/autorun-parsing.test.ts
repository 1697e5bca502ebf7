import { parseAnswer } from '../../workers/autorun/answer';
import { parseLenientJson } from '../../workers/autorun/lenient-json';

/** Reading autorun answers back (workers/autorun/answer.ts, fences.ts, lenient-json.ts): pure functions, no system. */
const MEAN = 'def mean(xs):\n    return sum(xs) / len(xs)';
const tests = [{ name: 'fraction', code: 'assert mean([1, 2]) == 1.5' }];
const py = (text: string, needTests = false) => parseAnswer(text, { language: 'python', needTests, knownTests: needTests ? undefined : tests });
const fence = (tag: string, body: string) => '```' + tag + '\n' + body + '\n```';

describe('which fence is the program', () => {
  it('takes a bare fence, and Python / python3 / py tags in any case', () => {
    for (const tag of ['', 'Python', 'python3', 'PY', 'py3', 'python title="mean.py"', 'python:mean.py', 'mean.py']) {
      expect([tag, py(`Here you go:\n\n${fence(tag, MEAN)}\n\nThat's it.`)]).toEqual([tag, { code: `${MEAN}\n` }]);
    }
  });

  it('refuses code only in another language with a message that says so (not "no code")', () => {
    const r = py(`In Java:\n${fence('java', 'class Mean {}')}\nRun it with:\n${fence('bash', 'javac Mean.java')}`);
    expect(r).toEqual({ kind: 'wrong_language', rejected: "the answer's code is in a block tagged ```java, ```bash, but this task needs python" });
    expect(py('I am not able to help with that.')).toEqual({ kind: 'no_code', rejected: 'the answer contained no python code block' });
  });

  it('prefers the language-tagged fence over bare ones, and the implementation over a usage snippet shown first', () => {
    const usage = fence('python', 'print(mean([1, 2]))  # 1.5');
    expect(py(`Usage:\n${usage}\n\nImplementation:\n${fence('python', MEAN)}`)).toEqual({ code: `${MEAN}\n` });
    expect(py(`${fence('', 'some output')}\n${fence('python', MEAN)}`)).toEqual({ code: `${MEAN}\n` });
  });

  it('chooses by the names the tests call, then by definitions, then size, then the later block', () => {
    const other = 'def median(xs):\n    xs = sorted(xs)\n    n = len(xs)\n    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2';
    expect(py(`${fence('python', other)}\n${fence('python', MEAN)}`)).toEqual({ code: `${MEAN}\n` });
    const improved = 'def mean(xs):\n    return sum(xs) / len(xs) if xs else 0.0';
    expect(py(`First try:\n${fence('python', MEAN)}\nBetter:\n${fence('python', improved)}`)).toEqual({ code: `${improved}\n` });
  });

  it('joins a helper shown in its own block with the program that needs it', () => {
    const helper = 'def total(xs):\n    return sum(xs)';
    const main = 'def mean(xs):\n    return total(xs) / len(xs)';
    const r = parseAnswer(`Helper:\n${fence('python', helper)}\nMain:\n${fence('python', main)}`, {
      language: 'python', needTests: false, knownTests: [{ name: 't', code: 'assert mean([1, 2]) == 1.5 and total([1]) == 1' }],
    });
    expect(r).toEqual({ code: `${helper}\n\n${main}\n` });
  });

  it('reads JavaScript tags (js, node, JavaScript) and CRLF answers', () => {
    const add = 'function add(a, b) {\r\n  return a + b;\r\n}';
    for (const tag of ['js', 'JavaScript', 'node', 'javascript', 'solution.js']) {
      expect(parseAnswer(`Sure!\r\n\r\n\`\`\`${tag}\r\n${add}\r\n\`\`\`\r\n`, { language: 'javascript', needTests: false })).toEqual({
        code: 'function add(a, b) {\n  return a + b;\n}\n',
      });
    }
  });
});

describe('JSON answers', () => {
  it('reads {code, tests} with literal newlines and CRLF inside the strings, bare or fenced', () => {
    const raw = '{"code": "def mean(xs):\r\n    return sum(xs) / len(xs)\r\n", "tests": [{"name": "one", "code": "assert mean([1, 2]) == 1.5"}]}';
    for (const text of [raw, `Here is the JSON:\n${fence('json', raw)}`, `Sure! ${raw} Hope it helps.`]) {
      expect(py(text, true)).toEqual({ code: `${MEAN}\n`, tests: [{ name: 'one', code: 'assert mean([1, 2]) == 1.5' }] });
    }
  });

  it('unwraps a code field that is itself fenced, and tolerates extra fields in tests', () => {
    const text = JSON.stringify({ code: fence('python', MEAN), tests: [{ name: 'x', description: 'halves', code: 'assert mean([1, 2]) == 1.5' }, 'assert mean([2]) == 2'] });
    expect(py(text, true)).toEqual({ code: `${MEAN}\n`, tests: [{ name: 'x', code: 'assert mean([1, 2]) == 1.5' }, { name: 'test 2', code: 'assert mean([2]) == 2' }] });
  });

  it('takes tests from a json block after the program, or from a block of asserts', () => {
    const jsonTests = fence('json', '[{"name": "one", "code": "assert mean([1, 2]) == 1.5"}]');
    expect(py(`${fence('python', MEAN)}\n\nTests:\n${jsonTests}`, true)).toEqual({ code: `${MEAN}\n`, tests: [{ name: 'one', code: 'assert mean([1, 2]) == 1.5' }] });
    const asserts = fence('python', 'assert mean([1, 2]) == 1.5\nassert mean([4]) == 4');
    expect(py(`${fence('python', MEAN)}\n${asserts}`, true)).toEqual({
      code: `${MEAN}\n`,
      tests: [{ name: 'test 1', code: 'assert mean([1, 2]) == 1.5' }, { name: 'test 2', code: 'assert mean([4]) == 4' }],
    });
    expect(py(fence('python', MEAN), true)).toMatchObject({ kind: 'no_tests' });
  });

  it('does not mistake a dict literal in the program for the answer', () => {
    const code = 'CODES = {"code": "E1"}\n\ndef mean(xs):\n    return sum(xs) / len(xs)';
    expect(py(fence('python', code))).toEqual({ code: `${code}\n` });
  });
});

describe('parseLenientJson', () => {
  it('leaves valid JSON alone and repairs what models get wrong', () => {
    expect(parseLenientJson('{"a": "x\\ny"}')).toEqual({ a: 'x\ny' });
    expect(parseLenientJson('{"a": "x\ny\r\n\tz"}')).toEqual({ a: 'x\ny\r\n\tz' });
    expect(parseLenientJson('{"re": "\\d+", "q": "it\\\'s"}')).toEqual({ re: '\\d+', q: "it's" });
    expect(parseLenientJson('{"a": [1, 2,], }')).toEqual({ a: [1, 2] });
    expect(parseLenientJson('{"code": "print("hi")"}')).toEqual({ code: 'print("hi")' });
    expect(parseLenientJson('not json')).toBeUndefined();
  });
});
