import { Gauge, type Registry } from 'prom-client';
import type { PooledSandbox } from '../sandbox';

/** The worker's sandbox figures, sampled from its pool on every scrape. */
export function registerSandboxMetrics(registry: Registry, sandbox: PooledSandbox): void {
  new Gauge({
    name: 'paddock_sandbox_pool_containers',
    help: 'Warm-pool containers of this worker, by state (ready: started and waiting for a run; creating: being launched)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const { pool } = sandbox.stats();
      this.set({ state: 'ready' }, pool.ready);
      this.set({ state: 'creating' }, pool.creating);
    },
  });
  new Gauge({
    name: 'paddock_sandbox_pool_waiting',
    help: 'Runs of this worker waiting for a warm-pool container',
    registers: [registry],
    collect() {
      this.set(sandbox.stats().pool.waiting);
    },
  });
  new Gauge({
    name: 'paddock_sandbox_pool_launch_failures',
    help: 'Consecutive failed container launches of the warm pool (0 when healthy)',
    registers: [registry],
    collect() {
      this.set(sandbox.stats().pool.failures);
    },
  });
  new Gauge({
    name: 'paddock_sandbox_containers',
    help: 'Sandbox containers this worker created and has not removed yet (pool, running, reuse)',
    registers: [registry],
    collect() {
      this.set(sandbox.stats().containers);
    },
  });
  new Gauge({
    name: 'paddock_sandbox_reuse_idle',
    help: 'Idle warm-reuse containers of this worker',
    registers: [registry],
    collect() {
      this.set(sandbox.stats().reuseIdle);
    },
  });
}
