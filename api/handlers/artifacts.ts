import type { Handler } from '../context';
import { loadVisibleRun } from '../guards';

/**
 * GET /v1/runs/:id/artifacts: every attempt's generation (what the model wrote) and
 * execution (what the sandbox made of it); agent runs: turns and actions. `key`
 * tells artifacts of one attempt and kind apart: an evaluation's `model-index.sample`,
 * an agent action's id.
 */
export const runArtifacts: Handler = async (ctx) => {
  const run = await loadVisibleRun(ctx);
  const docs = await ctx.deps.store.artifacts.list(run._id);
  return {
    status: 200,
    body: {
      items: docs.map((d) => ({ attempt: d.attempt, kind: d.kind, ...(d.key === undefined ? {} : { key: d.key }), createdAt: d.createdAt, data: d.data })),
    },
  };
};
