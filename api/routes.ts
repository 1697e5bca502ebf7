import type { Request, Response } from 'express';
import type { z } from 'zod';
import { experimentPatchSchema, experimentRequestSchema } from '../core/experiments';
import { pullRequestSchema } from '../core/models/pull';
import { runRequestSchema } from '../core/runs';
import type { Access } from './auth';
import type { Handler, RequestContext } from './context';
import { runArtifacts } from './handlers/artifacts';
import { cancelRun } from './handlers/cancel-run';
import { batchSchema, createBatch } from './handlers/create-batch';
import { createRun } from './handlers/create-run';
import { execute, executeBody } from './handlers/execute';
import { getRun } from './handlers/get-run';
import { health, ready } from './handlers/health';
import { availableModels, listIntegrations, testIntegration, testIntegrationBody } from './handlers/integrations';
import { listRuns, listRunsQuery } from './handlers/list-runs';
import { runLogs, runLogsQuery } from './handlers/run-logs';
import { cancelPull } from './handlers/cancel-pull';
import { createExperiment } from './handlers/create-experiment';
import { createPull } from './handlers/create-pull';
import { deleteExperiment, deleteExperimentQuery } from './handlers/delete-experiment';
import { getConversation, listConversations } from './handlers/experiment-conversations';
import { experimentStatus } from './handlers/experiment-status';
import { exportExperiment } from './handlers/export-experiment';
import { getExperiment } from './handlers/get-experiment';
import { getPull } from './handlers/get-pull';
import { listExperiments, listExperimentsQuery } from './handlers/list-experiments';
import { listPulls, listPullsQuery } from './handlers/list-pulls';
import { listModels, modelCatalog, modelServerVersion, removeModel, serverQuery } from './handlers/ollama-models';
import { updateExperiment } from './handlers/update-experiment';
import { STREAM_QUERY, streamJob } from './jobs';
import { EXPERIMENT_JOB, PULL_JOB, RUN_JOB } from '../core/jobs/kinds';


/**
 * A route's request schemas are validated before its handler runs (api/app.ts),
 * which then reads the parsed values: `query` strictly (an undeclared parameter
 * is a 400; no `query` means the route takes none), `body` when the route takes one.
 */
interface Schemas {
  query?: z.ZodObject;
  body?: z.ZodType;
}

export type Route =
  | ({ method: 'get' | 'post' | 'patch' | 'delete'; path: string; access: Access; handler: Handler } & Schemas)
  | ({ method: 'get'; path: string; access: Access; stream: (ctx: RequestContext, req: Request, res: Response) => Promise<void> } & Schemas);

/** Every JSON and SSE route of the API, in one table. */
export const routes: Route[] = [
  { method: 'get', path: '/health', access: 'public', handler: health },
  { method: 'get', path: '/ready', access: 'public', handler: ready },
  { method: 'post', path: '/v1/runs', access: 'user', handler: createRun, body: runRequestSchema },
  { method: 'post', path: '/v1/runs/batch', access: 'user', handler: createBatch, body: batchSchema },
  { method: 'get', path: '/v1/runs', access: 'user', handler: listRuns, query: listRunsQuery },
  { method: 'get', path: '/v1/runs/:id', access: 'user', handler: getRun },
  { method: 'delete', path: '/v1/runs/:id', access: 'user', handler: cancelRun },
  { method: 'get', path: '/v1/runs/:id/logs', access: 'user', handler: runLogs, query: runLogsQuery },
  { method: 'get', path: '/v1/runs/:id/events', access: 'user', stream: streamJob(RUN_JOB), query: STREAM_QUERY },
  { method: 'get', path: '/v1/runs/:id/artifacts', access: 'user', handler: runArtifacts },
  { method: 'get', path: '/v1/integrations', access: 'user', handler: listIntegrations },
  { method: 'post', path: '/v1/integrations/test', access: 'user', handler: testIntegration, body: testIntegrationBody },
  { method: 'get', path: '/v1/models/available', access: 'user', handler: availableModels },
  { method: 'post', path: '/v1/execute', access: 'user', handler: execute, body: executeBody },
  // Experiments (multi-agent conversations).
  { method: 'post', path: '/v1/experiments', access: 'user', handler: createExperiment, body: experimentRequestSchema },
  { method: 'get', path: '/v1/experiments', access: 'user', handler: listExperiments, query: listExperimentsQuery },
  { method: 'get', path: '/v1/experiments/:id', access: 'user', handler: getExperiment },
  { method: 'patch', path: '/v1/experiments/:id', access: 'user', handler: updateExperiment, body: experimentPatchSchema },
  { method: 'delete', path: '/v1/experiments/:id', access: 'user', handler: deleteExperiment, query: deleteExperimentQuery },
  { method: 'get', path: '/v1/experiments/:id/status', access: 'user', handler: experimentStatus },
  { method: 'get', path: '/v1/experiments/:id/events', access: 'user', stream: streamJob(EXPERIMENT_JOB), query: STREAM_QUERY },
  { method: 'get', path: '/v1/experiments/:id/conversations', access: 'user', handler: listConversations },
  { method: 'get', path: '/v1/experiments/:id/conversations/:iteration', access: 'user', handler: getConversation },
  { method: 'get', path: '/v1/experiments/:id/export', access: 'user', handler: exportExperiment },
  // Models on an Ollama server, and pulls.
  { method: 'get', path: '/v1/models', access: 'user', handler: listModels, query: serverQuery },
  { method: 'get', path: '/v1/models/version', access: 'user', handler: modelServerVersion, query: serverQuery },
  { method: 'get', path: '/v1/models/catalog', access: 'user', handler: modelCatalog },
  { method: 'post', path: '/v1/models/pulls', access: 'user', handler: createPull, body: pullRequestSchema },
  { method: 'get', path: '/v1/models/pulls', access: 'user', handler: listPulls, query: listPullsQuery },
  { method: 'get', path: '/v1/models/pulls/:id', access: 'user', handler: getPull },
  { method: 'delete', path: '/v1/models/pulls/:id', access: 'user', handler: cancelPull },
  { method: 'get', path: '/v1/models/pulls/:id/events', access: 'user', stream: streamJob(PULL_JOB), query: STREAM_QUERY },
  { method: 'delete', path: '/v1/models/:name', access: 'admin', handler: removeModel, query: serverQuery },
];
