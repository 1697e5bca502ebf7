/**
 * The bench's session rows (scripts/bench.ts calls this): python run latency
 * inside a worker's sandbox (`sandbox.run` → result, no HTTP), a session run
 * (its container already held: no container start, no wipe) against a run in a
 * fresh container from the warm pool. Same limits, same program, checked.
 */
import { silentLogger } from '../core/logger';
import { createSandbox } from '../sandbox';
import type { ExecResult, SandboxLimits } from '../sandbox/types';

interface Latency {
  p50: number;
  p95: number;
  p99: number;
  n: number;
}

type Measure = (runOne: () => Promise<void>, paceMs: number) => Promise<Latency>;

function check(r: ExecResult): void {
  if (r.verdict !== 'ok' || r.stdout !== '42\n') throw new Error(`bench run went wrong: ${r.verdict} ${JSON.stringify(r.stdout)} ${r.stderr.slice(0, 200)}`);
}

export async function sessionLatencyRows(
  measure: Measure,
  o: { image: string; socketPath: string; scope: string; limits: SandboxLimits; paceMs: number },
): Promise<[string, Latency, Latency][]> {
  const sandbox = createSandbox({
    image: o.image,
    socketPath: o.socketPath,
    ownerId: `${o.scope}-owner`,
    scope: o.scope,
    tmpfsMb: 64,
    pool: { size: 2, limits: o.limits },
    log: silentLogger(),
  });
  try {
    const session = await sandbox.openSession({ sessionId: 'bench', limits: o.limits });
    let n = 0;
    const req = () => ({ runId: `bench-${n++}`, language: 'python' as const, code: 'print(6*7)', limits: o.limits });
    const inSession = await measure(async () => check(await session.run(req())), 0);
    const fresh = await measure(async () => check(await sandbox.run(req())), o.paceMs);
    session.close();
    return [['python, session run vs fresh pool container, inside the worker (sandbox.run → result), concurrency 1', inSession, fresh]];
  } finally {
    await sandbox.close();
  }
}
