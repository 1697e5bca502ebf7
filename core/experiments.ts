import { z } from 'zod';
import type { JobDoc } from './jobs/model';
import { prioritySchema } from './jobs/priority';
import { callbackUrlSchema } from './webhooks/target';

/**
 * The experiment model shared by the API (producer) and the workers (consumer):
 * several LLM agents converse on a task for N rounds, possibly several times
 * (iterations) so the runs can be compared.
 */

export const SPEAKER_ORDERS = ['round_robin', 'selector'] as const;
export type SpeakerOrder = (typeof SPEAKER_ORDERS)[number];

/** The run states minus `timed_out` (a timeout is a termination reason, not a failure): a subset, so the event log's status events fit. */
export const EXPERIMENT_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'error'] as const;
export type ExperimentState = (typeof EXPERIMENT_STATES)[number];
export const isExperimentTerminal = (s: ExperimentState): boolean => s !== 'queued' && s !== 'running';

/** Why an iteration's conversation stopped. */
export const TERMINATION_REASONS = ['rounds', 'max_messages', 'keyword', 'token_budget', 'timeout', 'cancelled', 'error'] as const;
export type TerminationReason = (typeof TERMINATION_REASONS)[number];

const modelRef = z.string().min(1).max(200);

export const agentSchema = z
  .object({
    /** Unique within the experiment; shown to the other agents as the speaker's name. */
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/, 'letters, digits, space, _ . - (1–64)'),
    /** `provider/model`, or "auto" (the cheapest healthy chat model, chosen per turn). */
    model: modelRef,
    systemPrompt: z.string().max(16 * 1024),
    temperature: z.number().min(0).max(2).optional(),
    maxOutputTokens: z.number().int().min(1).max(32_768).optional(),
    /** Presentation only (e.g. "#e11d48"). */
    color: z.string().max(32).optional(),
  })
  .strict();

export const terminationSchema = z
  .object({
    /** Stop an iteration once it has this many messages. */
    maxMessages: z.number().int().min(1).max(10_000).optional(),
    /** Stop after a message containing this text (case-insensitive). */
    keyword: z.string().min(1).max(200).optional(),
    /** Stop an iteration once its input + output tokens reach this. */
    tokenBudget: z.number().int().min(1).optional(),
    /** Wall-clock budget per iteration, from its start; the call in flight is abandoned. */
    timeoutMs: z.number().int().min(100).max(24 * 3600 * 1000).optional(),
  })
  .strict();

export const experimentRequestSchema = z
  .object({
    name: z.string().min(1).max(200).optional(),
    description: z.string().max(4000).optional(),
    task: z.object({ prompt: z.string().min(1).max(64 * 1024) }).strict(),
    agents: z.array(agentSchema).min(1).max(10),
    /** Each round every agent speaks once: an iteration has at most rounds × agents messages. */
    rounds: z.number().int().min(1).max(100),
    /** Independent runs of the same conversation, for comparison. */
    iterations: z.number().int().min(1).max(20).default(1),
    speakerOrder: z.enum(SPEAKER_ORDERS).default('round_robin'),
    /** speakerOrder "selector": the model that picks the next speaker (default: the first agent's model). */
    selectorModel: modelRef.optional(),
    termination: terminationSchema.default({}),
    metadata: z.record(z.string(), z.unknown()).optional(),
    /** As for runs: critical · high · medium (default) · low. */
    priority: prioritySchema.optional(),
    /** As for runs: the terminal state is POSTed here, signed. */
    callbackUrl: callbackUrlSchema.optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    const seen = new Set<string>();
    body.agents.forEach((a, i) => {
      const key = a.name.toLowerCase();
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['agents', i, 'name'], message: `duplicate agent name "${a.name}"` });
      seen.add(key);
    });
    if (body.selectorModel && body.speakerOrder !== 'selector') {
      ctx.addIssue({ code: 'custom', path: ['selectorModel'], message: 'only with speakerOrder "selector"' });
    }
  });

export type ExperimentRequest = z.infer<typeof experimentRequestSchema>;
export type AgentSpec = z.infer<typeof agentSchema>;

/** Metadata a PATCH may change; the conversation itself is immutable once accepted. */
export const experimentPatchSchema = z
  .object({
    name: z.string().min(1).max(200).optional(),
    description: z.string().max(4000).optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .refine((p) => Object.keys(p).length > 0, { message: 'nothing to update (name, description, metadata)' });

export interface Totals {
  messages: number;
  inputTokens: number;
  outputTokens: number;
  /** inputTokens + outputTokens. */
  tokens: number;
  /** Sum over calls whose model has a configured price. */
  costUsd: number;
  wallMs: number;
}

export interface IterationSummary extends Totals {
  iteration: number;
  status: 'running' | 'completed' | 'failed' | 'cancelled';
  startedAt: Date;
  finishedAt?: Date;
  termination?: { reason: TerminationReason; detail?: string };
}

export interface ExperimentDoc extends JobDoc {
  _id: string;
  owner: string;
  status: ExperimentState;
  request: ExperimentRequest;
  name?: string;
  description?: string;
  metadata?: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
  attempts: number;
  cancelRequested?: boolean;
  /** One entry per iteration started so far, in order. */
  iterations: IterationSummary[];
  totals: Totals;
  error?: { code: string; message: string };
}

/** One persisted turn of a conversation; unique by (experimentId, iteration, seq). */
export interface MessageDoc {
  _id: string;
  experimentId: string;
  iteration: number;
  /** 1, 2, 3… within the iteration. */
  seq: number;
  /** 1-based round; a round is one turn per agent. */
  round: number;
  /** 0-based index of the turn within its round. */
  turn: number;
  agent: string;
  /** `provider/model` that actually answered (after fallback or "auto"). */
  model: string;
  content: string;
  usage: { inputTokens: number; outputTokens: number };
  costUsd?: number;
  latencyMs: number;
  /** speakerOrder "selector": the call that chose this speaker (counted in the totals). */
  selector?: { model: string; usage: { inputTokens: number; outputTokens: number }; costUsd?: number; latencyMs: number };
  createdAt: Date;
  /** Set once its `message` event went out; a resumed job re-announces messages without it. */
  announced?: boolean;
}

export const emptyTotals = (): Totals => ({ messages: 0, inputTokens: 0, outputTokens: 0, tokens: 0, costUsd: 0, wallMs: 0 });

/** Token and cost totals of a list of messages (selector calls included); wallMs is left to the caller. */
export function sumMessages(messages: MessageDoc[]): Totals {
  const t = emptyTotals();
  for (const m of messages) {
    t.messages += 1;
    for (const call of [m, ...(m.selector ? [m.selector] : [])]) {
      t.inputTokens += call.usage.inputTokens;
      t.outputTokens += call.usage.outputTokens;
      t.costUsd += call.costUsd ?? 0;
    }
  }
  t.tokens = t.inputTokens + t.outputTokens;
  t.costUsd = Math.round(t.costUsd * 1e9) / 1e9;
  return t;
}

export function addTotals(a: Totals, b: Totals): Totals {
  return {
    messages: a.messages + b.messages,
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    tokens: a.tokens + b.tokens,
    costUsd: Math.round((a.costUsd + b.costUsd) * 1e9) / 1e9,
    wallMs: a.wallMs + b.wallMs,
  };
}
