import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Express, NextFunction, Request, Response } from 'express';
import type { ApiDeps } from '../api/context';
import { authenticate } from '../api/auth';

export const BOARD_PATH = '/admin/queues';
const COOKIE = 'paddock_admin';

/**
 * Bull Board at /admin/queues, admins only. Browsers can't send a bearer header
 * when following a link, so `?token=<jwt>` is accepted once: it is verified, put
 * in an HttpOnly cookie scoped to the board, and the URL is cleaned by a redirect.
 */
export function mountBullBoard(app: Express, deps: ApiDeps): void {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BOARD_PATH);
  createBullBoard({
    queues: deps.queues.all().map((q) => new BullMQAdapter(q, { readOnlyMode: false })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Paddock queues' } },
  });
  app.use(BOARD_PATH, adminOnly(deps), serverAdapter.getRouter());
}

function adminOnly(deps: ApiDeps) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const fromQuery = typeof req.query.token === 'string' ? req.query.token : undefined;
      await authenticate(deps.verifier, req.headers.authorization, 'admin', fromQuery ?? cookie(req, COOKIE));
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

function cookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}
