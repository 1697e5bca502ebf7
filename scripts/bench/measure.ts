/** The bench's measuring loops: latency percentiles, throughput, a batch's wall time. */

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i]!;
}

export interface Latency {
  p50: number;
  p99: number;
  n: number;
}

export function summarise(values: number[]): Latency {
  return { p50: percentile(values, 0.5), p99: percentile(values, 0.99), n: values.length };
}

export interface Budget {
  runs: number;
  warmup: number;
  seconds: number;
  maxRuns: number;
  concurrency: number;
  check: () => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One run at a time; each starts at least `paceMs` after the previous one started
 * (0: back-to-back). `after` (untimed, inside the pause) may look at the run.
 */
export async function latency<T>(b: Budget, runOne: () => Promise<T>, paceMs: number, after?: (r: T) => Promise<void>): Promise<Latency> {
  const ms: number[] = [];
  for (let i = 0; i < b.warmup + b.runs; i++) {
    b.check();
    const t0 = performance.now();
    const r = await runOne();
    const took = performance.now() - t0;
    if (i >= b.warmup) {
      ms.push(took);
      await after?.(r);
    }
    const left = paceMs - (performance.now() - t0);
    if (left > 0) await sleep(left);
  }
  return summarise(ms);
}

/** Runs/s with `concurrency` clients for `seconds` (or `maxRuns`), after one warm-up run per client. */
export async function throughput(b: Budget, runOne: () => Promise<unknown>): Promise<{ perSecond: number; n: number }> {
  await Promise.all(Array.from({ length: b.concurrency }, () => runOne()));
  let started = 0;
  let finished = 0;
  const t0 = performance.now();
  const deadline = t0 + b.seconds * 1000;
  await Promise.all(
    Array.from({ length: b.concurrency }, async () => {
      while (performance.now() < deadline && started < b.maxRuns) {
        b.check();
        started++;
        await runOne();
        finished++;
      }
    }),
  );
  return { perSecond: finished / ((performance.now() - t0) / 1000), n: finished };
}

/** Wall time, ms, for `concurrency` clients to work through `items` (each taken once). */
export async function batchWall<I>(b: Budget, items: I[], runOne: (item: I) => Promise<unknown>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: b.concurrency }, async () => {
      while (next < items.length) {
        b.check();
        await runOne(items[next++]!);
      }
    }),
  );
  return performance.now() - t0;
}
