import type { Request, Response } from 'express';
import { isExperimentTerminal } from '../core/experiments';
import { isPullTerminal } from '../core/models/pull';
import type { RequestContext } from './context';
import { loadVisibleExperiment, loadVisiblePull } from './job-guards';
import { streamEvents } from './sse';

/** GET /v1/experiments/:id/events — the runs' SSE contract: status, iteration, token, message, end. */
export async function streamExperimentEvents(ctx: RequestContext, req: Request, res: Response): Promise<void> {
  const exp = await loadVisibleExperiment(ctx);
  await streamEvents(ctx, req, res, {
    id: exp._id,
    terminal: isExperimentTerminal(exp.status),
    isTerminal: async () => {
      const now = await ctx.deps.store.experiments.get(exp._id);
      return !now || isExperimentTerminal(now.status);
    },
  });
}

/** GET /v1/models/pulls/:id/events — status, progress, retry, end. */
export async function streamPullEvents(ctx: RequestContext, req: Request, res: Response): Promise<void> {
  const pull = await loadVisiblePull(ctx);
  await streamEvents(ctx, req, res, {
    id: pull._id,
    terminal: isPullTerminal(pull.status),
    isTerminal: async () => {
      const now = await ctx.deps.store.pulls.get(pull._id);
      return !now || isPullTerminal(now.status);
    },
  });
}
