/**
 * The MongoDB stand-in as a server process of its own (the `mongo-standin` service
 * of docker/compose.yaml, or a shared store for several hosts):
 *
 *   node --import tsx mongo-standin/serve.ts [--host 0.0.0.0] [--port 27017] [--data FILE | --memory]
 *
 * Defaults: 127.0.0.1, port 27017, data in .paddock/mongo/paddock.sqlite. Prints
 * `mongo stand-in listening: <url>` once it accepts connections; SIGINT/SIGTERM
 * close it (every acknowledged write is already on disk).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../core/logger';
import { describeStorage, startMongoStandin, type StandinStorage } from './index';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '27017' },
      data: { type: 'string', default: path.join('.paddock', 'mongo', 'paddock.sqlite') },
      memory: { type: 'boolean', default: false },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port ${values.port}: not a TCP port`);
  const storage: StandinStorage = values.memory ? { engine: 'memory' } : { engine: 'sqlite', file: path.resolve(values.data) };
  const log = createLogger('info', 'json');
  const standin = await startMongoStandin({ host: values.host, port, storage, logger: log });
  const shown = standin.url.replace(/\/\/[^/]+\//, `//${values.host}:${standin.port}/`);
  log.warn({ url: shown, storage: storage.engine }, `MongoDB stand-in: ${describeStorage(standin.storage)}; production uses a real MongoDB`);
  process.stdout.write(`mongo stand-in listening: ${shown}\n`);
  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    standin.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`mongo stand-in failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
