import { countWorkers } from '../../core/worker-liveness';
import type { Handler } from '../context';

/** GET /health: the process is up. */
export const health: Handler = async () => ({ status: 200, body: { status: 'ok' } });

const CHECK_TIMEOUT_MS = 2000;

type Status = 'ok' | 'unavailable';

/**
 * GET /ready: whether this node can serve runs end to end. 200 when every part
 * answers, 503 otherwise, always with the same error-free body:
 *
 *     {status: 'ready' | 'unavailable',
 *      checks: {redis: 'ok' | 'unavailable', mongo: …, docker?: … (only where a worker runs),
 *               workers: {ok, count}}}
 *
 * `workers.count` is the number of live worker processes of this system
 * (QUEUE_PREFIX) on its Redis: an API node without any would accept runs that
 * then wait in the queue forever.
 */
export const ready: Handler = async (ctx) => {
  const { redis, store, dockerPing, config } = ctx.deps;
  const probe = async (check: () => Promise<unknown>): Promise<Status> => {
    try {
      await withTimeout(check(), CHECK_TIMEOUT_MS);
      return 'ok';
    } catch {
      return 'unavailable';
    }
  };
  const workers = async () => {
    try {
      const { count } = await withTimeout(countWorkers(redis, config.QUEUE_PREFIX), CHECK_TIMEOUT_MS);
      return { ok: count > 0, count };
    } catch {
      return { ok: false, count: 0 };
    }
  };
  const [redisStatus, mongoStatus, dockerStatus, workersStatus] = await Promise.all([
    probe(() => redis.ping()),
    probe(() => store.ping()),
    dockerPing ? probe(dockerPing) : undefined,
    workers(),
  ]);
  const checks = {
    redis: redisStatus,
    mongo: mongoStatus,
    ...(dockerStatus ? { docker: dockerStatus } : {}),
    workers: workersStatus,
  };
  const ok = redisStatus === 'ok' && mongoStatus === 'ok' && dockerStatus !== 'unavailable' && workersStatus.ok;
  return { status: ok ? 200 : 503, body: { status: ok ? 'ready' : 'unavailable', checks } };
};

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
