import { autorunRequestFor, type AgentDoc } from '../../core/agents';
import { ConflictError, NotFoundError } from '../../core/errors';
import { runRequestSchema } from '../../core/runs';
import { isDuplicateKey } from '../../core/store';
import type { RequestContext } from '../context';
import { prepareRun } from '../run-intake';
import { parseOrThrow } from '../validate';

/**
 * Loads a saved agent the caller may see: its owner's, or any for an admin.
 * Another owner's agent is a 404, not a 403: ids are not disclosed.
 */
export async function loadVisibleAgent(ctx: RequestContext): Promise<AgentDoc> {
  const id = ctx.params.id ?? '';
  const agent = id.length <= 64 ? await ctx.deps.store.agents.get(id) : null;
  if (!agent || (ctx.principal.role !== 'admin' && agent.owner !== ctx.principal.sub)) throw new NotFoundError(`agent ${id} not found`);
  return agent;
}

/**
 * An agent is saved only as a setup an auto-run of it would be accepted with: its
 * model a configured provider's (or "auto" with some provider configured), its
 * limits within this server's maxima. One rule, the run intake's (the fields keep their names).
 */
export function checkAgent(ctx: RequestContext, agent: AgentDoc): void {
  const request = autorunRequestFor(agent, { prompt: agent.prompt ?? 'the task an auto-run gives' });
  prepareRun(ctx, parseOrThrow(runRequestSchema, request, 'agent'));
}

/** A write that hit the (owner, name) unique index is a 409 naming the name. */
export async function uniqueName<T>(name: string | undefined, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isDuplicateKey(err)) throw new ConflictError(`you already have an agent named ${JSON.stringify(name)}`, [{ path: ['name'], message: 'already used' }]);
    throw err;
  }
}
