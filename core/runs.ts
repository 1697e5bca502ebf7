import { z } from 'zod';
import { LANGUAGES, type ExecResult, type SandboxLimits } from '../sandbox/types';

/** The run model shared by the API (producer) and the workers (consumer). */

export const RUN_KINDS = ['code', 'autorun', 'agent'] as const;
export type RunKind = (typeof RUN_KINDS)[number];

export const RUN_STATES = ['queued', 'running', 'succeeded', 'failed', 'timed_out', 'cancelled', 'error'] as const;
export type RunState = (typeof RUN_STATES)[number];
export const TERMINAL_STATES: readonly RunState[] = ['succeeded', 'failed', 'timed_out', 'cancelled', 'error'];
export const isTerminal = (s: RunState): boolean => TERMINAL_STATES.includes(s);

const relativePath = z
  .string()
  .min(1)
  .max(255)
  .refine((p) => !p.startsWith('/') && !p.split('/').includes('..') && !p.includes('\0'), {
    message: 'must be a relative path without ..',
  });

export const limitsSchema = z
  .object({
    timeoutMs: z.number().int().positive(),
    memoryMb: z.number().int().positive(),
    cpus: z.number().positive(),
    pids: z.number().int().positive(),
    outputBytes: z.number().int().positive(),
  })
  .partial()
  .strict();

export const runRequestSchema = z
  .object({
    kind: z.enum(RUN_KINDS).default('code'),
    language: z.enum(LANGUAGES),
    code: z.string().max(512 * 1024).optional(),
    files: z.array(z.object({ path: relativePath, content: z.string() }).strict()).max(100).optional(),
    stdin: z.string().max(512 * 1024).optional(),
    tests: z.array(z.unknown()).max(200).optional(),
    prompt: z.string().max(64 * 1024).optional(),
    model: z.string().max(200).optional(),
    limits: limitsSchema.optional(),
    /** Opt-in: run in a container kept warm for this owner's runs (faster; not a fresh container). */
    reuse: z.boolean().optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    if (body.kind === 'code' && (body.code === undefined || body.code.length === 0)) {
      ctx.addIssue({ code: 'custom', path: ['code'], message: 'required for kind "code"' });
    }
  });

export type RunRequest = z.infer<typeof runRequestSchema>;

export type RunResult = ExecResult;

export interface RunDoc {
  _id: string;
  owner: string;
  kind: RunKind;
  status: RunState;
  request: RunRequest;
  /** The limits the run gets: the request's, clamped to the server maxima. */
  limits: SandboxLimits;
  idempotencyKey?: string;
  createdAt: Date;
  updatedAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
  /** Processing attempts so far (a worker crash or infra failure adds one). */
  attempts: number;
  cancelRequested?: boolean;
  result?: RunResult;
  error?: { code: string; message: string };
}

/** Maps a sandbox verdict to the run's terminal state. */
export function stateForResult(result: RunResult): RunState {
  switch (result.verdict) {
    case 'ok':
      return 'succeeded';
    case 'timeout':
      return 'timed_out';
    case 'killed':
      return 'cancelled';
    default:
      return 'failed';
  }
}

/** A request may only lower the server's maxima; unset values get the maxima. */
export function effectiveLimits(requested: z.infer<typeof limitsSchema> | undefined, max: SandboxLimits): SandboxLimits {
  const pick = <K extends keyof SandboxLimits>(k: K) => Math.min(requested?.[k] ?? max[k], max[k]);
  return {
    timeoutMs: pick('timeoutMs'),
    memoryMb: pick('memoryMb'),
    cpus: pick('cpus'),
    pids: pick('pids'),
    outputBytes: pick('outputBytes'),
  };
}
