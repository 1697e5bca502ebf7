import type { RunDoc } from '../core/runs';

/** The public shape of a run (the document minus internals, plus links). */
export function presentRun(run: RunDoc) {
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
    metadata: run.request.metadata,
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    result: run.result,
    error: run.error,
    request: { code: run.request.code, files: run.request.files, stdin: run.request.stdin },
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
