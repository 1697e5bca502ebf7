import type { Request, Response } from 'express';
import type { z } from 'zod';
import { experimentPatchSchema, experimentRequestSchema } from '../core/experiments';
import { pullRequestSchema } from '../core/models/pull';
import { runRequestSchema } from '../core/runs';
import type { Access } from './auth';
import type { Handler, HandlerResult, RequestContext } from './context';
import { runArtifacts } from './handlers/artifacts';
import { downloadRunArtifacts, downloadRunFile, listRunFiles } from './handlers/run-files';
import { cancelRun } from './handlers/cancel-run';
import { batchSchema, createBatch } from './handlers/create-batch';
import { createRun } from './handlers/create-run';
import { execute, executeBody } from './handlers/execute';
import { getRun } from './handlers/get-run';
import { health, ready } from './handlers/health';
import { listLanguages } from './handlers/languages';
import {
  availableModels, integrationTests, integrationTestsQuery, listIntegrations, testAllBody, testAllIntegrations, testIntegration, testIntegrationBody,
} from './handlers/integrations';
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
import { listDeliveries } from './handlers/webhook-deliveries';
import { STREAM_QUERY, streamJob } from './jobs';
import { EXPERIMENT_JOB, PULL_JOB, RUN_JOB } from '../core/jobs/kinds';
import { agentCreateSchema, agentPatchSchema, autoRunSchema } from '../core/agents';
import { autoRunAgent } from './handlers/agents-auto-run';
import { createAgent } from './handlers/agents-create';
import { deleteAgent } from './handlers/agents-delete';
import { getAgent } from './handlers/agents-get';
import { listAgents, listAgentsQuery } from './handlers/agents-list';
import { agentRuns, agentRunsQuery } from './handlers/agents-runs';
import { updateAgent } from './handlers/agents-update';
import { sessionRequestSchema, sessionRunSchema } from '../core/sessions';
import { SESSION_JOB } from '../core/jobs/kinds';
import {
  createSession, createSessionRun, deleteSession, getSession, listSessionRuns, listSessions, listSessionsQuery, sessionRunsQuery,
} from './sessions/handlers';
import { deleteSessionFile, downloadSessionFile, listSessionFiles, putSessionFile } from './sessions/files';


/**
 * A route's request schemas are validated before its handler runs (api/app.ts),
 * which then reads the parsed values: `query` strictly (an undeclared parameter
 * is a 400; no `query` means the route takes none), `body` when the route takes one.
 */
interface Schemas {
  query?: z.ZodObject;
  body?: z.ZodType;
  /** One line for the OpenAPI document (api/openapi.ts) and the docs page. */
  summary?: string;
}

export type Route =
  | ({ method: 'get' | 'post' | 'patch' | 'delete'; path: string; access: Access; handler: Handler } & Schemas)
  | ({ method: 'get'; path: string; access: Access; stream: (ctx: RequestContext, req: Request, res: Response) => Promise<void> } & Schemas)
  /**
   * Bytes in: the raw request body (any media type, at most SESSION_FILE_MAX_BYTES), a JSON answer out.
   * The handler reads the body with `readBody` once its guards passed: nothing is read for a request it refuses.
   */
  | ({ method: 'put'; path: string; access: Access; upload: (ctx: RequestContext, readBody: () => Promise<Buffer>) => Promise<HandlerResult> } & Schemas)
  /** Bytes, not JSON: the handler writes the response (errors before it starts still go through the error mapper). */
  | ({ method: 'get'; path: string; access: Access; download: (ctx: RequestContext, res: Response) => Promise<void>; contentType: string } & Schemas);

/** Every JSON and SSE route of the API, in one table. */
export const routes: Route[] = [
  { method: 'get', path: '/health', access: 'public', handler: health, summary: 'Liveness' },
  { method: 'get', path: '/ready', access: 'public', handler: ready, summary: 'Readiness (Redis, MongoDB, Docker, live workers)' },
  { method: 'post', path: '/v1/runs', access: 'user', handler: createRun, body: runRequestSchema, summary: 'Submit a run' },
  { method: 'post', path: '/v1/runs/batch', access: 'user', handler: createBatch, body: batchSchema, summary: 'Submit up to 1000 runs at once' },
  { method: 'get', path: '/v1/runs', access: 'user', handler: listRuns, query: listRunsQuery, summary: 'List your runs, newest first' },
  { method: 'get', path: '/v1/runs/:id', access: 'user', handler: getRun, summary: 'Get a run' },
  { method: 'delete', path: '/v1/runs/:id', access: 'user', handler: cancelRun, summary: 'Cancel a run' },
  { method: 'get', path: '/v1/runs/:id/logs', access: 'user', handler: runLogs, query: runLogsQuery, summary: "A run's events as JSON pages" },
  { method: 'get', path: '/v1/runs/:id/events', access: 'user', stream: streamJob(RUN_JOB), query: STREAM_QUERY, summary: "Stream a run's events (SSE)" },
  { method: 'get', path: '/v1/runs/:id/artifacts', access: 'user', handler: runArtifacts, summary: "A run's per-attempt artifacts" },
  { method: 'get', path: '/v1/runs/:id/files', access: 'user', handler: listRunFiles, summary: 'The files a run made (`outputs`)' },
  { method: 'get', path: '/v1/runs/:id/files/*path', access: 'user', download: downloadRunFile, contentType: 'application/octet-stream', summary: 'Download one file a run made' },
  { method: 'get', path: '/v1/runs/:id/artifacts.tar', access: 'user', download: downloadRunArtifacts, contentType: 'application/x-tar', summary: 'Every file a run made, as one tar' },
  { method: 'get', path: '/v1/runs/:id/webhooks', access: 'user', handler: listDeliveries(RUN_JOB), summary: 'Webhook deliveries of the run' },
  { method: 'get', path: '/v1/languages', access: 'user', handler: listLanguages, summary: 'Languages, their runtime versions in the sandbox image, and the limit maxima' },
  { method: 'get', path: '/v1/integrations', access: 'user', handler: listIntegrations, summary: 'List LLM providers with health' },
  { method: 'post', path: '/v1/integrations/test', access: 'user', handler: testIntegration, body: testIntegrationBody, summary: 'Send one short chat through one provider' },
  { method: 'post', path: '/v1/integrations/test-all', access: 'user', handler: testAllIntegrations, body: testAllBody, summary: 'Test every provider at once' },
  { method: 'get', path: '/v1/integrations/:id/tests', access: 'user', handler: integrationTests, query: integrationTestsQuery, summary: "An integration's test history with a latency summary" },
  { method: 'get', path: '/v1/models/available', access: 'user', handler: availableModels, summary: 'List configured models across providers' },
  { method: 'post', path: '/v1/execute', access: 'user', handler: execute, body: executeBody, summary: 'Execute by intent (chat, summary, embeddings, code run)' },
  // Experiments (multi-agent conversations).
  { method: 'post', path: '/v1/experiments', access: 'user', handler: createExperiment, body: experimentRequestSchema, summary: 'Submit an experiment' },
  { method: 'get', path: '/v1/experiments', access: 'user', handler: listExperiments, query: listExperimentsQuery, summary: 'List your experiments, newest first' },
  { method: 'get', path: '/v1/experiments/:id', access: 'user', handler: getExperiment, summary: 'Get an experiment' },
  { method: 'patch', path: '/v1/experiments/:id', access: 'user', handler: updateExperiment, body: experimentPatchSchema, summary: "Update an experiment's name, description, metadata" },
  { method: 'delete', path: '/v1/experiments/:id', access: 'user', handler: deleteExperiment, query: deleteExperimentQuery, summary: 'Cancel an experiment, or purge an ended one' },
  { method: 'get', path: '/v1/experiments/:id/status', access: 'user', handler: experimentStatus, summary: "An experiment's progress (small poll view)" },
  { method: 'get', path: '/v1/experiments/:id/events', access: 'user', stream: streamJob(EXPERIMENT_JOB), query: STREAM_QUERY, summary: "Stream an experiment's events (SSE)" },
  { method: 'get', path: '/v1/experiments/:id/conversations', access: 'user', handler: listConversations, summary: "List an experiment's iterations" },
  { method: 'get', path: '/v1/experiments/:id/conversations/:iteration', access: 'user', handler: getConversation, summary: "One iteration's messages" },
  { method: 'get', path: '/v1/experiments/:id/export', access: 'user', handler: exportExperiment, summary: 'Export an experiment as one JSON document' },
  { method: 'get', path: '/v1/experiments/:id/webhooks', access: 'user', handler: listDeliveries(EXPERIMENT_JOB), summary: 'Webhook deliveries of the experiment' },
  // Models on an Ollama server, and pulls.
  { method: 'get', path: '/v1/models', access: 'user', handler: listModels, query: serverQuery, summary: 'List models installed on an Ollama server' },
  { method: 'get', path: '/v1/models/version', access: 'user', handler: modelServerVersion, query: serverQuery, summary: "An Ollama server's version" },
  { method: 'get', path: '/v1/models/catalog', access: 'user', handler: modelCatalog, summary: 'A curated list of models worth pulling' },
  { method: 'post', path: '/v1/models/pulls', access: 'user', handler: createPull, body: pullRequestSchema, summary: 'Pull a model into an Ollama server' },
  { method: 'get', path: '/v1/models/pulls', access: 'user', handler: listPulls, query: listPullsQuery, summary: 'List model pulls' },
  { method: 'get', path: '/v1/models/pulls/:id', access: 'user', handler: getPull, summary: 'Get a model pull with its progress' },
  { method: 'delete', path: '/v1/models/pulls/:id', access: 'user', handler: cancelPull, summary: 'Cancel a model pull' },
  { method: 'get', path: '/v1/models/pulls/:id/events', access: 'user', stream: streamJob(PULL_JOB), query: STREAM_QUERY, summary: "Stream a model pull's events (SSE)" },
  { method: 'delete', path: '/v1/models/:name', access: 'admin', handler: removeModel, query: serverQuery, summary: 'Remove an installed model (admins)' },
  // Saved agents: named autorun setups, started with auto-run.
  { method: 'post', path: '/v1/agents', access: 'user', handler: createAgent, body: agentCreateSchema, summary: 'Save an agent' },
  { method: 'get', path: '/v1/agents', access: 'user', handler: listAgents, query: listAgentsQuery, summary: 'List your agents, newest first' },
  { method: 'get', path: '/v1/agents/:id', access: 'user', handler: getAgent, summary: 'Get an agent' },
  { method: 'patch', path: '/v1/agents/:id', access: 'user', handler: updateAgent, body: agentPatchSchema, summary: 'Change an agent' },
  { method: 'delete', path: '/v1/agents/:id', access: 'user', handler: deleteAgent, summary: 'Delete an agent (its runs stay)' },
  { method: 'post', path: '/v1/agents/:id/auto-run', access: 'user', handler: autoRunAgent, body: autoRunSchema, summary: "Start an autorun with the agent's setup" },
  { method: 'get', path: '/v1/agents/:id/runs', access: 'user', handler: agentRuns, query: agentRunsQuery, summary: "An agent's runs, newest first" },
  // Sessions: one sandbox held for its owner across runs (core/sessions.ts).
  { method: 'post', path: '/v1/sessions', access: 'user', handler: createSession, body: sessionRequestSchema, summary: 'Open a session: a sandbox kept for your runs' },
  { method: 'get', path: '/v1/sessions', access: 'user', handler: listSessions, query: listSessionsQuery, summary: 'List your sessions, newest first' },
  { method: 'get', path: '/v1/sessions/:id', access: 'user', handler: getSession, summary: 'Get a session' },
  { method: 'delete', path: '/v1/sessions/:id', access: 'user', handler: deleteSession, summary: 'End a session and remove its sandbox' },
  { method: 'get', path: '/v1/sessions/:id/events', access: 'user', stream: streamJob(SESSION_JOB), query: STREAM_QUERY, summary: "Stream a session's events (SSE)" },
  { method: 'post', path: '/v1/sessions/:id/runs', access: 'user', handler: createSessionRun, body: sessionRunSchema, summary: 'Run code in the session' },
  { method: 'get', path: '/v1/sessions/:id/runs', access: 'user', handler: listSessionRuns, query: sessionRunsQuery, summary: "The session's runs, newest first" },
  { method: 'get', path: '/v1/sessions/:id/files', access: 'user', handler: listSessionFiles, summary: "The files in the session's /workspace" },
  { method: 'put', path: '/v1/sessions/:id/files/*path', access: 'user', upload: putSessionFile, summary: 'Upload a file into the session (the body is its bytes)' },
  { method: 'get', path: '/v1/sessions/:id/files/*path', access: 'user', download: downloadSessionFile, contentType: 'application/octet-stream', summary: 'Download a file from the session' },
  { method: 'delete', path: '/v1/sessions/:id/files/*path', access: 'user', handler: deleteSessionFile, summary: 'Delete a file in the session' },
];
