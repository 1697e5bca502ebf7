import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { JobMetrics, ProcessMetrics } from '../core/metrics';
import { QUEUES, type Queues } from '../core/queues';

/** The API's Prometheus figures, in the process's registry (core/metrics). */
export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  runsCreated: Counter<'kind' | 'language'>;
  /** Event streams (SSE) open on this node, by queue of the job streamed (runs, experiments, model-pulls). */
  sseStreams: Gauge<'queue'>;
  /** Outcomes of the jobs this node ends (cancels of queued jobs). */
  jobs: JobMetrics;
}

/** Every state BullMQ 6 keeps a job in (`getJobCounts()` with no argument counts these). */
export const QUEUE_STATES = ['waiting', 'prioritized', 'waiting-children', 'active', 'delayed', 'completed', 'failed'] as const;

export function createMetrics(proc: ProcessMetrics, queues: Queues): Metrics {
  const { registry } = proc;
  const httpDuration = new Histogram({
    name: 'paddock_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const runsCreated = new Counter({
    name: 'paddock_runs_created_total',
    help: 'Runs accepted by this API process',
    labelNames: ['kind', 'language'] as const,
    registers: [registry],
  });
  const sseStreams = new Gauge({
    name: 'paddock_sse_streams',
    help: 'Event streams (SSE) open on this API process, by queue of the job streamed',
    labelNames: ['queue'] as const,
    registers: [registry],
  });
  for (const queue of Object.values(QUEUES)) sseStreams.set({ queue }, 0);
  new Gauge({
    name: 'paddock_queue_jobs',
    help: 'Jobs per queue and BullMQ state (sampled on scrape; the same figure from every process)',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      for (const q of [...queues.all(), queues.webhooks]) {
        // Every job carries a priority (core/jobs/priority.ts), so queued jobs are `prioritized`, not `waiting`.
        const counts = await q.getJobCounts(...QUEUE_STATES);
        for (const state of QUEUE_STATES) this.set({ queue: q.name, state }, counts[state] ?? 0);
      }
    },
  });
  return { registry, httpDuration, runsCreated, sseStreams, jobs: proc.jobs };
}
