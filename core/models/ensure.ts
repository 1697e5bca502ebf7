import type { Redis } from 'ioredis';
import type { Finale } from '../events';
import { listInstalled } from '../../llm/ollama/models-api';
import { normalizeModelName } from './pull';
import { startOrJoinPull, type PullDeps } from './pulls';
import type { OllamaServer } from './servers';

export interface EnsureModelDeps extends PullDeps {
  /** Duplicated for a blocking read of the pull's events; the duplicate is closed before returning. */
  redis: Redis;
  /** Time limit of the /api/tags check (OLLAMA_TIMEOUT_MS). */
  ollamaTimeoutMs: number;
}

/** The model could not be installed: its pull failed, was cancelled, or ended in error. */
export class ModelPullError extends Error {
  constructor(
    readonly pullId: string,
    readonly status: string,
    message: string,
  ) {
    super(message);
    this.name = 'ModelPullError';
  }
}

/**
 * Resolves once `model` is installed on `server`. When it is not, starts its
 * pull (or joins the one already running: same job, same progress events) and
 * waits for it to end. Rejects with ModelPullError when the pull does not
 * succeed, with the abort reason when `signal` fires (the pull itself goes on:
 * others may be waiting for it), and with UnavailableError when the server
 * cannot be asked. For autorun: `pullId` is returned so the run can link to
 * GET /v1/models/pulls/:id/events.
 */
export async function ensureModelInstalled(
  deps: EnsureModelDeps,
  server: OllamaServer,
  model: string,
  signal: AbortSignal,
  opts: { owner?: string; onPullStarted?: (pullId: string) => void } = {},
): Promise<{ installed: true; pullId?: string }> {
  const wanted = normalizeModelName(model);
  const installed = await listInstalled(server, deps.ollamaTimeoutMs, signal);
  if (installed.some((m) => normalizeModelName(m.name) === wanted)) return { installed: true };
  signal.throwIfAborted();
  const { pull } = await startOrJoinPull(deps, { owner: opts.owner ?? 'system', server, model: wanted });
  opts.onPullStarted?.(pull._id);
  const finale = await waitForFinale(deps, pull._id, signal);
  if (finale.status !== 'succeeded') {
    const why = finale.error ? `: ${finale.error.message}` : '';
    throw new ModelPullError(pull._id, finale.status, `pulling ${wanted} ended ${finale.status}${why}`);
  }
  return { installed: true, pullId: pull._id };
}

/** Blocks on the pull's live event stream until its finale is recorded (or the signal fires). */
async function waitForFinale(deps: EnsureModelDeps, pullId: string, signal: AbortSignal): Promise<Finale> {
  const conn = deps.redis.duplicate();
  const stop = () => conn.disconnect(); // breaks a blocking XREAD at once
  signal.addEventListener('abort', stop, { once: true });
  try {
    let after = 0;
    for (;;) {
      signal.throwIfAborted();
      const finale = await deps.events.finale(pullId);
      if (finale) return finale;
      const doc = await deps.store.pulls.get(pullId);
      // Its live stream expired long ago: the document has the outcome.
      if (doc && doc.status !== 'queued' && doc.status !== 'running') return { status: doc.status, error: doc.error };
      const batch = await deps.events.tail(conn, pullId, after, 1000).catch((err: unknown) => {
        if (signal.aborted) return [];
        throw err;
      });
      after = batch.at(-1)?.seq ?? after;
    }
  } finally {
    signal.removeEventListener('abort', stop);
    conn.disconnect();
  }
}
