import type { Request, Response } from 'express';
import type { Access } from './auth';
import type { Handler, RequestContext } from './context';
import { runArtifacts } from './handlers/artifacts';
import { cancelRun } from './handlers/cancel-run';
import { createBatch } from './handlers/create-batch';
import { createRun } from './handlers/create-run';
import { execute } from './handlers/execute';
import { getRun } from './handlers/get-run';
import { health, ready } from './handlers/health';
import { availableModels, listIntegrations, testIntegration } from './handlers/integrations';
import { listRuns } from './handlers/list-runs';
import { runLogs } from './handlers/run-logs';
import { streamRunEvents } from './sse';


export type Route =
  | { method: 'get' | 'post' | 'delete'; path: string; access: Access; handler: Handler }
  | { method: 'get'; path: string; access: Access; stream: (ctx: RequestContext, req: Request, res: Response) => Promise<void> };

/** Every JSON and SSE route of the API, in one table. */
export const routes: Route[] = [
  { method: 'get', path: '/health', access: 'public', handler: health },
  { method: 'get', path: '/ready', access: 'public', handler: ready },
  { method: 'post', path: '/v1/runs', access: 'user', handler: createRun },
  { method: 'post', path: '/v1/runs/batch', access: 'user', handler: createBatch },
  { method: 'get', path: '/v1/runs', access: 'user', handler: listRuns },
  { method: 'get', path: '/v1/runs/:id', access: 'user', handler: getRun },
  { method: 'delete', path: '/v1/runs/:id', access: 'user', handler: cancelRun },
  { method: 'get', path: '/v1/runs/:id/logs', access: 'user', handler: runLogs },
  { method: 'get', path: '/v1/runs/:id/events', access: 'user', stream: streamRunEvents },
  { method: 'get', path: '/v1/runs/:id/artifacts', access: 'user', handler: runArtifacts },
  { method: 'get', path: '/v1/integrations', access: 'user', handler: listIntegrations },
  { method: 'post', path: '/v1/integrations/test', access: 'user', handler: testIntegration },
  { method: 'get', path: '/v1/models/available', access: 'user', handler: availableModels },
  { method: 'post', path: '/v1/execute', access: 'user', handler: execute },
];
