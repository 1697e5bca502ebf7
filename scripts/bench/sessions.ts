/**
 * The bench's session rows: python run latency inside a worker's sandbox
 * (`sandbox.run` → result, no HTTP, no queue), a run in a held session (its
 * container already up: no container start, no wipe) — a plain one (fork + exec
 * of `python3 main.py`) and a persistent one (main.py exec'd by the session's
 * already running interpreter) — against a run in a fresh container from the
 * warm pool. Same limits, same program, each result checked.
 *
 * Alone (only these rows, `--runs`/`--warmup`/`--pace` as for the bench):
 *   node --import tsx scripts/bench/sessions.ts --runs 50 --warmup 10
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { DEFAULT_SANDBOX_IMAGE } from '../../core/config';
import { silentLogger } from '../../core/logger';
import { createSandbox } from '../../sandbox';
import type { ExecResult } from '../../sandbox/types';
import { latency, type Budget } from './measure';
import { LIMITS } from './naive';
import { ms, table, times, type Row } from './report';

function check(r: ExecResult, persistent = false): void {
  const kernelOk = !persistent || (r.interpreter?.persistent === true && !r.interpreter.lost);
  if (r.verdict !== 'ok' || r.stdout !== '42\n' || !kernelOk) {
    throw new Error(`bench run went wrong: ${r.verdict} ${JSON.stringify(r.stdout)} ${JSON.stringify(r.interpreter)} ${r.stderr.slice(0, 200)}`);
  }
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
    const persistent = await latency(budget, async () => check(await session.run({ ...req(), persistent: true }), true), 0);
    const fresh = await latency(budget, async () => check(await sandbox.run(req())), o.paceMs);
    session.close();
    const freshColumn = `(naive column: a fresh pool container, one every ${o.paceMs} ms)`;
    return [
      {
        workload: `python inside the worker (\`sandbox.run\` → result): a run in a held session, back-to-back, p50 / p99 ${freshColumn}`,
        paddock: `${ms(inSession.p50)} / ${ms(inSession.p99)}`,
        naive: `${ms(fresh.p50)} / ${ms(fresh.p99)}`,
        ratio: times(inSession.p50 / fresh.p50),
        target: '< the fresh p50',
        met: inSession.p50 < fresh.p50,
      },
      {
        workload: `python inside the worker: a persistent-interpreter run in a held session (\`persistent: true\`), back-to-back, p50 / p99 ${freshColumn}`,
        paddock: `${ms(persistent.p50)} / ${ms(persistent.p99)}`,
        naive: `${ms(fresh.p50)} / ${ms(fresh.p99)}`,
        ratio: times(persistent.p50 / fresh.p50),
        target: '< the fresh p50',
        met: persistent.p50 < fresh.p50,
      },
    ];
  } finally {
    await sandbox.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { runs: { type: 'string', default: '50' }, warmup: { type: 'string', default: '10' }, pace: { type: 'string', default: '500' } },
  });
  const budget: Budget = { runs: Number(values.runs), warmup: Number(values.warmup), seconds: 0, maxRuns: 0, concurrency: 1, check: () => {} };
  const scope = `bench-${randomBytes(4).toString('hex')}-sessions`;
  const rows = await sessionRows(budget, { image: DEFAULT_SANDBOX_IMAGE, scope, paceMs: Number(values.pace) });
  console.log(table(rows));
  console.log(`\n${budget.runs} runs each after ${budget.warmup} warm-up; image ${DEFAULT_SANDBOX_IMAGE}.`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  });
}
