import { Counter, Histogram, Registry, collectDefaultMetrics, Gauge } from 'prom-client';
import type { Queues } from '../core/queues';

/** Prometheus metrics of one API process (its own registry: no global state). */
export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  runsCreated: Counter<'kind' | 'language'>;
}

export function createMetrics(queues: Queues): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'paddock_' });
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
  new Gauge({
    name: 'paddock_queue_jobs',
    help: 'Jobs per queue and state (sampled on scrape)',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      for (const q of queues.all()) {
        // Every job carries a priority (core/jobs/priority.ts), so queued jobs are `prioritized`, not `waiting`.
        const counts = await q.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed');
        for (const [state, n] of Object.entries(counts)) this.set({ queue: q.name, state }, n);
      }
    },
  });
  return { registry, httpDuration, runsCreated };
}
