/**
 * The bench's session row: python run latency inside a worker's sandbox
 * (`sandbox.run` → result, no HTTP, no queue), a run in a held session (its
 * container already up: no container start, no wipe) against a run in a fresh
 * container from the warm pool. Same limits, same program, each result checked.
 */
import { silentLogger } from '../../core/logger';
import { createSandbox } from '../../sandbox';
import type { ExecResult } from '../../sandbox/types';
import { latency, type Budget } from './measure';
import { LIMITS } from './naive';
import { ms, times, type Row } from './report';

function check(r: ExecResult): void {
  if (r.verdict !== 'ok' || r.stdout !== '42\n') throw new Error(`bench run went wrong: ${r.verdict} ${JSON.stringify(r.stdout)} ${r.stderr.slice(0, 200)}`);
}

export async function sessionRows(budget: Budget, o: { image: string; scope: string; paceMs: number }): Promise<Row[]> {
  const sandbox = createSandbox({
    image: o.image,
    socketPath: '/var/run/docker.sock',
    ownerId: `${o.scope}-owner`,
    scope: o.scope,
    tmpfsMb: 64,
    pool: { size: 2, limits: LIMITS },
    log: silentLogger(),
  });
  try {
    const session = await sandbox.openSession({ sessionId: 'bench', limits: LIMITS });
    let n = 0;
    const req = () => ({ runId: `bench-${n++}`, language: 'python' as const, code: 'print(6*7)', limits: LIMITS });
    const inSession = await latency(budget, async () => check(await session.run(req())), 0);
    const fresh = await latency(budget, async () => check(await sandbox.run(req())), o.paceMs);
    session.close();
    return [
      {
        workload: `python inside the worker (\`sandbox.run\` → result): a run in a held session, back-to-back, p50 / p99 (naive column: a fresh pool container, one every ${o.paceMs} ms)`,
        paddock: `${ms(inSession.p50)} / ${ms(inSession.p99)}`,
        naive: `${ms(fresh.p50)} / ${ms(fresh.p99)}`,
        ratio: times(inSession.p50 / fresh.p50),
        target: '< the fresh p50',
        met: inSession.p50 < fresh.p50,
      },
    ];
  } finally {
    await sandbox.close();
  }
}
