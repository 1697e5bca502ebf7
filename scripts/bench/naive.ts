/**
 * The bench's peers that do not go through Paddock: (b) the naive design (per
 * job, one container created, attached, started, waited for and removed
 * through dockerode, the program as its command) and the machine's
 * container-lifecycle ceiling (the same hardened container running
 * `/bin/true`, not attached: the least a fresh container can cost here).
 */
import { execFileSync } from 'node:child_process';
import { createDockerClient } from '../../sandbox/docker';
import { Demuxer } from '../../sandbox/output';
import { buildContainerSpec, type ContainerSpec } from '../../sandbox/spec';
import type { SandboxLimits } from '../../sandbox/types';

export const docker = createDockerClient('/var/run/docker.sock');

/** The defaults of core/config.ts, so the naive containers get Paddock's limits. */
export const LIMITS: SandboxLimits = { timeoutMs: 10_000, memoryMb: 256, cpus: 1, pids: 64, outputBytes: 1_048_576 };

export interface NaiveTarget {
  image: string;
  scope: string;
  /** OCI runtime (dockerd `runtimes` name); Docker's default when absent. */
  runtime?: string;
}

function spec(target: NaiveTarget, cmd: string[]): ContainerSpec {
  const s = buildContainerSpec({
    image: target.image,
    ownerId: target.scope,
    runId: 'naive',
    scope: target.scope,
    limits: LIMITS,
    tmpfsMb: 64,
    fileSizeMb: 64,
    idleExitMs: 60_000,
    runtime: target.runtime,
  });
  s.Cmd = cmd;
  // No stdin to send: the program is the command.
  Object.assign(s, { OpenStdin: false, StdinOnce: false, AttachStdin: false });
  return s;
}

/** One naive job: create, attach, start, wait, remove; checks exit 0 and stdout. */
export async function naiveRun(target: NaiveTarget, cmd: string[], stdout: string): Promise<void> {
  const c = await docker.createContainer(spec(target, cmd));
  try {
    const io = await c.attach();
    let out = '';
    const demux = new Demuxer((stream, payload) => {
      if (stream === 'stdout') out += payload.toString('utf8');
    });
    const drained = new Promise<void>((resolve) => {
      io.on('data', (chunk: Buffer) => demux.push(chunk));
      io.once('end', resolve);
      io.once('close', resolve);
    });
    await c.start();
    const code = await c.wait();
    await drained;
    io.destroy();
    if (code !== 0 || out !== stdout) throw new Error(`naive run ${cmd.join(' ')}: exit ${code}, stdout ${JSON.stringify(out)}`);
  } finally {
    await c.remove();
  }
}

/** One bare container lifecycle (create, start, wait, remove) of `/bin/true`. */
export async function bareLifecycle(target: NaiveTarget): Promise<void> {
  const c = await docker.createContainer(spec(target, ['/bin/true']));
  try {
    await c.start();
    const code = await c.wait();
    if (code !== 0) throw new Error(`/bin/true exited ${code}`);
  } finally {
    await c.remove();
  }
}

/** OCI runtimes dockerd has registered (`docker info`), e.g. runc, crun, runsc. */
export function registeredRuntimes(): string[] {
  try {
    const out = execFileSync('docker', ['info', '--format', '{{json .Runtimes}}'], { encoding: 'utf8' });
    return Object.keys(JSON.parse(out) as Record<string, unknown>);
  } catch {
    return [];
  }
}
