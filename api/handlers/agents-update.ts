import { AGENT_OPTIONAL_FIELDS, type AgentDoc, type AgentPatch } from '../../core/agents';
import { NotFoundError } from '../../core/errors';
import type { Handler } from '../context';
import { presentAgent } from '../present-agents';
import { checkAgent, loadVisibleAgent, uniqueName } from './agents-guard';

/**
 * PATCH /v1/agents/:id: the fields given replace the stored ones, `null` removes an
 * optional one. Runs already started keep what they were started with.
 */
export const updateAgent: Handler = async (ctx) => {
  const patch = ctx.body as AgentPatch;
  const agent = await loadVisibleAgent(ctx);
  const unset = AGENT_OPTIONAL_FIELDS.filter((f) => patch[f] === null);
  const set = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== null && v !== undefined)) as Partial<AgentDoc>;
  const merged: AgentDoc = { ...agent, ...set };
  for (const f of unset) delete merged[f];
  checkAgent(ctx, merged);
  const updated = await uniqueName(patch.name, () => ctx.deps.store.agents.update(agent._id, set, unset));
  if (!updated) throw new NotFoundError(`agent ${agent._id} not found`);
  return { status: 200, body: presentAgent(updated) };
};
