import type { Handler } from '../context';

/** GET /health: the process is up. */
export const health: Handler = async () => ({ status: 200, body: { status: 'ok' } });

/** GET /ready: Redis, MongoDB and (for workers) Docker answer. */
export const ready: Handler = async (ctx) => {
  const { redis, store, dockerPing } = ctx.deps;
  const checks: Record<string, () => Promise<unknown>> = {
    redis: () => redis.ping(),
    mongo: () => store.ping(),
  };
  if (dockerPing) checks.docker = dockerPing;
  const results = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        await withTimeout(check(), 2000);
        return [name, 'ok'] as const;
      } catch {
        return [name, 'unavailable'] as const;
      }
    }),
  );
  const ok = results.every(([, s]) => s === 'ok');
  return { status: ok ? 200 : 503, body: { status: ok ? 'ready' : 'unavailable', checks: Object.fromEntries(results) } };
};

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
