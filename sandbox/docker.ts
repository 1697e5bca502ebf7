/**
 * The only module that imports dockerode (STYLE rule 10). It exposes the few
 * Engine API calls the sandbox needs, converts every Docker failure into
 * `SandboxInfraError`, and hides the expected races (killing a container that
 * already exited, removing one that is already being removed) behind
 * idempotent operations. Never `docker.run()`: specs come from spec.ts.
 */
import type { Duplex } from 'node:stream';
import Docker from 'dockerode';
import { SandboxInfraError } from '../core/errors';
import type { ContainerSpec } from './spec';

export interface ExitState {
  running: boolean;
  exitCode: number;
  oomKilled: boolean;
  /** Epoch ms, or null when Docker has no valid timestamp. */
  startedAt: number | null;
  finishedAt: number | null;
  /** finishedAt - startedAt with Docker's sub-ms precision, or null. */
  durationMs: number | null;
}

export interface ContainerSummary {
  id: string;
  labels: Record<string, string>;
  state: string;
  createdAt: number;
}

export interface ContainerHandle {
  readonly id: string;
  /** Hijacked stdin+stdout+stderr stream (multiplexed; see output.ts). Call before start. */
  attach(): Promise<Duplex>;
  start(): Promise<void>;
  /** Resolves with the exit code once the container is not running. */
  wait(signal?: AbortSignal): Promise<number>;
  inspect(): Promise<ExitState>;
  /** The raw inspect document (tests check the hardening against it). */
  inspectRaw(): Promise<unknown>;
  /**
   * Whether dockerd logged an `oom` event for this container between `sinceMs` and
   * `untilMs` (epoch ms, the daemon's clock, e.g. from `inspect`). Reads the event log
   * and, when `untilMs` is still ahead, follows it until then: resolves by `untilMs` at
   * the latest, at once when the event is seen. False if the events can't be read.
   */
  oomLogged(sinceMs: number, untilMs: number): Promise<boolean>;
  /** Changes cgroup limits of a created or running container in place. */
  update(resources: ResourceUpdate): Promise<void>;
  /** SIGKILL; a container that is not running (or gone) is not an error. */
  kill(): Promise<void>;
  /** Force-remove; gone or already being removed is not an error. */
  remove(): Promise<void>;
}

/** The HostConfig resources `update` may change (see spec.ts `resourceUpdate`). */
export interface ResourceUpdate {
  Memory: number;
  MemorySwap: number;
  NanoCpus: number;
  /** Absent: left as it is (runsc, see spec.ts `limitsUpdate`). */
  PidsLimit?: number;
}

export interface DockerClient {
  ping(): Promise<void>;
  /** Creates (does not start) a container. Never pulls: a missing image is an error. */
  createContainer(spec: ContainerSpec): Promise<ContainerHandle>;
  /** All containers (any state) carrying every one of `labels` ("key" or "key=value"). */
  listContainers(labels: string[]): Promise<ContainerSummary[]>;
  container(id: string): ContainerHandle;
}

interface DockerError {
  statusCode?: number;
  message?: string;
}

function statusOf(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null ? (err as DockerError).statusCode : undefined;
}

function infra(what: string, err: unknown): SandboxInfraError {
  if (err instanceof SandboxInfraError) return err;
  const detail = err instanceof Error ? err.message.trim() : String(err);
  return new SandboxInfraError(`docker ${what} failed: ${detail}`, { cause: err });
}

async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw infra(what, err);
  }
}

function parseTime(s: string | undefined): number | null {
  if (!s || s.startsWith('0001-')) return null;
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : null;
}

/**
 * Docker timestamps carry nanoseconds (`2025-01-01T00:00:00.123456789Z`);
 * Date.parse keeps only milliseconds. finished - started in fractional ms.
 */
export function preciseDurationMs(startedAt: string | undefined, finishedAt: string | undefined): number | null {
  const split = (s: string | undefined): [number, number] | null => {
    const m = s ? /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(s) : null;
    if (!m || s!.startsWith('0001-')) return null;
    const whole = Date.parse(`${m[1]}${m[3]}`);
    return Number.isFinite(whole) ? [whole, m[2] ? Number(`0.${m[2]}`) * 1000 : 0] : null;
  };
  const a = split(startedAt);
  const b = split(finishedAt);
  if (!a || !b) return null;
  const d = b[0] - a[0] + (b[1] - a[1]);
  return d >= 0 ? d : null;
}

class Handle implements ContainerHandle {
  constructor(
    private readonly docker: Docker,
    private readonly c: Docker.Container,
  ) {}

  get id(): string {
    return this.c.id;
  }

  attach(): Promise<Duplex> {
    return call('attach', async () => {
      const stream = await this.c.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
      return stream as unknown as Duplex;
    });
  }

  start(): Promise<void> {
    return call('start', async () => {
      await this.c.start();
    });
  }

  wait(signal?: AbortSignal): Promise<number> {
    return call('wait', async () => {
      const res = (await this.c.wait({ condition: 'not-running', ...(signal ? { abortSignal: signal } : {}) })) as {
        StatusCode?: number;
        Error?: { Message?: string } | null;
      };
      if (res.Error?.Message) throw new Error(res.Error.Message);
      return res.StatusCode ?? -1;
    });
  }

  inspect(): Promise<ExitState> {
    return call('inspect', async () => {
      const info = await this.c.inspect();
      const s = info.State;
      return {
        running: s.Running,
        exitCode: s.ExitCode,
        oomKilled: s.OOMKilled,
        startedAt: parseTime(s.StartedAt),
        finishedAt: parseTime(s.FinishedAt),
        durationMs: preciseDurationMs(s.StartedAt, s.FinishedAt),
      };
    });
  }

  inspectRaw(): Promise<unknown> {
    return call('inspect', () => this.c.inspect());
  }

  async oomLogged(sinceMs: number, untilMs: number): Promise<boolean> {
    let stream: NodeJS.ReadableStream & { destroy?: () => void };
    try {
      stream = await this.events(sinceMs, untilMs);
    } catch {
      return false;
    }
    return new Promise((resolve) => {
      let buf = '';
      const done = (seen: boolean) => {
        stream.removeAllListeners();
        stream.on('error', () => {});
        stream.destroy?.();
        resolve(seen);
      };
      stream.on('data', (chunk: Buffer) => {
        buf += chunk.toString('utf8');
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          try {
            if ((JSON.parse(line) as { Action?: string }).Action === 'oom') return done(true);
          } catch {
            // a partial or foreign line: not an oom event
          }
        }
      });
      stream.on('end', () => done(false));
      stream.on('close', () => done(false));
      stream.on('error', () => done(false));
    });
  }

  private events(sinceMs: number, untilMs: number): Promise<NodeJS.ReadableStream> {
    return this.docker.getEvents({
      since: Math.floor(sinceMs / 1000),
      until: Math.ceil(untilMs / 1000),
      filters: { type: ['container'], container: [this.c.id], event: ['oom'] },
    });
  }

  update(resources: ResourceUpdate): Promise<void> {
    return call('update', async () => {
      await this.c.update({ ...resources });
    });
  }

  async kill(): Promise<void> {
    try {
      await this.c.kill({ signal: 'SIGKILL' });
    } catch (err) {
      const status = statusOf(err);
      if (status === 404 || status === 409) return; // gone, or not running
      throw infra('kill', err);
    }
  }

  async remove(): Promise<void> {
    try {
      await this.c.remove({ force: true, v: true });
    } catch (err) {
      const status = statusOf(err);
      if (status === 404 || status === 409) return; // gone, or removal already in progress
      throw infra('remove', err);
    }
  }
}

export function createDockerClient(socketPath: string): DockerClient {
  const docker = new Docker({ socketPath });
  return {
    ping: () =>
      call('ping', async () => {
        await docker.ping();
      }),
    createContainer: (spec) =>
      call('create', async () => new Handle(docker, await docker.createContainer(spec as Docker.ContainerCreateOptions))),
    listContainers: (labels) =>
      call('list', async () => {
        const list = await docker.listContainers({ all: true, filters: { label: labels } });
        return list.map((c) => ({ id: c.Id, labels: c.Labels ?? {}, state: c.State, createdAt: c.Created * 1000 }));
      }),
    container: (id) => new Handle(docker, docker.getContainer(id)),
  };
}

/** Start-up check: whether the engine at `socketPath` has `image` (a read-only look-up; rejects when the engine does not answer). */
export async function imageExists(socketPath: string, image: string): Promise<boolean> {
  try {
    await new Docker({ socketPath }).getImage(image).inspect();
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    throw err;
  }
}

/** Readiness probe: resolves when the Docker Engine at `socketPath` answers. */
export async function pingDocker(socketPath: string): Promise<void> {
  await createDockerClient(socketPath).ping();
}
