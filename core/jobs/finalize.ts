import type { EventLog, Finale } from '../events';
import type { JobCollection } from '../store/job-collection';
import type { JobDoc } from './model';

/** Runs after the finale is recorded and before the document turns terminal (webhooks queue their delivery here). */
export type EndHook = (finale: Finale) => Promise<void>;

/** Told once, by the process whose write made the document terminal (metrics). Must not throw. */
export type TerminalObserver = (finale: Finale) => void;

/**
 * Ends a job exactly once, from any process (a worker finishing it, an API node
 * cancelling a queued one, a reconciler closing one the queue gave up on):
 * finale in Redis (atomic, first writer wins) → events copied to MongoDB → the
 * document's terminal state. Every step is idempotent, so a crash anywhere is
 * repaired by running it again. Returns the finale that won.
 */
export async function finalizeJob(
  events: EventLog,
  docs: Pick<JobCollection<JobDoc>, 'finish'>,
  id: string,
  finale: Finale,
  onEnd?: EndHook,
  observe?: TerminalObserver,
): Promise<Finale> {
  const won = await events.finish(id, finale);
  // Another process ended it first (a cancel racing the worker): its finale stands.
  const winner = won ? finale : ((await events.finale(id)) ?? finale);
  await events.sync(id, { last: true });
  if (onEnd) await onEnd(winner);
  const wrote = await docs.finish(id, winner.status, { result: winner.result, error: winner.error });
  if (wrote) observe?.(winner);
  return winner;
}
