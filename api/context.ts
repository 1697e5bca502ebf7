import type { Redis } from 'ioredis';
import type { Config } from '../core/config';
import type { EventLog } from '../core/events';
import type { Llm } from '../llm';
import type { Logger } from '../core/logger';
import type { Queues } from '../core/queues';
import type { SessionRpcClient } from '../core/session-rpc';
import type { Store } from '../core/store';
import type { Principal, TokenVerifier } from './auth';
import type { Metrics } from './metrics';
import type { TailConnections } from './tail-connections';

/** Everything handlers may use, built once by the API's composition root. */
export interface ApiDeps {
  config: Config;
  log: Logger;
  redis: Redis;
  store: Store;
  events: EventLog;
  queues: Queues;
  llm: Llm;
  verifier: TokenVerifier;
  metrics: Metrics;
  cancelChannel: string;
  /** Connections for event-stream tails, kept between streams. */
  tails: TailConnections;
  /** Requests to the workers holding sessions. */
  sessions: SessionRpcClient;
  /** Readiness probe of the Docker engine, when this process also runs a worker. */
  dockerPing?: () => Promise<void>;
}

export interface RequestContext {
  deps: ApiDeps;
  /** Undefined only on public routes. */
  principal: Principal;
  params: Record<string, string>;
  query: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface HandlerResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (ctx: RequestContext) => Promise<HandlerResult>;
