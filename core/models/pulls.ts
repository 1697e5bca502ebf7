import { UnavailableError } from '../errors';
import type { EventLog } from '../events';
import { newId } from '../ids';
import type { Logger } from '../logger';
import { PULL_JOB } from '../jobs/kinds';
import { admitJobs } from '../jobs/accept';
import type { Queues } from '../queues';
import { isDuplicateKey } from '../store/duplicate-key';
import type { Store } from '../store';
import { initialProgress, normalizeModelName, type OllamaServerRef, type PullDoc } from './pull';

export interface PullDeps {
  store: Store;
  events: EventLog;
  queues: Queues;
  log: Logger;
}

/**
 * Starts a pull of `model` on `server`, or joins the one already active for that
 * (server, model): concurrent requests share one download. The partial unique
 * index on active pulls settles races between API nodes; the loser joins.
 * `joined` says which happened.
 */
export async function startOrJoinPull(
  deps: PullDeps,
  req: { owner: string; server: OllamaServerRef; model: string },
): Promise<{ pull: PullDoc; joined: boolean }> {
  const model = normalizeModelName(req.model);
  // Few rounds suffice: each lost race means another pull became (or stopped being) active.
  for (let round = 0; round < 5; round++) {
    const active = await deps.store.pulls.findActive(req.server.url, model);
    if (active) {
      const joined = await deps.store.pulls.join(active._id, req.owner);
      if (joined) return { pull: joined, joined: true };
      continue; // it ended between the two reads: start a new one
    }
    const now = new Date();
    const pull: PullDoc = {
      _id: newId('pull'),
      owners: [req.owner],
      model,
      server: { name: req.server.name, url: req.server.url },
      active: true,
      status: 'queued',
      progress: initialProgress(),
      attempts: 0,
      retries: 0,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await deps.store.pulls.insert(pull);
    } catch (err) {
      if (isDuplicateKey(err)) continue; // another request won: join it
      throw err;
    }
    // Not accepted when Redis refuses: the document goes again, freeing the (server, model) slot.
    await admitJobs(PULL_JOB, deps, [pull]);
    return { pull, joined: false };
  }
  throw new UnavailableError('the pull of this model is changing state; try again');
}
