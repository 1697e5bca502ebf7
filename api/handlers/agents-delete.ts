import type { Handler } from '../context';
import { loadVisibleAgent } from './agents-guard';

/**
 * DELETE /v1/agents/:id → 200 {id, deleted: true}. The agent's runs stay, queued and
 * running ones included, and keep its id: GET /v1/runs?agentId= still finds them.
 */
export const deleteAgent: Handler = async (ctx) => {
  const agent = await loadVisibleAgent(ctx);
  await ctx.deps.store.agents.delete(agent._id);
  return { status: 200, body: { id: agent._id, deleted: true } };
};
