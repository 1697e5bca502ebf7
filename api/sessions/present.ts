import { sessionState, type SessionDoc } from '../../core/sessions';

/** The public shape of a session: its state read off the job state, with links. */
export function presentSession(doc: SessionDoc, admin = false) {
  const { metadata, ...request } = doc.request;
  return {
    id: doc._id,
    owner: doc.owner,
    status: sessionState(doc),
    language: doc.request.language,
    limits: doc.limits,
    idleTtlMs: doc.idleTtlMs,
    maxLifetimeMs: doc.maxLifetimeMs,
    metadata,
    createdAt: doc.createdAt,
    openedAt: doc.openedAt,
    expiresAt: doc.expiresAt,
    endedAt: doc.finishedAt,
    // Cancelled while it was still starting: closed by its owner before it opened.
    endReason: doc.result?.endReason ?? (doc.status === 'cancelled' ? 'closed' : undefined),
    runs: doc.result?.runs,
    error: doc.error,
    /** Which worker process holds it: for operators. */
    ...(admin ? { worker: doc.holder, containerId: doc.containerId } : {}),
    request,
    links: {
      self: `/v1/sessions/${doc._id}`,
      runs: `/v1/sessions/${doc._id}/runs`,
      files: `/v1/sessions/${doc._id}/files`,
      events: `/v1/sessions/${doc._id}/events`,
    },
  };
}
