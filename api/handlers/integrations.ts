import { z } from 'zod';
import { NotFoundError } from '../../core/errors';
import type { IntegrationTestDoc } from '../../core/store/integration-tests';
import { isAbortError, type TestIntegrationResult } from '../../llm';
import type { Handler, RequestContext } from '../context';

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
 * Every test is stored in the integration's history.
 */
export const testIntegration: Handler = async (ctx) => {
  const body = ctx.body as z.infer<typeof testIntegrationBody>;
  requireIntegration(ctx, body.integration_id);
  const result = await ctx.deps.llm.testIntegration(body.integration_id, { prompt: body.prompt, model: body.model });
  await ctx.deps.store.integrationTests.record(historyDoc(ctx, body.integration_id, result, body.model));
  return { status: 200, body: result };
};

export const testAllBody = z.object({ prompt: z.string().min(1).max(4000).optional() }).strict();

/** Time limit of each provider's test in test-all; one slow provider does not hold up the answer longer. */
export const TEST_ALL_TIMEOUT_MS = 30_000;

/**
 * POST /v1/integrations/test-all → `{items: [{integration_id, success, response?, error?, latency_ms, model_used?}]}`:
 * every configured provider tested at once, each within TEST_ALL_TIMEOUT_MS; each result is stored.
 */
export const testAllIntegrations: Handler = async (ctx) => {
  const { prompt } = ctx.body as z.infer<typeof testAllBody>;
  const names = ctx.deps.config.llm.providers.map((p) => p.name);
  const results = await Promise.all(names.map((name) => testWithin(ctx, name, prompt, TEST_ALL_TIMEOUT_MS)));
  await ctx.deps.store.integrationTests.recordMany(results.map((r, i) => historyDoc(ctx, names[i]!, r)));
  return { status: 200, body: { items: results.map((r, i) => ({ integration_id: names[i], ...r })) } };
};

async function testWithin(ctx: RequestContext, name: string, prompt: string | undefined, ms: number): Promise<TestIntegrationResult> {
  const started = Date.now();
  const signal = AbortSignal.timeout(ms);
  try {
    return await ctx.deps.llm.testIntegration(name, { prompt, signal });
  } catch (err) {
    // Only our own time limit is an outcome; anything else (the LLM layer closing) stays an error.
    if (!isAbortError(err) || !signal.aborted) throw err;
    return { success: false, error: `no answer within ${ms} ms`, latency_ms: Date.now() - started };
  }
}

export const integrationTestsQuery = z.object({
  /** Tests at or after this time (ISO 8601). */
  since: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

/**
 * GET /v1/integrations/:id/tests → `{items, summary}`: the integration's tests, newest
 * first, by every user (integrations are shared configuration, so their history is
 * too). `summary` covers the returned items: count, success_rate, and p50/p95 of
 * the successful tests' latency (null when there are none).
 */
export const integrationTests: Handler = async (ctx) => {
  const id = ctx.params.id!;
  requireIntegration(ctx, id);
  const q = ctx.query as z.infer<typeof integrationTestsQuery>;
  const docs = await ctx.deps.store.integrationTests.list(id, { since: q.since ? new Date(q.since) : undefined, limit: q.limit });
  const ok = docs.filter((d) => d.success).map((d) => d.latencyMs).sort((x, y) => x - y);
  return {
    status: 200,
    body: {
      items: docs.map((d) => ({
        model: d.model, success: d.success, latency_ms: d.latencyMs, ...(d.error !== undefined ? { error: d.error } : {}), at: d.at.toISOString(), by: d.by,
      })),
      summary: {
        count: docs.length,
        success_rate: docs.length ? ok.length / docs.length : null,
        p50_latency_ms: percentile(ok, 50),
        p95_latency_ms: percentile(ok, 95),
      },
    },
  };
};

/** Nearest-rank percentile of sorted values; null for none. */
function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function requireIntegration(ctx: RequestContext, name: string): void {
  if (!ctx.deps.config.llm.providers.some((p) => p.name === name)) throw new NotFoundError(`integration ${name} not found`);
}

function historyDoc(ctx: RequestContext, integration: string, r: TestIntegrationResult, asked?: string): IntegrationTestDoc {
  return {
    integration, model: r.success ? r.model_used : (asked ?? ''), success: r.success, latencyMs: r.latency_ms,
    ...(r.success ? {} : { error: r.error }), at: new Date(), by: ctx.principal.sub,
  };
}

/** GET /v1/models/available: configured models across providers, with capabilities and prices. */
export const availableModels: Handler = async (ctx) => ({
  status: 200,
  body: { items: ctx.deps.llm.availableModels() },
});
