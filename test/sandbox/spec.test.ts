/**
 * Containers made by the production code path (`createSandbox`: a cold one, a
 * warm pool one as made, and a pool one lowered to a run's limits) are
 * inspected: `inspect` must show every hardening field as we asked (Docker
 * silently drops or rewrites some settings on some hosts, so we check what it
 * actually stored). Then the agent's backstops, with the raw protocol.
 */
import { SandboxInfraError } from '../../core/errors';
import type { ExecRequest } from '../../sandbox';
import { encodeRunFrame } from '../../sandbox/protocol';
import { AGENT_SCRIPT, BACKSTOP_GRACE_MS, buildContainerSpec, NOFILE_LIMIT, PIDS_OVERHEAD, SANDBOX_ENV } from '../../sandbox/spec';
import type { SandboxLimits } from '../../sandbox/types';
import { containersOfOwner, deferred, docker, IMAGE, TEST_SCOPE, testSandbox, uniqueId, type SandboxWatcher } from './helpers';

const ownerId = uniqueId('test-spec');
const poolLimits: SandboxLimits = { timeoutMs: 7000, memoryMb: 160, cpus: 1, pids: 50, outputBytes: 1234 };
const runLimits: SandboxLimits = { timeoutMs: 7000, memoryMb: 96, cpus: 0.75, pids: 40, outputBytes: 1234 };
const MiB = 1024 * 1024;
const common = { ownerId, tmpfsMb: 24, fileSizeMb: 8, runtime: 'runc' };
let warm: ReturnType<typeof testSandbox>;
let cold: ReturnType<typeof testSandbox>;
const infos: Record<'cold' | 'pool' | 'lowered', any> = { cold: null, pool: null, lowered: null };

/** Starts a run that waits, inspects the container serving it, then aborts the run. */
async function inspectDuringRun(made: { sandbox: { run(r: ExecRequest): Promise<unknown> }; watch: SandboxWatcher }): Promise<any> {
  const up = deferred();
  const abort = new AbortController();
  const runId = uniqueId('spec');
  const running = made.sandbox.run({
    runId,
    language: 'bash',
    code: 'echo up; sleep 60',
    limits: runLimits,
    signal: abort.signal,
    onOutput: () => up.resolve(),
  });
  await up.promise;
  const info = await docker.container(made.watch.containerOf(runId).containerId).inspectRaw();
  abort.abort();
  await running;
  return info;
}

beforeAll(async () => {
  process.env.PADDOCK_SPEC_TEST_SECRET = 'do-not-forward';
  warm = testSandbox({ ...common, pool: { size: 1, limits: poolLimits } });
  cold = testSandbox(common);
  await warm.watch.moreReady(1);
  infos.pool = await docker.container(warm.watch.readyIds()[0]!).inspectRaw();
  infos.lowered = await inspectDuringRun(warm);
  expect(warm.watch.events).toContainEqual(expect.objectContaining({ type: 'assigned', source: 'pool', containerId: infos.pool.Id }));
  infos.cold = await inspectDuringRun(cold);
});

afterAll(async () => {
  delete process.env.PADDOCK_SPEC_TEST_SECRET;
  await Promise.all([warm?.sandbox.close(), cold?.sandbox.close()]);
  expect(await containersOfOwner(ownerId)).toEqual([]);
});

const emptyish = (v: unknown) => v === null || v === undefined || (Array.isArray(v) && v.length === 0);

describe.each([
  ['a cold container', 'cold', runLimits],
  ['a warm pool container, as made', 'pool', poolLimits],
  ['a warm pool container, lowered to a run’s limits', 'lowered', runLimits],
] as const)('%s', (_name, which, limits) => {
  let info: any;
  beforeAll(() => {
    info = infos[which];
  });

  test('Docker stored every HostConfig field we set, unchanged', () => {
    const spec = buildContainerSpec({ image: IMAGE, scope: TEST_SCOPE, runId: 'x', idleExitMs: 1, limits, ...common });
    for (const [key, want] of Object.entries(spec.HostConfig)) {
      const got = info.HostConfig[key];
      if (emptyish(want)) expect([key, emptyish(got)]).toEqual([key, true]);
      else expect([key, got]).toEqual([key, want]);
    }
  });

  test('no network', () => {
    expect(info.HostConfig.NetworkMode).toBe('none');
    expect(info.Config.NetworkDisabled).toBe(true);
    // No endpoint other than 'none' (with NetworkDisabled, Docker attaches none at all).
    for (const name of Object.keys(info.NetworkSettings.Networks ?? {})) expect(name).toBe('none');
    expect(emptyish(info.HostConfig.PortBindings) || Object.keys(info.HostConfig.PortBindings).length === 0).toBe(true);
    expect(info.HostConfig.PublishAllPorts).toBe(false);
  });

  test('read-only rootfs; size-capped tmpfs for /workspace (exec) and /tmp (noexec); no host mounts', () => {
    expect(info.HostConfig.ReadonlyRootfs).toBe(true);
    const ws: string[] = info.HostConfig.Tmpfs['/workspace'].split(',');
    const tmp: string[] = info.HostConfig.Tmpfs['/tmp'].split(',');
    for (const opts of [ws, tmp]) {
      expect(opts).toEqual(expect.arrayContaining(['nosuid', 'nodev', `size=${24 * MiB}`, 'uid=10001', 'gid=10001']));
    }
    expect(ws).toContain('exec');
    expect(ws).not.toContain('noexec');
    expect(tmp).toContain('noexec');
    expect(Object.keys(info.HostConfig.Tmpfs).sort()).toEqual(['/tmp', '/workspace']);
    expect(info.HostConfig.ShmSize).toBe(24 * MiB);
    expect(emptyish(info.HostConfig.Binds)).toBe(true);
    expect(emptyish(info.HostConfig.Mounts)).toBe(true);
    expect(emptyish(info.Mounts)).toBe(true);
    expect(emptyish(info.HostConfig.VolumesFrom)).toBe(true);
    expect(emptyish(info.HostConfig.Devices)).toBe(true);
  });

  test('no privileges: cap-drop ALL but the agent’s four, no-new-privileges, nothing unconfined', () => {
    expect(info.HostConfig.CapDrop).toEqual(['ALL']);
    // The agent's (agent.py): it empties the bounding set, keeps KILL, SETGID, SETUID as
    // uid 10000 and runs programs as uid 10001 with none (agent-barrier.test.ts checks inside).
    expect([...info.HostConfig.CapAdd].sort()).toEqual(['CAP_KILL', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID']);
    expect(info.HostConfig.Privileged).toBe(false);
    expect(info.HostConfig.SecurityOpt).toContain('no-new-privileges');
    for (const opt of info.HostConfig.SecurityOpt as string[]) expect(opt).not.toMatch(/unconfined/);
    // Root only for the agent's first instructions: see CONTAINER_USER in spec.ts.
    expect(info.Config.User).toBe('0:0');
    expect(info.HostConfig.IpcMode).toBe('private');
    expect(info.HostConfig.PidMode).toBe('');
    expect(info.HostConfig.UTSMode).toBe('');
    expect(info.HostConfig.UsernsMode).toBe('');
    expect(info.HostConfig.CgroupnsMode).toBe('private');
  });

  test('resource limits: pids, memory = swap, cpus, nofile, fsize, no core dumps', () => {
    expect(info.HostConfig.PidsLimit).toBe(limits.pids + PIDS_OVERHEAD);
    expect(info.HostConfig.Memory).toBe(limits.memoryMb * MiB);
    expect(info.HostConfig.MemorySwap).toBe(limits.memoryMb * MiB);
    expect(info.HostConfig.OomKillDisable).toBe(false);
    expect(info.HostConfig.NanoCpus).toBe(limits.cpus * 1e9);
    const ulimits = Object.fromEntries((info.HostConfig.Ulimits as { Name: string; Soft: number; Hard: number }[]).map((u) => [u.Name, u]));
    expect(ulimits.nofile).toEqual({ Name: 'nofile', Soft: NOFILE_LIMIT, Hard: NOFILE_LIMIT });
    expect(ulimits.fsize).toEqual({ Name: 'fsize', Soft: 8 * MiB, Hard: 8 * MiB });
    expect(ulimits.core).toEqual({ Name: 'core', Soft: 0, Hard: 0 });
  });

  test('lifecycle: we remove it ourselves; the agent is PID 1 (no docker-init); logs are not written to the host', () => {
    expect(info.HostConfig.AutoRemove).toBe(false);
    expect(info.HostConfig.RestartPolicy.Name).toBe('no');
    expect(info.HostConfig.Init).toBe(false);
    expect(info.HostConfig.LogConfig.Type).toBe('none');
    expect(info.HostConfig.Runtime).toBe('runc');
  });

  test('stdin carries run frames; the command is the agent with its idle backstop', () => {
    expect(info.Config).toMatchObject({ OpenStdin: true, StdinOnce: true, Tty: false, AttachStdin: true });
    expect(emptyish(info.Config.Entrypoint)).toBe(true);
    expect(info.Config.Cmd.slice(0, 5)).toEqual(['/usr/bin/python3', '-I', '-S', AGENT_SCRIPT, '--idle-exit-ms']);
    expect(Number(info.Config.Cmd[5])).toBeGreaterThan(0);
    expect(info.Config.WorkingDir).toBe('/workspace');
  });

  test('environment is exactly the fixed list: nothing from the host', () => {
    expect([...info.Config.Env].sort()).toEqual([...SANDBOX_ENV].sort());
    expect(JSON.stringify(info.Config.Env)).not.toContain('do-not-forward');
  });

  test('labels for the reaper', () => {
    expect(info.Config.Labels).toMatchObject({ 'paddock.sandbox': '1', 'paddock.scope': TEST_SCOPE, 'paddock.owner': ownerId });
    expect(info.Config.Labels['paddock.run']).toMatch(which === 'cold' ? /^spec-/ : /^pool-/);
  });
});

test('a configured OCI runtime is used (an unknown one fails as infrastructure)', async () => {
  const { sandbox } = testSandbox({ ownerId, runtime: 'paddock-no-such-runtime' });
  const run = sandbox.run({ runId: uniqueId('rt'), language: 'bash', code: 'true', limits: runLimits });
  await expect(run).rejects.toBeInstanceOf(SandboxInfraError);
  await sandbox.close();
});

describe('backstops inside the container, for a worker that vanished', () => {
  const spec = (idleExitMs: number) =>
    buildContainerSpec({ image: IMAGE, scope: TEST_SCOPE, ownerId, runId: uniqueId('backstop'), limits: runLimits, tmpfsMb: 4, fileSizeMb: 4, idleExitMs });

  /** Resolves once the agent's first frame (ready) arrives on the attach stream. */
  function agentSpoke(io: NodeJS.EventEmitter): Promise<void> {
    return new Promise((resolve) => io.once('data', () => resolve()));
  }

  test('mid-run: the agent kills the run at its budget + grace, counted from the run’s frame', async () => {
    const c = await docker.createContainer(spec(600_000));
    try {
      const io = await c.attach();
      const spoke = agentSpoke(io);
      await c.start();
      await spoke;
      const budget = 300;
      const frame = encodeRunFrame({ files: [{ path: 'main.sh', content: 'sleep 100' }], argv: ['/bin/bash', 'main.sh'], timeoutMs: budget, graceMs: BACKSTOP_GRACE_MS, keep: false });
      const sentAt = Date.now();
      io.write(frame);
      // The worker "dies": its connection goes, nobody will kill the container.
      await new Promise((r) => setTimeout(r, 50));
      io.destroy();
      expect(await c.wait()).toBe(0);
      const waited = Date.now() - sentAt;
      expect(waited).toBeGreaterThanOrEqual(budget + BACKSTOP_GRACE_MS);
      expect(waited).toBeLessThan(budget + BACKSTOP_GRACE_MS + 10_000);
    } finally {
      await c.remove();
    }
  });

  test('idle: the agent exits when the worker’s connection closes', async () => {
    const c = await docker.createContainer(spec(600_000));
    try {
      const io = await c.attach();
      const spoke = agentSpoke(io);
      await c.start();
      await spoke;
      io.destroy();
      expect(await c.wait()).toBe(0);
    } finally {
      await c.remove();
    }
  });

  test('idle and never attached: the agent exits after its idle limit', async () => {
    const c = await docker.createContainer(spec(300));
    try {
      await c.start();
      expect(await c.wait()).toBe(0);
      expect((await c.inspect()).durationMs).toBeGreaterThanOrEqual(300);
    } finally {
      await c.remove();
    }
  });
});
