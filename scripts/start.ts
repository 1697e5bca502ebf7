/**
 * `npm start`: runs Paddock in the foreground (API + worker by default; see
 * PADDOCK_ROLE) until SIGINT/SIGTERM.
 *
 * Shutdown stages, counted in signals (SIGINT and SIGTERM alike):
 *  1. stop taking work; in-flight runs get SHUTDOWN_GRACE_MS to finish; then
 *     everything closes in order (Redis and the store last) and the process
 *     exits 0 by itself. Close is bounded: after SHUTDOWN_GRACE_MS plus
 *     TEARDOWN_BOUND_MS at most, it exits 1 whatever still hangs.
 *  2. kill in-flight runs now (they are requeued without spending an attempt);
 *     the rest of the shutdown goes on as in stage 1.
 *  3. exit at once (containers left behind are removed by the next worker's reaper).
 *
 * One Ctrl-C arrives twice: the terminal sends SIGINT to the whole foreground
 * process group, and npm, which is in that group too, forwards its own copy to
 * us. So a signal counts as the next stage only when it comes at least
 * SAME_SIGNAL_MS after the last one that counted; anything sooner is taken as
 * the same keypress. A deliberate second Ctrl-C (a human needs longer than that
 * to press it again) still escalates.
 */
import { signToken } from '../api/auth';
import { ConfigError, loadConfig, type Config } from '../core/config';
import { createLogger, type Logger } from '../core/logger';
import { describeStorage } from '../mongo-standin';
import { startSystem, TEARDOWN_BOUND_MS, type System } from './system';

/** Signals this close to the last counted one are duplicates of it (see above). */
const SAME_SIGNAL_MS = 1000;

let config: Config | undefined;

async function main(): Promise<void> {
  config = loadConfig();
  const log = createLogger(config.LOG_LEVEL, config.LOG_FORMAT);
  const stages = shutdownStages(config, log);
  process.on('SIGINT', stages.onSignal);
  process.on('SIGTERM', stages.onSignal);

  const system = await startSystem(config, log);
  // A signal that came during start-up is served now that there is something to close.
  if (stages.attach(system)) return;

  if (!system.api && system.metrics) log.info({ url: `${system.metrics.url}/metrics` }, 'serving metrics');
  if (system.api) {
    const secretOpts = { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE };
    const token = await signToken(secretOpts, { sub: 'admin', role: 'admin' });
    const lines = [
      '',
      `Paddock is up: ${system.api.url}  (role: ${config.PADDOCK_ROLE})`,
      `  REDIS_URL=${system.redisUrl}`,
      `  MONGO_URL=${system.mongoUrl}${system.standin ? `   <- ${describeStorage(system.standin)}; production uses a real MongoDB` : ''}`,
      `  Bull Board: ${system.api.url}/admin/queues?token=<admin token>`,
      `  Console: ${system.api.url}/console#token=${token}`,
      `  Metrics: ${system.api.url}/metrics (admin token or METRICS_TOKEN)${system.metrics ? `; also ${system.metrics.url}/metrics` : ''}`,
      ...(config.WEBHOOK_SECRET ? [] : [`  Webhook signing secret (derived from JWT_SECRET; set WEBHOOK_SECRET in production): ${config.webhooks.secret}`]),
      '  Admin token (12 h):',
      `  ${token}`,
      '',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
}

/** The signal rule of the header comment, as a small state machine. */
function shutdownStages(cfg: Config, log: Logger) {
  let system: System | undefined;
  let stage = 0;
  let lastCounted = -Infinity;

  const beginClose = (sys: System) => {
    // Backstop: close() bounds each step, this bounds the whole (unref: never what keeps us alive).
    const deadline = cfg.SHUTDOWN_GRACE_MS + TEARDOWN_BOUND_MS;
    setTimeout(() => {
      log.error({ deadlineMs: deadline }, 'shutdown did not finish in time; exiting');
      process.exit(1);
    }, deadline).unref();
    sys.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };

  const onSignal = (signal: NodeJS.Signals) => {
    const now = performance.now();
    if (now - lastCounted < SAME_SIGNAL_MS) {
      log.debug({ signal }, `signal within ${SAME_SIGNAL_MS} ms of the last one: the same Ctrl-C`);
      return;
    }
    lastCounted = now;
    stage += 1;
    if (stage === 1) {
      log.info(
        { signal, graceMs: cfg.SHUTDOWN_GRACE_MS },
        'shutting down: finishing in-flight runs (signal again to kill them)',
      );
      if (system) beginClose(system);
    } else if (stage === 2 && system) {
      log.warn({ signal }, 'second signal: killing in-flight runs; they will be retried');
      system.worker?.abort();
    } else {
      log.warn({ signal }, 'exiting now');
      process.exit(1);
    }
  };

  return {
    onSignal,
    /** True when a signal already asked to stop: the caller must not announce the system. */
    attach(sys: System): boolean {
      system = sys;
      if (stage === 0) return false;
      beginClose(sys);
      return true;
    },
  };
}

main().catch((err: unknown) => {
  // One line for the user (a ConfigError names the variable to fix); the stack only when asked for.
  if (err instanceof ConfigError) {
    process.stderr.write(`paddock cannot start: ${err.message}\n`);
  } else {
    const verbose = config?.LOG_LEVEL === 'debug' || config?.LOG_LEVEL === 'trace';
    const text = err instanceof Error ? (verbose ? err.stack : err.message.split('\n')[0]) : String(err);
    process.stderr.write(`paddock failed to start: ${text}${verbose ? '' : '  (LOG_LEVEL=debug shows where)'}\n`);
  }
  process.exit(1);
});
