import type { Handler } from '../context';
import { loadVisibleRun } from '../guards';
import { presentRun } from '../present';

/** GET /v1/runs/:id */
export const getRun: Handler = async (ctx) => ({ status: 200, body: presentRun(await loadVisibleRun(ctx)) });
