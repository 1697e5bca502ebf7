import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Registry } from 'prom-client';
import { authenticate, bearerToken, type TokenVerifier } from './auth';

/**
 * Whether a scrape may read the figures: `Authorization: Bearer <METRICS_TOKEN>`
 * (the static token a Prometheus scrape config carries), or an admin JWT.
 * Anything else is a 401 (403 for a user token) through the error mapper.
 */
export async function checkMetricsAccess(authorization: string | undefined, metricsToken: string | undefined, verifier: TokenVerifier): Promise<void> {
  const given = bearerToken(authorization);
  if (metricsToken !== undefined && given !== undefined && sameSecret(given, metricsToken)) return;
  await authenticate(verifier, authorization, 'admin');
}

/** GET /metrics on the API port. */
export function metricsRoute(registry: Registry, metricsToken: string | undefined, verifier: TokenVerifier) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      await checkMetricsAccess(req.headers.authorization, metricsToken, verifier);
      res.type(registry.contentType).send(await registry.metrics());
    } catch (err) {
      next(err);
    }
  };
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
