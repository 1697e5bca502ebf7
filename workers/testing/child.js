// Runs one assert-style test: the solution, then the test body, in this
// process's global scope. Exit 0 = passed, 1 = an assertion failed, 2 = any
// other error.
//
// The solution runs as a classic script, exactly as `node solution.js` would
// see it apart from the main module: its top-level declarations (any name, also
// `assert`, `require` or `module`) land in the global scope, which the test
// body, a second script, shares. The CommonJS names the solution may use
// (require, module, exports, __filename, __dirname) and the test's `assert` are
// configurable globals, so a top-level `const assert = require('assert')` in
// the solution shadows ours instead of clashing with it.
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const { createRequire } = require('module');

const spec = JSON.parse(fs.readFileSync('.paddock/tests.json', 'utf8'))[Number(process.argv[2])];
const file = path.resolve('solution.js');
const mod = { exports: {}, id: file, filename: file, loaded: false, children: [], paths: [] };
const provided = {
  require: createRequire(file),
  module: mod,
  exports: mod.exports,
  __filename: file,
  __dirname: path.dirname(file),
  assert: require('assert'),
};
for (const [name, value] of Object.entries(provided)) {
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
}

Promise.resolve()
  .then(() => {
    vm.runInThisContext(fs.readFileSync(file, 'utf8'), { filename: file });
    // lineOffset: the test's line numbers are those of its own text.
    return vm.runInThisContext(`(async () => {\n${spec.code}\n})()`, { filename: `test ${spec.name}`, lineOffset: -1 });
  })
  .then(() => process.exit(0), fail);

function fail(e) {
  const isAssert = Boolean(e) && (e.code === 'ERR_ASSERTION' || e.name === 'AssertionError');
  process.stderr.write(isAssert ? `AssertionError: ${String(e.message).trimEnd()}${where(e)}\n` : `${(e && e.stack) || String(e)}\n`);
  process.exit(isAssert ? 1 : 2);
}

// Node quotes the failing expression only when it can read it from a file; the
// test's text is no file, so name its line ourselves.
function where(e) {
  const name = `test ${spec.name}`;
  for (const line of String(e.stack || '').split('\n')) {
    const m = /\((.*):(\d+):\d+\)$|at (.*):(\d+):\d+$/.exec(line.trim());
    const at = m && (m[1] ?? m[3]);
    const n = m && Number(m[2] ?? m[4]);
    if (at === name) return `\n    at ${name}, line ${n}: ${(spec.code.split('\n')[n - 1] || '').trim()}`;
    if (at === file) return `\n    at solution.js, line ${n}: ${(fs.readFileSync(file, 'utf8').split('\n')[n - 1] || '').trim()}`;
  }
  return '';
}
