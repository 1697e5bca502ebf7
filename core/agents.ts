import { z } from 'zod';
import { limitsSchema } from './runs';
import { prioritySchema } from './jobs/priority';
import { testCaseSchema, type TestCase } from './testing';

/**
 * Saved agents: a named autorun setup (model, system prompt, language, default
 * tests and limits) that its owner starts again and again with
 * POST /v1/agents/:id/auto-run. A run copies what it needs from the agent when it
 * is created, so editing or deleting the agent never changes a run; runs keep
 * the agent's id (`agentId`) for the agent's history.
 */

/** What autorun writes code in. */
export const AGENT_LANGUAGES = ['python', 'javascript'] as const;

const name = z.string().trim().min(1).max(100);
/** `provider/model`, or "auto"; checked against LLM_PROVIDERS like a run's model (api/model-refs.ts). */
const model = z.string().min(1).max(200);
const description = z.string().max(4000);
/** Given to the model with autorun's own instructions (as a run's `system`). */
const systemPrompt = z.string().max(16 * 1024);
/** The default task; an auto-run may give its own. */
const prompt = z.string().min(1).max(64 * 1024);
const tests = z.array(testCaseSchema).min(1).max(200);
const maxAttempts = z.number().int().min(1).max(10);

export const agentCreateSchema = z
  .object({
    /** Unique among the owner's agents. */
    name,
    description: description.optional(),
    model,
    systemPrompt: systemPrompt.optional(),
    language: z.enum(AGENT_LANGUAGES),
    prompt: prompt.optional(),
    tests: tests.optional(),
    limits: limitsSchema.optional(),
    maxAttempts: maxAttempts.optional(),
  })
  .strict();

/** PATCH: the fields given replace the stored ones; `null` removes an optional field. */
export const agentPatchSchema = z
  .object({
    name: name.optional(),
    description: description.nullable().optional(),
    model: model.optional(),
    systemPrompt: systemPrompt.nullable().optional(),
    language: z.enum(AGENT_LANGUAGES).optional(),
    prompt: prompt.nullable().optional(),
    tests: tests.nullable().optional(),
    limits: limitsSchema.nullable().optional(),
    maxAttempts: maxAttempts.nullable().optional(),
  })
  .strict()
  .refine((p) => Object.keys(p).length > 0, { message: 'nothing to change: give at least one field' });

/** POST /v1/agents/:id/auto-run: what one run may set instead of the agent's defaults. */
export const autoRunSchema = z
  .object({
    prompt: prompt.optional(),
    tests: tests.optional(),
    maxAttempts: maxAttempts.optional(),
    /** The run's metadata (searchable in GET /v1/runs). */
    metadata: z.record(z.string(), z.unknown()).optional(),
    /** The run's priority class, as on POST /v1/runs (default medium). */
    priority: prioritySchema.optional(),
  })
  .strict();

export type AgentCreate = z.infer<typeof agentCreateSchema>;
export type AgentPatch = z.infer<typeof agentPatchSchema>;
export type AutoRunBody = z.infer<typeof autoRunSchema>;

export interface AgentDoc {
  _id: string;
  owner: string;
  name: string;
  description?: string;
  model: string;
  systemPrompt?: string;
  language: (typeof AGENT_LANGUAGES)[number];
  prompt?: string;
  tests?: TestCase[];
  limits?: z.infer<typeof limitsSchema>;
  maxAttempts?: number;
  createdAt: Date;
  updatedAt: Date;
}

/** Optional fields a PATCH may remove with `null`. */
export const AGENT_OPTIONAL_FIELDS = ['description', 'systemPrompt', 'prompt', 'tests', 'limits', 'maxAttempts'] as const;

/**
 * The autorun request an auto-run submits (still to be validated as any run request):
 * the agent's setup, with the body's prompt, tests and attempts in place of its defaults.
 */
export function autorunRequestFor(agent: AgentDoc, body: AutoRunBody): Record<string, unknown> {
  const request: Record<string, unknown> = {
    kind: 'autorun',
    language: agent.language,
    model: agent.model,
    prompt: body.prompt ?? agent.prompt,
    system: agent.systemPrompt,
    tests: body.tests ?? agent.tests,
    limits: agent.limits,
    maxAttempts: body.maxAttempts ?? agent.maxAttempts,
    metadata: body.metadata,
    priority: body.priority,
  };
  return Object.fromEntries(Object.entries(request).filter(([, v]) => v !== undefined));
}
