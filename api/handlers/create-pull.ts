import type { z } from 'zod';
import type { pullRequestSchema } from '../../core/models/pull';
import { startOrJoinPull } from '../../core/models/pulls';
import { resolveOllamaServer } from '../../core/models/servers';
import type { Handler } from '../context';
import { presentPull } from '../present-jobs';
import { parseOrThrow } from '../validate';

/**
 * POST /v1/models/pulls {name, server?} → 202 {id, status, progress, links, …}.
 * While a pull of the same model on the same server is queued or running, every
 * POST gets that pull (`joined: true`) and may watch and cancel it; once it has
 * ended, a POST starts a new one.
 */
export const createPull: Handler = async (ctx) => {
  const body = ctx.body as z.infer<typeof pullRequestSchema>;
  const server = resolveOllamaServer(ctx.deps.config, body.server);
  const { store, events, queues, log } = ctx.deps;
  const { pull, joined } = await startOrJoinPull({ store, events, queues, log }, { owner: ctx.principal.sub, server, model: body.name });
  return {
    status: 202,
    body: { ...presentPull(pull, ctx.principal.role === 'admin'), joined },
    headers: { location: `/v1/models/pulls/${pull._id}` },
  };
};
