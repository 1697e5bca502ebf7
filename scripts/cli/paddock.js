#!/usr/bin/env node
'use strict';
/**
 * `paddock`, the command-line client (scripts/cli/main.ts). Plain JavaScript so
 * that any `node` on PATH can start it: on Node 24 or later it loads the
 * TypeScript through tsx in this process; on an older one it starts the
 * project's own Node 24 (the `node` devDependency) on this file and passes its
 * exit code on.
 */
const path = require('node:path');

const major = Number(process.versions.node.split('.')[0]);
if (major >= 24) {
  require('tsx/cjs/api').register();
  require(path.join(__dirname, 'main.ts'));
} else {
  const { spawn } = require('node:child_process');
  const node = path.join(path.dirname(require.resolve('node/package.json')), 'bin', 'node');
  const child = spawn(node, [__filename, ...process.argv.slice(2)], { stdio: 'inherit' });
  // Ctrl-C reaches both processes (one process group): the child reports and exits, this one waits for it.
  process.on('SIGINT', () => undefined);
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + (require('node:os').constants.signals[signal] ?? 0) : 1)));
  child.on('error', (err) => {
    process.stderr.write(`paddock: cannot start Node 24 (${node}): ${err.message}\n`);
    process.exit(4);
  });
}
