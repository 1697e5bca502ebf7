/**
 * `npm start`: runs Paddock in the foreground (API + worker by default; see
 * PADDOCK_ROLE) until SIGINT/SIGTERM. First signal: stop taking work and let
 * runs finish (SHUTDOWN_GRACE_MS). Second: kill in-flight runs (they are retried).
 */
import { signToken } from '../api/auth';
import { ConfigError, loadConfig } from '../core/config';
import { createLogger } from '../core/logger';
import { startSystem } from '../core/system';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL);
  const system = await startSystem(config, log);

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1) {
      log.info({ signal }, 'shutting down: finishing in-flight runs (signal again to kill them)');
      system.close().then(
        () => process.exit(0),
        (err) => {
          log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    } else if (signals === 2) {
      log.warn('second signal: killing in-flight runs; they will be retried');
      system.worker?.abort();
    } else {
      process.exit(1);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  if (system.api) {
    const secretOpts = { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE };
    const token = await signToken(secretOpts, { sub: 'admin', role: 'admin' });
    const lines = [
      '',
      `Paddock is up: ${system.api.url}  (role: ${config.PADDOCK_ROLE})`,
      `  REDIS_URL=${system.redisUrl}`,
      `  MONGO_URL=${system.mongoUrl}${config.MONGO_URL ? '' : '   <- in-memory stand-in, not for production'}`,
      `  Bull Board: ${system.api.url}/admin/queues?token=<admin token>`,
      '  Admin token (12 h):',
      `  ${token}`,
      '',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
  } else {
    process.stderr.write(`paddock failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  }
  process.exit(1);
});
