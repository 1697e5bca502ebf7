/**
 * The production spec builder + docker.ts create a container; `inspect` must
 * show every hardening field as we asked (Docker silently drops or rewrites
 * some settings on some hosts, so we check what it actually stored).
 */
import { SandboxInfraError } from '../../core/errors';
import { silentLogger } from '../../core/logger';
import { createSandbox } from '../../sandbox';
import type { ContainerHandle } from '../../sandbox/docker';
import {
  BACKSTOP_GRACE_MS,
  bootCommand,
  buildContainerSpec,
  NOFILE_LIMIT,
  PIDS_OVERHEAD,
  SANDBOX_ENV,
  type ContainerSpec,
} from '../../sandbox/spec';
import type { SandboxLimits } from '../../sandbox/types';
import { containersOfOwner, docker, IMAGE, SOCKET, TEST_SCOPE, uniqueId } from './helpers';

const ownerId = uniqueId('test-spec');
const runId = uniqueId('spec');
const limits: SandboxLimits = { timeoutMs: 7000, memoryMb: 96, cpus: 0.75, pids: 40, outputBytes: 1234 };
const MiB = 1024 * 1024;

let spec: ContainerSpec;
let container: ContainerHandle;
let info: any;

beforeAll(async () => {
  process.env.PADDOCK_SPEC_TEST_SECRET = 'do-not-forward';
  spec = buildContainerSpec({ image: IMAGE, scope: TEST_SCOPE, ownerId, runId, limits, tmpfsMb: 24, fileSizeMb: 8, runtime: 'runc' });
  container = await docker.createContainer(spec);
  info = await container.inspectRaw();
});

afterAll(async () => {
  delete process.env.PADDOCK_SPEC_TEST_SECRET;
  await container?.remove();
  expect(await containersOfOwner(ownerId)).toEqual([]);
});

const emptyish = (v: unknown) => v === null || v === undefined || (Array.isArray(v) && v.length === 0);

test('Docker stored every HostConfig field we set, unchanged', () => {
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

test('no privileges: cap-drop ALL, no-new-privileges, non-root, nothing unconfined', () => {
  expect(info.HostConfig.CapDrop).toEqual(['ALL']);
  expect(emptyish(info.HostConfig.CapAdd)).toBe(true);
  expect(info.HostConfig.Privileged).toBe(false);
  expect(info.HostConfig.SecurityOpt).toContain('no-new-privileges');
  for (const opt of info.HostConfig.SecurityOpt as string[]) expect(opt).not.toMatch(/unconfined/);
  expect(info.Config.User).toBe('10001:10001');
  expect(info.HostConfig.IpcMode).toBe('private');
  expect(info.HostConfig.PidMode).toBe('');
  expect(info.HostConfig.UTSMode).toBe('');
  expect(info.HostConfig.UsernsMode).toBe('');
  expect(info.HostConfig.CgroupnsMode).toBe('private');
});

test('resource limits: pids, memory = swap, cpus, nofile, fsize, no core dumps', () => {
  expect(info.HostConfig.PidsLimit).toBe(limits.pids + PIDS_OVERHEAD);
  expect(info.HostConfig.Memory).toBe(96 * MiB);
  expect(info.HostConfig.MemorySwap).toBe(96 * MiB);
  expect(info.HostConfig.OomKillDisable).toBe(false);
  expect(info.HostConfig.NanoCpus).toBe(750_000_000);
  const ulimits = Object.fromEntries((info.HostConfig.Ulimits as { Name: string; Soft: number; Hard: number }[]).map((u) => [u.Name, u]));
  expect(ulimits.nofile).toEqual({ Name: 'nofile', Soft: NOFILE_LIMIT, Hard: NOFILE_LIMIT });
  expect(ulimits.fsize).toEqual({ Name: 'fsize', Soft: 8 * MiB, Hard: 8 * MiB });
  expect(ulimits.core).toEqual({ Name: 'core', Soft: 0, Hard: 0 });
});

test('lifecycle: we remove it ourselves; init reaps; logs are not written to the host', () => {
  expect(info.HostConfig.AutoRemove).toBe(false);
  expect(info.HostConfig.RestartPolicy.Name).toBe('no');
  expect(info.HostConfig.Init).toBe(true);
  expect(info.HostConfig.LogConfig.Type).toBe('none');
  expect(info.HostConfig.Runtime).toBe('runc');
});

test('stdin carries the boot frame; the command is the bootstrap under a kill backstop', () => {
  expect(info.Config).toMatchObject({ OpenStdin: true, StdinOnce: true, Tty: false, AttachStdin: true });
  expect(emptyish(info.Config.Entrypoint)).toBe(true);
  expect(info.Config.Cmd).toEqual(bootCommand(limits.timeoutMs));
  expect(info.Config.Cmd.slice(0, 4)).toEqual(['/usr/bin/timeout', '-s', 'KILL', `${(limits.timeoutMs + BACKSTOP_GRACE_MS) / 1000}.000s`]);
  expect(info.Config.WorkingDir).toBe('/workspace');
});

test('environment is exactly the fixed list: nothing from the host', () => {
  expect([...info.Config.Env].sort()).toEqual([...SANDBOX_ENV].sort());
  expect(JSON.stringify(info.Config.Env)).not.toContain('do-not-forward');
});

test('labels for the reaper', () => {
  expect(info.Config.Labels).toMatchObject({ 'paddock.sandbox': '1', 'paddock.scope': TEST_SCOPE, 'paddock.owner': ownerId, 'paddock.run': runId });
});

test('a configured OCI runtime is used (an unknown one fails as infrastructure)', async () => {
  const owner = uniqueId('test-runtime');
  const sb = createSandbox({ image: IMAGE, socketPath: SOCKET, scope: TEST_SCOPE, ownerId: owner, runtime: 'paddock-no-such-runtime', tmpfsMb: 16, log: silentLogger() });
  const run = sb.run({ runId: uniqueId('rt'), language: 'bash', code: 'true', limits });
  await expect(run).rejects.toBeInstanceOf(SandboxInfraError);
  await sb.close();
  expect(await containersOfOwner(owner)).toEqual([]);
});

test('if the worker vanishes, the in-container backstop still kills the container at budget + grace', async () => {
  // Started but never fed: the bootstrap blocks on stdin, as if the worker died
  // right after `start`. Nobody kills it from outside.
  const budget = { ...limits, timeoutMs: 300 };
  const c = await docker.createContainer(
    buildContainerSpec({ image: IMAGE, scope: TEST_SCOPE, ownerId, runId: uniqueId('backstop'), limits: budget, tmpfsMb: 4, fileSizeMb: 4 }),
  );
  try {
    await c.start();
    expect(await c.wait()).toBe(137);
    const state = await c.inspect();
    expect(state.durationMs).toBeGreaterThanOrEqual(budget.timeoutMs + BACKSTOP_GRACE_MS);
  } finally {
    await c.remove();
  }
});
