import { PaddockError, UnavailableError } from '../errors';
import type { EventLog } from '../events';
import type { Logger } from '../logger';
import { enqueue, type Queues } from '../queues';
import type { Store } from '../store';
import type { JobKind } from './kinds';
import type { JobDoc } from './model';

export interface AcceptDeps {
  store: Store;
  events: EventLog;
  queues: Queues;
  log: Logger;
}

/**
 * The second half of accepting jobs whose documents were just inserted: each
 * gets its first event (`status queued`) and its queue entry. All or nothing:
 * when Redis refuses, the documents are removed again and the caller gets a
 * 503, so no document is left that no worker will ever see (the reconciler
 * covers a process that dies in between).
 */
export async function admitJobs<D extends JobDoc>(kind: JobKind<D>, deps: AcceptDeps, docs: D[], dispatch?: Dispatch<D>): Promise<void> {
  if (docs.length === 0) return;
  try {
    await Promise.all(docs.map((d) => deps.events.append(d._id, [{ type: 'status', data: { status: 'queued' } }])));
    await (dispatch ?? enqueueTo(kind, deps.queues))(docs);
  } catch (err) {
    await kind.docs(deps.store).discard(docs.map((d) => d._id)).catch(() => undefined);
    if (err instanceof PaddockError) throw err;
    deps.log.error({ err }, `enqueueing a ${kind.noun} failed`);
    throw new UnavailableError('the queue is unavailable; try again');
  }
}

/**
 * Hands accepted documents to whoever carries them out: their kind's queue, by
 * default; a session's runs go straight to the worker holding the session. A
 * PaddockError it throws reaches the client as it is (after the rollback).
 */
export type Dispatch<D extends JobDoc> = (docs: D[]) => Promise<void>;

function enqueueTo<D extends JobDoc>(kind: JobKind<D>, queues: Queues): Dispatch<D> {
  return (docs) => enqueue(queues, kind.name, docs.map((d) => kind.jobData(d)));
}
