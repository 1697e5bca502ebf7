import { autorunRequestFor, type AutoRunBody } from '../../core/agents';
import { ValidationError } from '../../core/errors';
import { runRequestSchema } from '../../core/runs';
import type { Handler } from '../context';
import { presentRun } from '../present';
import { admitRuns } from '../quotas';
import { acceptRuns, prepareRun } from '../run-intake';
import { parseOrThrow } from '../validate';
import { loadVisibleAgent } from './agents-guard';

/**
 * POST /v1/agents/:id/auto-run {prompt?, tests?, maxAttempts?, metadata?, priority?} → 202 the run:
 * an autorun with the agent's model, system prompt, language, tests and limits (the
 * body's prompt, tests and attempts win), linked to the agent by `agentId`. It is
 * checked and accepted as POST /v1/runs would check and accept it.
 */
export const autoRunAgent: Handler = async (ctx) => {
  const agent = await loadVisibleAgent(ctx);
  const request = autorunRequestFor(agent, ctx.body as AutoRunBody);
  if (request.prompt === undefined) {
    throw new ValidationError('the agent has no default prompt, so the auto-run needs one', [{ path: ['prompt'], message: 'required' }]);
  }
  const run = { ...prepareRun(ctx, parseOrThrow(runRequestSchema, request, 'auto-run request')), agentId: agent._id };
  await admitRuns(ctx, 1);
  await ctx.deps.store.runs.insert(run);
  await acceptRuns(ctx, [run]);
  return { status: 202, body: presentRun(run), headers: { location: `/v1/runs/${run._id}` } };
};
