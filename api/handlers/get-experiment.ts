import type { Handler } from '../context';
import { loadVisibleExperiment } from '../guards';
import { presentExperiment } from '../present-jobs';

/** GET /v1/experiments/:id: the request, status, per-iteration totals (for comparing iterations) and overall totals. */
export const getExperiment: Handler = async (ctx) => ({ status: 200, body: presentExperiment(await loadVisibleExperiment(ctx)) });
