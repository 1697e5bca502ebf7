/**
 * The program can't change the agent. The agent runs as its own uid with only
 * CAP_KILL, CAP_SETGID and CAP_SETUID (empty bounding set); every program runs
 * as the sandbox uid with no capabilities at all, in its own session. So the
 * kernel refuses prlimit, setpriority, sched_setaffinity, kill, ptrace and
 * /proc writes aimed at the agent, and every run, fresh or reused, starts from
 * the agent's untouched process state.
 *
 * Each attack of test/fixtures/hostile/agent.ts runs in a reused container and
 * must get its verdict; then PROCESS_STATE_PROBE runs in that same container
 * and must see a pristine process state (PROCESS_STATE_CLEAN). Real Docker.
 */
import type { ExecRequest } from '../../sandbox';
import { agentFixtures, PROCESS_STATE_CLEAN, PROCESS_STATE_PROBE } from '../fixtures/hostile/agent';
import { HOSTILE_LIMITS, HOSTILE_TMPFS_MB } from '../fixtures/hostile';
import { checkExpectation, containersOfOwner, limiter, testSandbox, uniqueId } from './helpers';

const ownerId = uniqueId('test-agent-barrier');
const { sandbox, watch } = testSandbox({
  ownerId,
  tmpfsMb: HOSTILE_TMPFS_MB,
  pool: { size: 2, limits: { ...HOSTILE_LIMITS, memoryMb: 256, cpus: 1, pids: 64 } },
});
// Two at a time on a 2-core host: some attacks start several tools.
const slot = limiter(2);

afterAll(async () => {
  await sandbox.close();
  expect(await containersOfOwner(ownerId)).toEqual([]);
});

function req(partial: Partial<ExecRequest> & Pick<ExecRequest, 'language' | 'code'>): ExecRequest {
  return { runId: uniqueId('barrier'), limits: HOSTILE_LIMITS, ...partial };
}

const probe = (reuseKey?: string) => req({ ...PROCESS_STATE_PROBE, ...(reuseKey ? { reuseKey } : {}) });

test('a fresh container starts every run from the same pristine process state', async () => {
  const r = await slot(() => sandbox.run(probe()));
  expect({ verdict: r.verdict, stdout: r.stdout, stderr: r.stderr }).toEqual({ verdict: 'ok', stdout: PROCESS_STATE_CLEAN, stderr: '' });
});

test('the agent keeps only CAP_KILL, CAP_SETGID, CAP_SETUID; the program has none and cannot get them back', async () => {
  const code = [
    // Trailing blanks stripped: kernels differ in how they end an empty Groups line.
    'grep -E "^(Uid|Gid|Groups|Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs)" /proc/$PPID/status | sed -e "s/^/agent /" -e "s/[[:space:]]*$//"',
    'grep -E "^(Uid|Gid|Groups|Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs)" /proc/self/status | sed -e "s/^/self /" -e "s/[[:space:]]*$//"',
  ].join('\n');
  const r = await slot(() => sandbox.run(req({ language: 'bash', code })));
  const zero = '0000000000000000';
  // KILL = 5, SETGID = 6, SETUID = 7.
  const agentCaps = '00000000000000e0';
  expect(r.stdout).toBe(
    [
      'agent Uid:\t10000\t10000\t10000\t10000',
      'agent Gid:\t10000\t10000\t10000\t10000',
      'agent Groups:',
      `agent CapInh:\t${zero}`,
      `agent CapPrm:\t${agentCaps}`,
      `agent CapEff:\t${agentCaps}`,
      `agent CapBnd:\t${zero}`,
      `agent CapAmb:\t${zero}`,
      'agent NoNewPrivs:\t1',
      'self Uid:\t10001\t10001\t10001\t10001',
      'self Gid:\t10001\t10001\t10001\t10001',
      'self Groups:',
      `self CapInh:\t${zero}`,
      `self CapPrm:\t${zero}`,
      `self CapEff:\t${zero}`,
      `self CapBnd:\t${zero}`,
      `self CapAmb:\t${zero}`,
      'self NoNewPrivs:\t1',
      '',
    ].join('\n'),
  );
});

describe('an attack, then a normal run in the same reused container', () => {
  test.concurrent.each(agentFixtures.map((f) => [f.name, f] as const))('%s', async (_name, f) => {
    const reuseKey = uniqueId('owner');
    const attack = req({ language: f.language, code: f.code, files: f.files, stdin: f.stdin, limits: { ...HOSTILE_LIMITS, ...f.limits }, reuseKey });
    const next = probe(reuseKey);
    const [r1, r2] = await slot(async () => [await sandbox.run(attack), await sandbox.run(next)] as const);
    checkExpectation(r1, f.expect);
    expect({ verdict: r2.verdict, stdout: r2.stdout, stderr: r2.stderr }).toEqual({ verdict: 'ok', stdout: PROCESS_STATE_CLEAN, stderr: '' });
    // A run that ended normally keeps its container (the agent survived); one we stopped retires it.
    const stopped = ['timeout', 'output_limit', 'killed'].includes(r1.verdict);
    const served = watch.containerOf(next.runId);
    if (stopped) expect(served.source).not.toBe('reuse');
    else expect(served).toEqual({ containerId: watch.containerOf(attack.runId).containerId, source: 'reuse' });
  });
});
