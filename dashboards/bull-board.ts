import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Express, NextFunction, Request, Response } from 'express';
import type { ApiDeps } from '../api/context';
import { authenticate, bearerToken } from '../api/auth';
import { UnauthorizedError, ValidationError } from '../core/errors';

export const BOARD_PATH = '/admin/queues';
const COOKIE = 'paddock_admin';

/**
 * Bull Board at /admin/queues, admins only. Browsers can't send a bearer header
 * when following a link, so `?token=<jwt>` is accepted once: it is verified, put
 * in an HttpOnly cookie scoped to the board, and the URL is cleaned by a redirect.
 * Credentials are taken in that order: `?token=`, an Authorization header, the cookie.
 * Errors before the board (401, 403, a malformed path) get the API's error body;
 * the board's own JSON API (under /api) answers in the shape its UI reads.
 */
export function mountBullBoard(app: Express, deps: ApiDeps): void {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BOARD_PATH);
  createBullBoard({
    // No retries (completed-job retries follow allowRetries): a job's terminal state is written once, so a retry could only replay it. Run it again with a new POST.
    queues: deps.queues.all().map((q) => new BullMQAdapter(q, { readOnlyMode: false, allowRetries: false })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Paddock queues' } },
  });
  app.use(BOARD_PATH, adminOnly(deps), serverAdapter.getRouter());
}

function adminOnly(deps: ApiDeps) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const fromQuery = queryToken(req);
      const fromCookie = fromQuery === undefined && !bearerToken(req.headers.authorization) ? cookie(req, COOKIE) : undefined;
      try {
        await authenticate(deps.verifier, req.headers.authorization, 'admin', fromQuery ?? fromCookie);
      } catch (err) {
        // A mangled or expired cookie would fail every visit: drop it, so the browser stops sending it.
        if (fromCookie !== undefined && err instanceof UnauthorizedError) res.clearCookie(COOKIE, { path: BOARD_PATH });
        throw err;
      }
      if (fromQuery) {
        res.cookie(COOKIE, fromQuery, { httpOnly: true, sameSite: 'strict', path: BOARD_PATH });
        return res.redirect(303, BOARD_PATH);
      }
      next();
    } catch (err) {
      next(err);
    }
  };
}

function queryToken(req: Request): string | undefined {
  const token: unknown = req.query.token;
  if (token === undefined || typeof token === 'string') return token || undefined;
  throw new ValidationError('the token query parameter may be given once');
}

/**
 * The named cookie's value; the first one wins when it is repeated. A value that is
 * not valid percent-encoding is returned as it is: the token check then refuses it
 * (a 401), where decoding would have thrown.
 */
function cookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const raw = part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  }
  return undefined;
}
