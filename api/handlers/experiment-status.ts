import type { Handler } from '../context';
import { loadVisibleExperiment } from '../guards';

/**
 * GET /v1/experiments/:id/status: a small poll-friendly view — the state, the
 * iteration in progress and how many messages it has so far, the totals.
 */
export const experimentStatus: Handler = async (ctx) => {
  const exp = await loadVisibleExperiment(ctx);
  const current = exp.iterations.find((it) => it.status === 'running');
  return {
    status: 200,
    body: {
      id: exp._id,
      status: exp.status,
      iterations: { total: exp.request.iterations, finished: exp.iterations.filter((it) => it.status !== 'running').length },
      current: current
        ? { iteration: current.iteration, messages: await ctx.deps.store.messages.count(exp._id, current.iteration), maxMessages: exp.request.rounds * exp.request.agents.length }
        : null,
      totals: exp.totals,
      error: exp.error,
    },
  };
};
