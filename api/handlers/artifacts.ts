import type { Handler } from '../context';
import { loadVisibleRun } from '../guards';

/** GET /v1/runs/:id/artifacts: every attempt's generation (what the model wrote) and execution (what the sandbox made of it). */
export const runArtifacts: Handler = async (ctx) => {
  const run = await loadVisibleRun(ctx);
  const docs = await ctx.deps.store.artifacts.list(run._id);
  return {
    status: 200,
    body: { items: docs.map((d) => ({ attempt: d.attempt, kind: d.kind, createdAt: d.createdAt, data: d.data })) },
  };
};
