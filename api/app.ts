import express, { type NextFunction, type Request, type Response } from 'express';
import { NotFoundError, PaddockError, PayloadTooLargeError, ValidationError } from '../core/errors';
import { mountBullBoard } from '../dashboards/bull-board';
import { authenticate } from './auth';
import type { ApiDeps, RequestContext } from './context';
import { routes } from './routes';

/** Express is a thin adapter: the route table, auth, one error mapper. */
export function buildApp(deps: ApiDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(timing(deps));
  app.use(express.json({ limit: deps.config.MAX_BODY_BYTES }));

  app.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  mountBullBoard(app, deps);

  for (const route of routes) {
    app[route.method](route.path, async (req: Request, res: Response, next: NextFunction) => {
      try {
        const ctx: RequestContext = {
          deps,
          principal: await authenticate(deps.verifier, req.headers.authorization, route.access),
          params: req.params as Record<string, string>,
          query: req.query as Record<string, unknown>,
          headers: req.headers,
          body: req.body,
        };
        if ('stream' in route) return await route.stream(ctx, req, res);
        const out = await route.handler(ctx);
        res.status(out.status).set(out.headers ?? {}).json(out.body);
      } catch (err) {
        next(err);
      }
    });
  }

  app.use((_req: Request, _res: Response, next: NextFunction) => next(new NotFoundError('no such route')));
  app.use(errorMapper(deps));
  return app;
}

/** Maps every error to `{error: {code, message, details?}}`; never a stack trace. */
function errorMapper(deps: ApiDeps) {
  return (err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = fromExpress(err);
    if (e.status >= 500) deps.log.error({ err }, 'request failed');
    if (res.headersSent) {
      res.end();
      return;
    }
    const body: { code: string; message: string; details?: unknown } = { code: e.code, message: e.message };
    if (e.details !== undefined) body.details = e.details;
    if (e.code === 'unauthorized') res.set('www-authenticate', 'Bearer');
    res.status(e.status).json({ error: body });
  };
}

/** body-parser and other foreign errors become one of ours. */
function fromExpress(err: unknown): PaddockError {
  if (err instanceof PaddockError) return err;
  const type = (err as { type?: string } | null)?.type;
  if (type === 'entity.too.large') return new PayloadTooLargeError();
  if (type === 'entity.parse.failed') return new ValidationError('request body is not valid JSON');
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') return new ValidationError('unsupported body encoding');
  return new PaddockError('internal', 500, 'internal error');
}

function timing(deps: ApiDeps) {
  return (req: Request, res: Response, next: NextFunction) => {
    const end = deps.metrics.httpDuration.startTimer({ method: req.method });
    res.on('finish', () => end({ route: (req.route?.path as string | undefined) ?? 'other', status: String(res.statusCode) }));
    next();
  };
}
