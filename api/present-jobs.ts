import type { ExperimentDoc, MessageDoc } from '../core/experiments';
import type { PullDoc } from '../core/models/pull';

/** The public shape of an experiment: the request, the state, per-iteration and overall totals, links. */
export function presentExperiment(exp: ExperimentDoc) {
  const { metadata, ...request } = exp.request;
  return {
    id: exp._id,
    owner: exp.owner,
    name: exp.name,
    description: exp.description,
    metadata: exp.metadata,
    status: exp.status,
    attempts: exp.attempts,
    cancelRequested: exp.cancelRequested ?? false,
    request,
    iterations: exp.iterations,
    totals: exp.totals,
    error: exp.error,
    createdAt: exp.createdAt,
    startedAt: exp.startedAt,
    finishedAt: exp.finishedAt,
    links: experimentLinks(exp._id),
  };
}

export function experimentLinks(id: string) {
  const self = `/v1/experiments/${id}`;
  return { self, status: `${self}/status`, events: `${self}/events`, conversations: `${self}/conversations`, export: `${self}/export` };
}

export function presentMessage(m: MessageDoc) {
  const { _id, experimentId, announced, ...rest } = m;
  return rest;
}

/** The public shape of a model pull; only admins see who else asked for it. */
export function presentPull(pull: PullDoc, admin = false) {
  const self = `/v1/models/pulls/${pull._id}`;
  return {
    id: pull._id,
    model: pull.model,
    server: pull.server.name,
    status: pull.status,
    progress: pull.progress,
    attempts: pull.attempts,
    retries: pull.retries,
    cancelRequested: pull.cancelRequested ?? false,
    ...(admin ? { owners: pull.owners } : {}),
    error: pull.error,
    createdAt: pull.createdAt,
    startedAt: pull.startedAt,
    finishedAt: pull.finishedAt,
    links: { self, events: `${self}/events` },
  };
}
