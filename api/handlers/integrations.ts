import { z } from 'zod';
import { NotFoundError } from '../../core/errors';
import type { Handler } from '../context';

/** GET /v1/integrations: each configured provider with live health, latency, model count and circuit state. */
export const listIntegrations: Handler = async (ctx) => ({
  status: 200,
  body: { items: await ctx.deps.llm.integrations() },
});

/** On the route table (api/routes.ts): validated before the handler runs. */
export const testIntegrationBody = z
  .object({
    integration_id: z.string().min(1).max(100),
    prompt: z.string().min(1).max(4000).optional(),
    model: z.string().min(1).max(200).optional(),
  })
  .strict();

/**
 * POST /v1/integrations/test → 200 `{success: true, response, latency_ms, model_used}`
 * or `{success: false, error, latency_ms}`: one short chat through that provider only.
 */
export const testIntegration: Handler = async (ctx) => {
  const body = ctx.body as z.infer<typeof testIntegrationBody>;
  const known = ctx.deps.config.llm.providers.some((p) => p.name === body.integration_id);
  if (!known) throw new NotFoundError(`integration ${body.integration_id} not found`);
  const result = await ctx.deps.llm.testIntegration(body.integration_id, { prompt: body.prompt, model: body.model });
  return { status: 200, body: result };
};

/** GET /v1/models/available: configured models across providers, with capabilities and prices. */
export const availableModels: Handler = async (ctx) => ({
  status: 200,
  body: { items: ctx.deps.llm.availableModels() },
});
