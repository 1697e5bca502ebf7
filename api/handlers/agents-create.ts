import type { AgentCreate, AgentDoc } from '../../core/agents';
import { newId } from '../../core/ids';
import type { Handler } from '../context';
import { presentAgent } from '../present-agents';
import { checkAgent, uniqueName } from './agents-guard';

/** POST /v1/agents → 201 the agent; a name the owner already uses is a 409. */
export const createAgent: Handler = async (ctx) => {
  const body = ctx.body as AgentCreate;
  const now = new Date();
  const agent: AgentDoc = { _id: newId('agt'), owner: ctx.principal.sub, ...body, createdAt: now, updatedAt: now };
  checkAgent(ctx, agent);
  await uniqueName(body.name, () => ctx.deps.store.agents.insert(agent));
  return { status: 201, body: presentAgent(agent), headers: { location: `/v1/agents/${agent._id}` } };
};
