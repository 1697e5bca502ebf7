/**
 * The Prometheus figures of one process, in its own registry (no global
 * state): built once by the composition root (scripts/system.ts) and handed
 * to the API, the worker and the LLM layer, whichever this process runs.
 *
 * Every process serves its own figures: the API on its port (/metrics,
 * protected), any role on METRICS_PORT when set (api/metrics-server.ts).
 * Prometheus scrapes each process; dashboards sum over them. Job outcomes are
 * counted by the process that made the terminal write (a worker, or an API
 * node cancelling a queued job), so a sum over processes counts each job once.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { LlmCallReport } from '../../llm/observe';
import type { Finale } from '../event-model';
import type { JobKind } from '../jobs/kinds';
import type { JobDoc } from '../jobs/model';
import { QUEUES } from '../queues';

export interface JobMetrics {
  /** A worker claimed a job: on its first claim, how long it waited in the queue. */
  claimed(kind: JobKind, doc: JobDoc): void;
  /** The observer of a job's terminal write (core/jobs/finalize.ts calls it once, where the write happened). */
  ended(kind: JobKind, doc: JobDoc | null | undefined): (finale: Finale) => void;
}

export interface ProcessMetrics {
  registry: Registry;
  jobs: JobMetrics;
  /** CreateLlmOptions.onCall: calls, tokens, cost and latency per provider and model. */
  llmCall(report: LlmCallReport): void;
}

const WAIT_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];
const RUN_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900];
const LLM_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80];

export function createProcessMetrics(): ProcessMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'paddock_' });
  return { registry, jobs: jobMetrics(registry), llmCall: llmMetrics(registry) };
}

function jobMetrics(registry: Registry): JobMetrics {
  const finished = new Counter({
    name: 'paddock_jobs_finished_total',
    help: 'Jobs that reached their terminal state, by queue (runs, experiments, model-pulls), kind (the run kind, or experiment / pull), status and verdict (none when the result has none)',
    labelNames: ['queue', 'kind', 'status', 'verdict'] as const,
    registers: [registry],
  });
  const wait = new Histogram({
    name: 'paddock_job_queue_wait_seconds',
    help: 'Time from acceptance to the first claim by a worker',
    labelNames: ['queue', 'kind'] as const,
    buckets: WAIT_BUCKETS,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'paddock_job_run_duration_seconds',
    help: 'Time from the first claim to the terminal state (all attempts), by final status',
    labelNames: ['queue', 'kind', 'status'] as const,
    buckets: RUN_BUCKETS,
    registers: [registry],
  });
  // Not `job`: Prometheus gives every series its scrape job under that name.
  const labels = (kind: JobKind, doc: JobDoc | null | undefined) => ({ queue: QUEUES[kind.name], kind: doc ? kind.jobData(doc).kind : 'unknown' });
  return {
    claimed(kind, doc) {
      if (doc.attempts !== 1 || !doc.startedAt) return;
      wait.observe(labels(kind, doc), seconds(doc.startedAt.getTime() - doc.createdAt.getTime()));
    },
    ended(kind, doc) {
      return (finale) => {
        const l = labels(kind, doc);
        const verdict = (finale.result as { verdict?: unknown } | undefined)?.verdict;
        finished.inc({ ...l, status: finale.status, verdict: typeof verdict === 'string' ? verdict : 'none' });
        // A job cancelled while queued never ran: it has no run duration.
        if (doc?.startedAt) duration.observe({ ...l, status: finale.status }, seconds(Date.now() - doc.startedAt.getTime()));
      };
    },
  };
}

function llmMetrics(registry: Registry): (r: LlmCallReport) => void {
  const calls = new Counter({
    name: 'paddock_llm_calls_total',
    help: 'Calls to an LLM provider, by provider, model, operation (chat, embed) and outcome (ok, failed: the call moved on or gave up)',
    labelNames: ['provider', 'model', 'operation', 'outcome'] as const,
    registers: [registry],
  });
  const tokens = new Counter({
    name: 'paddock_llm_tokens_total',
    help: 'Tokens of answered LLM calls, by provider, model and direction (input, output)',
    labelNames: ['provider', 'model', 'direction'] as const,
    registers: [registry],
  });
  const cost = new Counter({
    name: 'paddock_llm_cost_usd_total',
    help: 'Cost in USD of answered LLM calls (models with a configured price only)',
    labelNames: ['provider', 'model'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'paddock_llm_call_duration_seconds',
    help: 'Time an answered LLM call spent on the provider that answered (retries and slot waits included)',
    labelNames: ['provider', 'model', 'operation'] as const,
    buckets: LLM_BUCKETS,
    registers: [registry],
  });
  return (r) => {
    const who = { provider: r.provider, model: r.model };
    calls.inc({ ...who, operation: r.operation, outcome: r.outcome });
    if (r.outcome !== 'ok') return;
    if (r.usage) {
      tokens.inc({ ...who, direction: 'input' }, r.usage.inputTokens);
      tokens.inc({ ...who, direction: 'output' }, r.usage.outputTokens ?? 0);
    }
    if (r.costUsd !== undefined) cost.inc(who, r.costUsd);
    if (r.latencyMs !== undefined) latency.observe({ ...who, operation: r.operation }, seconds(r.latencyMs));
  };
}

const seconds = (ms: number) => Math.max(0, ms) / 1000;
