import type { JobKind } from '../../core/jobs/kinds';
import type { JobDoc } from '../../core/jobs/model';
import type { Handler } from '../context';
import { loadVisible } from '../guards';

/** GET …/:id/webhooks → {callbackUrl, items}: every delivery attempt of the job's callback, in order. */
export function listDeliveries<D extends JobDoc>(kind: JobKind<D>): Handler {
  return async (ctx) => {
    const doc = await loadVisible(kind, ctx);
    return { status: 200, body: { callbackUrl: doc.callbackUrl ?? null, items: await ctx.deps.store.deliveries.list(doc._id) } };
  };
}
