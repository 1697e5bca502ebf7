import { z } from 'zod';
import { planFiles } from '../sandbox/protocol';
import { LANGUAGES, type Language, type SandboxLimits } from '../sandbox/types';
import { ValidationError } from './errors';
import type { JobDoc, JobState } from './jobs/model';
import { outputGlobSchema } from './output-globs';
import { limitsSchema } from './runs';
import { callbackUrlSchema } from './webhooks/target';

/**
 * Sessions: one hardened sandbox container held for its owner across many runs
 * (sandbox/session.ts), reached over HTTP (api/handlers/sessions.ts).
 *
 * A session is a job of its own kind (core/jobs/kinds.ts SESSION_JOB), so it
 * shares the one lifecycle: `queued` while a worker with a free session slot
 * is found (shown as `starting`), `running` while a worker holds its container
 * (`open`), then exactly one terminal state (`ended`, with `endReason`). Its
 * BullMQ job stays active for as long as the session is open: when the holding
 * worker dies, the job stalls, and the worker that picks it up again ends the
 * session as `worker_lost` (a container and its files cannot move hosts).
 */

/** Why a session ended; `closed`, `idle_timeout` and `max_lifetime` are the ordinary ends. */
export const SESSION_END_REASONS = [
  'closed', 'idle_timeout', 'max_lifetime', 'worker_shutdown', 'worker_lost', 'container_lost', 'run_stopped', 'not_started',
] as const;
export type SessionEndReason = (typeof SESSION_END_REASONS)[number];

/** What the API shows: the job state read as a session's. */
export type SessionState = 'starting' | 'open' | 'ended';

export function sessionState(doc: Pick<SessionDoc, 'status' | 'holder'>): SessionState {
  if (doc.status === 'queued' || (doc.status === 'running' && !doc.holder)) return 'starting'; // claimed, container not up yet
  return doc.status === 'running' ? 'open' : 'ended';
}

export const sessionRequestSchema = z
  .object({
    language: z.enum(LANGUAGES),
    /** The container's limits (each run may lower timeoutMs and outputBytes). */
    limits: limitsSchema.optional(),
    /** Ended after this long without a run or file operation. */
    idleTtlMs: z.number().int().min(1000).optional(),
    /** Ended this long after it opened, busy or not. */
    maxLifetimeMs: z.number().int().min(1000).optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type SessionRequest = z.infer<typeof sessionRequestSchema>;

/** POST /v1/sessions/:id/runs: a code run in the session's sandbox. */
export const sessionRunSchema = z
  .object({
    /** Defaults to the session's language. */
    language: z.enum(LANGUAGES).optional(),
    code: z.string().min(1).max(512 * 1024),
    files: z.array(z.object({ path: z.string().min(1).max(255), content: z.string() }).strict()).max(100).optional(),
    stdin: z.string().max(512 * 1024).optional(),
    outputs: z.array(outputGlobSchema).min(1).max(20).optional(),
    /** Only these two, at most the session's (more is a 400): memory, CPUs and processes are the container's. */
    limits: z.object({ timeoutMs: z.number().int().min(1), outputBytes: z.number().int().min(1) }).partial().strict().optional(),
    /** Python: run in the session's persistent interpreter, whose variables outlive each run. */
    persistent: z.boolean().optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    callbackUrl: callbackUrlSchema.optional(),
  })
  .strict();
export type SessionRunRequest = z.infer<typeof sessionRunSchema>;

/** Checks a session run against its session (language, persistent mode, files). */
export function checkSessionRun(req: SessionRunRequest, sessionLanguage: Language): Language {
  const language = req.language ?? sessionLanguage;
  if (req.persistent && language !== 'python') throw new ValidationError('persistent is for python runs', [{ path: ['persistent'], message: 'python only' }]);
  planFiles(language, req.code, req.files);
  return language;
}

export interface SessionDoc extends JobDoc {
  owner: string;
  request: SessionRequest;
  limits: SandboxLimits;
  idleTtlMs: number;
  maxLifetimeMs: number;
  /** The worker process (ownerId) holding the container, once open. */
  holder?: string;
  containerId?: string;
  openedAt?: Date;
  /** When it ends at the latest (openedAt + maxLifetimeMs). */
  expiresAt?: Date;
  result?: SessionResult;
}

/** How a session ended, and how many runs it had. */
export interface SessionResult {
  endReason: SessionEndReason;
  runs: number;
}

/** How a session names an end in its terminal state: ordinary ends succeed, the rest are errors with a code. */
export function sessionFinale(reason: SessionEndReason, runs: number, message?: string): { status: JobState; result: SessionResult; error?: { code: string; message: string } } {
  const ordinary = reason === 'closed' || reason === 'idle_timeout' || reason === 'max_lifetime';
  const result = { endReason: reason, runs };
  if (ordinary) return { status: 'succeeded', result };
  return { status: 'error', result, error: { code: reason, message: message ?? END_MESSAGES[reason] } };
}

const END_MESSAGES: Record<SessionEndReason, string> = {
  closed: 'closed by its owner',
  idle_timeout: 'nothing ran in it for its idle TTL',
  max_lifetime: 'it reached its maximum lifetime',
  worker_shutdown: 'the worker holding it shut down; its sandbox and files are gone',
  worker_lost: 'the worker holding it stopped (killed, crashed or its host died); its sandbox and files are gone',
  container_lost: 'its sandbox container died',
  run_stopped: 'a run was stopped from outside (output cap or cancel), which removes the container',
  not_started: 'its sandbox could not be started',
};
