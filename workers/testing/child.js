// Runs one assert-style test: the solution and the test body in one function
// scope (so the solution's functions are visible to the test without exports).
// Exit 0 = passed, 1 = an assertion failed, 2 = any other error.
'use strict';
const fs = require('fs');
const vm = require('vm');
const assert = require('assert');

const spec = JSON.parse(fs.readFileSync('.paddock/tests.json', 'utf8'))[Number(process.argv[2])];
const source = fs.readFileSync('solution.js', 'utf8');
const body = `${source}\n;return (async () => {\n${spec.code}\n})();`;
const mod = { exports: {} };
Promise.resolve()
  .then(() => vm.runInThisContext(`(function (require, assert, module, exports) {\n${body}\n})`, { filename: 'solution.js' }))
  .then((fn) => fn(require, assert, mod, mod.exports))
  .then(() => process.exit(0), fail);

function fail(e) {
  const isAssert = Boolean(e) && (e.code === 'ERR_ASSERTION' || e.name === 'AssertionError');
  process.stderr.write(isAssert ? `AssertionError: ${e.message}\n` : `${(e && e.stack) || String(e)}\n`);
  process.exit(isAssert ? 1 : 2);
}
