// A Node interpreter started ahead of its run (agent.py `--prestart javascript`):
//   node /opt/paddock/prestart.js      (fd 3: the agent's control pipe)
//
// Started exactly as `node main.js` would be (same uid, session, pipes,
// rlimits, cwd, environment), it blocks on fd 3 until the run frame has arrived
// and the agent has written the run's files, then hands the script to Node's
// own entry point (Module.runMain, what `node main.js` calls): CommonJS or ESM
// as Node decides, `require.main === module`, process.argv[1] the script's
// absolute path. Interpreter start-up is off the run's hot path.
//
// Control message (the agent writes it, then closes the pipe):
//   "R" + NUL-joined argv (argv[0] the script)   run it
//   "B"                                          the files could not be written
//   (EOF without a message: the agent is gone)
'use strict';
(() => {
  const fs = require('fs');
  const path = require('path');
  const Module = require('module');
  const EXIT_BOOT = 125;

  const chunks = [];
  const buf = Buffer.alloc(1 << 16);
  for (;;) {
    const n = fs.readSync(3, buf, 0, buf.length, null);
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  fs.closeSync(3);
  const message = Buffer.concat(chunks);
  if (message.length === 0 || message[0] !== 0x52 /* R */) process.exit(EXIT_BOOT);
  const argv = message.subarray(1).toString('utf8').split('\0');

  process.argv = [process.argv[0], path.resolve(argv[0]), ...argv.slice(1)];
  // Nothing of ours stays loaded: the script's require.main is its own module.
  delete require.cache[__filename];
  process.mainModule = undefined;
  Module.runMain();
})();
