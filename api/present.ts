import type { RunDoc } from '../core/runs';

/**
 * The public shape of a run (the document minus internals, plus links).
 * `request` is the request as accepted, whatever the kind (code, prompt, models,
 * tests, budgets…), with `metadata` shown once, at the top. It is the strict
 * runRequestSchema's output, so it holds only fields that schema declares, and
 * none of them is a credential: tokens come in headers and provider keys from
 * the config, and neither is ever copied into a run document.
 */
export function presentRun(run: RunDoc) {
  const { metadata, ...request } = run.request;
  return {
    id: run._id,
    owner: run.owner,
    kind: run.kind,
    status: run.status,
    language: run.request.language,
    limits: run.limits,
    attempts: run.attempts,
    cancelRequested: run.cancelRequested ?? false,
    idempotencyKey: run.idempotencyKey,
    /** Set on a saved agent's auto-runs (kept after the agent is deleted). */
    agentId: run.agentId,
    metadata,
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    result: run.result,
    error: run.error,
    request,
    links: runLinks(run._id),
  };
}

export function runLinks(id: string) {
  return {
    self: `/v1/runs/${id}`,
    events: `/v1/runs/${id}/events`,
    logs: `/v1/runs/${id}/logs`,
  };
}
