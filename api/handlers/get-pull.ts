import type { Handler } from '../context';
import { loadVisiblePull } from '../guards';
import { presentPull } from '../present-jobs';

/** GET /v1/models/pulls/:id: state and the last saved progress (events carry every throttled update). */
export const getPull: Handler = async (ctx) => ({ status: 200, body: presentPull(await loadVisiblePull(ctx), ctx.principal.role === 'admin') });
