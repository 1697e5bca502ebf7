// Paddock test harness for JavaScript (runs inside the sandbox as the main program).
// stdin: a nonce line, then the per-test timeout in ms. Files: solution.js,
// .paddock/tests.json, .paddock/child.js. Each test runs in its own process; the
// result line is printed last, tagged with the nonce (children never see it).
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const vm = require('vm');

const [nonceLine, timeoutLine] = fs.readFileSync(0, 'utf8').split('\n');
const nonce = nonceLine.trim();
const perTest = Number(timeoutLine);
const tests = JSON.parse(fs.readFileSync('.paddock/tests.json', 'utf8'));

function emit(payload) {
  process.stdout.write(`\n@@PADDOCK-TESTS ${nonce} ${JSON.stringify(payload)}\n`);
}
function tail(text, limit = 2000) {
  const t = String(text).trim();
  return t.length <= limit ? t : `...${t.slice(-limit)}`;
}
function diff(expected, actual) {
  const e = expected.split('\n');
  const a = actual.split('\n');
  const lines = [];
  for (let i = 0; i < Math.max(e.length, a.length); i++) {
    if (e[i] !== a[i]) lines.push(`line ${i + 1}:`, `- ${e[i] ?? ''}`, `+ ${a[i] ?? ''}`);
  }
  return tail(lines.join('\n'));
}

const source = fs.readFileSync('solution.js', 'utf8');
try {
  new vm.Script(source, { filename: 'solution.js' });
} catch (e) {
  emit({ compileError: String(e && e.message), results: [] });
  process.exit(0);
}

const results = tests.map((t, i) => {
  const started = Date.now();
  const isAssert = typeof t.code === 'string';
  const cmd = isAssert ? ['.paddock/child.js', String(i)] : ['solution.js'];
  const p = spawnSync(process.execPath, cmd, {
    input: isAssert ? '' : t.stdin || '',
    timeout: perTest,
    killSignal: 'SIGKILL',
    maxBuffer: 16 * 1024 * 1024,
    encoding: 'utf8',
  });
  const durationMs = Date.now() - started;
  let status;
  let message = '';
  if (p.error && p.error.code === 'ETIMEDOUT') {
    status = 'timeout';
    message = `no result within ${perTest} ms`;
  } else if (p.signal) {
    status = 'crashed';
    message = `killed by signal ${p.signal}\n${tail(p.stderr)}`;
  } else if (isAssert) {
    status = p.status === 0 ? 'passed' : p.status === 1 ? 'failed' : 'error';
    message = status === 'passed' ? '' : tail(p.stderr) || `exit code ${p.status}`;
  } else if (p.status !== 0) {
    status = 'failed';
    message = `exit code ${p.status}\n${tail(p.stderr)}`;
  } else {
    const expected = (t.expectedStdout || '').replace(/\n+$/, '');
    const actual = p.stdout.replace(/\n+$/, '');
    status = expected === actual ? 'passed' : 'failed';
    message = status === 'passed' ? '' : diff(expected, actual);
  }
  return { name: t.name, passed: status === 'passed', status, message, durationMs };
});
emit({ results });
