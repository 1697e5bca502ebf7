import { z } from 'zod';
import { NotFoundError } from '../../core/errors';
import type { Handler } from '../context';
import { loadVisibleExperiment } from '../guards';
import { presentMessage } from '../present-jobs';
import { parseOrThrow } from '../validate';

/** GET /v1/experiments/:id/conversations → {items}: one entry per iteration started, with its totals and termination. */
export const listConversations: Handler = async (ctx) => {
  const exp = await loadVisibleExperiment(ctx);
  const items = exp.iterations.map((it) => ({ ...it, links: { self: `/v1/experiments/${exp._id}/conversations/${it.iteration}` } }));
  return { status: 200, body: { items } };
};

const paramsSchema = z.object({ iteration: z.coerce.number().int().min(1).max(1000) });

/** GET /v1/experiments/:id/conversations/:iteration → the iteration's summary and its messages in order. */
export const getConversation: Handler = async (ctx) => {
  const { iteration } = parseOrThrow(paramsSchema, { iteration: ctx.params.iteration }, 'iteration');
  const exp = await loadVisibleExperiment(ctx);
  const summary = exp.iterations.find((it) => it.iteration === iteration);
  if (!summary) throw new NotFoundError(`experiment ${exp._id} has no iteration ${iteration} (yet)`);
  const messages = await ctx.deps.store.messages.list(exp._id, iteration);
  return { status: 200, body: { experimentId: exp._id, ...summary, messages: messages.map(presentMessage) } };
};
