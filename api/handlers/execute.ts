import { z } from 'zod';
import { runRequestSchema } from '../../core/runs';
import { LANGUAGES } from '../../sandbox/types';
import { routeIntent } from '../../core/intent';
import type { ChatResult } from '../../llm';
import type { Handler } from '../context';
import { parseOrThrow } from '../validate';
import { createRun } from './create-run';

/** On the route table (api/routes.ts): validated before the handler runs. */
export const executeBody = z
  .object({
    intent: z.string().min(1).max(16 * 1024),
    /** Text the intent applies to (what to summarise, embed, …). */
    input: z.string().max(64 * 1024).optional(),
    /** embeddings: several texts at once. */
    values: z.array(z.string().max(16 * 1024)).min(1).max(256).optional(),
    model: z.string().min(1).max(200).optional(),
    language: z.enum(LANGUAGES).optional(),
    code: z.string().min(1).max(512 * 1024).optional(),
    stdin: z.string().max(512 * 1024).optional(),
  })
  .strict();

const SUMMARIZE_SYSTEM = 'Summarise the text the user gives you faithfully and briefly. Reply with the summary only.';

/**
 * POST /v1/execute {intent, …}: routes by INTENT_RULES (core/intent.ts) and runs
 * through the provider chain. Code runs are queued (202, like POST /v1/runs);
 * the LLM capabilities answer synchronously (200).
 */
export const execute: Handler = async (ctx) => {
  const body = ctx.body as z.infer<typeof executeBody>;
  const rule = routeIntent(body.intent, body.code !== undefined);
  const routed = { capability: rule.capability, rule: rule.name };
  const { llm } = ctx.deps;
  switch (rule.capability) {
    case 'code_run': {
      const run = await createRun({ ...ctx, body: parseOrThrow(runRequestSchema, { kind: 'code', language: body.language, code: body.code, stdin: body.stdin }) });
      return { ...run, body: { ...routed, run: run.body } };
    }
    case 'embeddings': {
      const res = await llm.embed({ model: body.model, values: body.values ?? [body.input ?? body.intent] });
      return ok(routed, { model: res.model, embeddings: res.embeddings, usage: res.usage, latency_ms: res.latencyMs });
    }
    case 'summarize':
      return ok(routed, chat(await llm.generate({ model: body.model, system: SUMMARIZE_SYSTEM, prompt: body.input ?? body.intent })));
    case 'generate':
    case 'chat': {
      const prompt = body.input ? `${body.intent}\n\n${body.input}` : body.intent;
      return ok(routed, chat(await llm.generate({ model: body.model, prompt })));
    }
  }
};

function chat(res: ChatResult) {
  return { model: res.model, text: res.text, usage: res.usage, costUsd: res.costUsd, latency_ms: res.latencyMs };
}

function ok(routed: { capability: string; rule: string }, result: unknown) {
  return { status: 200, body: { ...routed, result } };
}
