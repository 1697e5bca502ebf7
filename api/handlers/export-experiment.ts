import type { Handler } from '../context';
import { loadVisibleExperiment } from '../guards';
import { presentExperiment, presentMessage } from '../present-jobs';

/**
 * GET /v1/experiments/:id/export: the whole experiment as one JSON document —
 * the experiment (request, status, totals) and every iteration with its messages —
 * served as a download (content-disposition: attachment).
 */
export const exportExperiment: Handler = async (ctx) => {
  const exp = await loadVisibleExperiment(ctx);
  const messages = await ctx.deps.store.messages.listAll(exp._id);
  const conversations = exp.iterations.map((it) => ({
    ...it,
    messages: messages.filter((m) => m.iteration === it.iteration).map(presentMessage),
  }));
  const { links, ...experiment } = presentExperiment(exp);
  return {
    status: 200,
    body: { format: 'paddock.experiment.v1', exportedAt: new Date(), experiment, conversations },
    headers: { 'content-disposition': `attachment; filename="${exp._id}.json"` },
  };
};
