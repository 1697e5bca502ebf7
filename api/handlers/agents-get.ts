import type { Handler } from '../context';
import { presentAgent } from '../present-agents';
import { loadVisibleAgent } from './agents-guard';

/** GET /v1/agents/:id. */
export const getAgent: Handler = async (ctx) => ({ status: 200, body: presentAgent(await loadVisibleAgent(ctx)) });
