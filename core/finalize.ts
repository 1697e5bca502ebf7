import type { EventLog, Finale } from './events';
import type { RunStore } from './store/runs';

/** A document with a terminal state written once: runs, and (same protocol) experiments and model pulls. */
export type Finishable = Pick<RunStore, 'finish'>;

/**
 * Ends a run exactly once, from any process (a worker finishing it, an API node
 * cancelling a queued run, a worker completing an interrupted finish):
 * finale in Redis (atomic, first writer wins) → events copied to MongoDB → the
 * run document's terminal state. Every step is idempotent, so a crash anywhere
 * is repaired by running it again. Returns the finale that won.
 */
export async function finalizeRun(
  deps: { events: EventLog; runs: Finishable },
  runId: string,
  finale: Finale,
): Promise<Finale> {
  await deps.events.finish(runId, finale);
  const winner = (await deps.events.finale(runId)) ?? finale;
  await deps.events.sync(runId);
  await deps.runs.finish(runId, winner.status, { result: winner.result, error: winner.error });
  return winner;
}

/** finalizeRun for experiments and model pulls: the same once-only protocol on their own documents. */
export function finalizeJob(deps: { events: EventLog; docs: Finishable }, id: string, finale: Finale): Promise<Finale> {
  return finalizeRun({ events: deps.events, runs: deps.docs }, id, finale);
}
