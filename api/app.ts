import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { NotFoundError, PayloadTooLargeError, RateLimitedError } from '../core/errors';
import { mountBullBoard } from '../dashboards/bull-board';
import { mountConsole } from '../dashboards/console';
import { authenticate } from './auth';
import { checkParsedBody, JSON_TYPES, requireJsonBodies } from './body-guard';
import type { ApiDeps, RequestContext } from './context';
import { mountDocs } from './docs';
import { fromForeign } from './http-errors';
import { metricsRoute } from './metrics-access';
import { routes, type Route } from './routes';
import { parseOrThrow, parseQuery } from './validate';

/** A route without a query schema takes no parameters. */
const NO_QUERY = z.object({});

/** Express is a thin adapter: the route table, auth, one error mapper. */
export function buildApp(deps: ApiDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(timing(deps));
  // Uploads take raw bytes: mounted before the JSON-only body rules below.
  for (const route of routes) {
    if ('upload' in route) app.put(route.path, uploadRoute(deps, route));
  }
  app.use(requireJsonBodies);
  // Not strict: a body of `null` or `42` then gets the clear "must be a JSON object" from checkParsedBody.
  app.use(express.json({ limit: deps.config.MAX_BODY_BYTES, type: JSON_TYPES, strict: false }));
  app.use(checkParsedBody);

  app.get('/metrics', metricsRoute(deps.metrics.registry, deps.config.METRICS_TOKEN, deps.verifier));
  mountBullBoard(app, deps);
  mountDocs(app, routes);
  mountConsole(app);

  for (const route of routes) {
    if ('upload' in route) continue;
    app[route.method](route.path, handle(deps, route, async (ctx, req, res) => {
      if ('stream' in route) return route.stream(ctx, req, res);
      if ('download' in route) return route.download(ctx, res);
      const out = await route.handler(ctx);
      res.status(out.status).set(out.headers ?? {}).json(out.body);
    }));
  }

  app.use((_req: Request, _res: Response, next: NextFunction) => next(new NotFoundError('no such route')));
  app.use(errorMapper(deps));
  return app;
}

/** One route's express handler: auth, parsed query and body, then `respond`; every error to the mapper. */
function handle(deps: ApiDeps, route: Route, respond: (ctx: RequestContext, req: Request, res: Response) => Promise<void>) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const ctx: RequestContext = {
        deps,
        principal: await authenticate(deps.verifier, req.headers.authorization, route.access),
        params: req.params as Record<string, string>,
        query: parseQuery(route.query ?? NO_QUERY, req.query),
        headers: req.headers,
        body: route.body ? parseOrThrow(route.body, req.body ?? {}) : req.body,
      };
      await respond(ctx, req, res);
    } catch (err) {
      next(err);
    }
  };
}

/**
 * An upload's body is read only when its handler asks, past its guards: after
 * authentication, and after a declared Content-Length over the cap got its 413.
 * An answer given before the body was read closes the connection, or Node would
 * read (and drop) the unread body to keep the connection alive.
 */
function uploadRoute(deps: ApiDeps, route: Extract<Route, { upload: unknown }>) {
  const limit = deps.config.SESSION_FILE_MAX_BYTES;
  const parse = express.raw({ type: () => true, limit });
  return async (req: Request, res: Response, next: NextFunction) => {
    let reading = false;
    const readBody = () => {
      reading = true;
      return new Promise<Buffer>((resolve, reject) => {
        parse(req, res, (err?: unknown) => (err ? reject(err) : resolve(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0))));
      });
    };
    const respond = handle(deps, route, async (ctx) => {
      if (Number(req.headers['content-length']) > limit) throw new PayloadTooLargeError(`a file may have at most ${limit} bytes (SESSION_FILE_MAX_BYTES)`);
      const out = await route.upload(ctx, readBody);
      res.status(out.status).set(out.headers ?? {}).json(out.body);
    });
    await respond(req, res, (err?: unknown) => {
      if (!reading) res.set('connection', 'close');
      next(err);
    });
  };
}

/** Maps every error to `{error: {code, message, details?}}`; never a stack trace. */
function errorMapper(deps: ApiDeps) {
  return (err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = fromForeign(err);
    if (e.status >= 500) deps.log.error({ err }, 'request failed');
    if (res.headersSent) {
      res.end();
      return;
    }
    const body: { code: string; message: string; details?: unknown } = { code: e.code, message: e.message };
    if (e.details !== undefined) body.details = e.details;
    if (e.code === 'unauthorized') res.set('www-authenticate', 'Bearer');
    if (e instanceof RateLimitedError && e.retryAfterS !== undefined) res.set('retry-after', String(e.retryAfterS));
    res.status(e.status).json({ error: body });
  };
}

function timing(deps: ApiDeps) {
  return (req: Request, res: Response, next: NextFunction) => {
    const end = deps.metrics.httpDuration.startTimer({ method: req.method });
    res.on('finish', () => end({ route: (req.route?.path as string | undefined) ?? 'other', status: String(res.statusCode) }));
    next();
  };
}
