/**
 * The hardened container spec: a pure function from (image, owner, run, limits)
 * to the Docker Engine API `ContainerCreate` body. Nothing here talks to Docker,
 * so the runner and (later) the warm pool share one definition of "hardened",
 * and test/sandbox/spec.test.ts checks it field by field against `inspect`.
 *
 * Every field that matters is explicit: Docker's defaults are not a sandbox.
 */
import type { SandboxLimits } from './types';

/** Labels on every sandbox container; the reaper selects by them. */
export const LABEL_SANDBOX = 'paddock.sandbox';
export const LABEL_OWNER = 'paddock.owner';
export const LABEL_RUN = 'paddock.run';
/**
 * Which deployment a container belongs to (e.g. the queue prefix). Reapers only
 * judge containers of their own scope: two Paddock systems sharing one Docker
 * engine (staging and production, or parallel test runs) must not reap each
 * other's containers just because they can't see each other's owners.
 */
export const LABEL_SCOPE = 'paddock.scope';
export const DEFAULT_SCOPE = 'default';

/** The unprivileged user baked into the image (docker/sandbox). */
export const SANDBOX_UID = 10001;
export const SANDBOX_GID = 10001;
export const WORKDIR = '/workspace';
/** The in-image bootstrap that receives files + argv on stdin (see protocol.ts). */
export const BOOT_SCRIPT = '/opt/paddock/boot.py';

/**
 * The whole environment of a sandboxed program. Fixed: nothing from the host's
 * environment is ever forwarded (secrets live there).
 */
export const SANDBOX_ENV: readonly string[] = [
  'PATH=/usr/local/bin:/usr/bin:/bin',
  `HOME=${WORKDIR}`,
  'LANG=C.UTF-8',
  'TMPDIR=/tmp',
  'PYTHONUNBUFFERED=1',
  'PYTHONDONTWRITEBYTECODE=1',
];

/**
 * Processes the wrapper itself needs (docker-init and `timeout`); added to the
 * run's pids limit so the program gets exactly `limits.pids`.
 */
export const PIDS_OVERHEAD = 2;

/** Open files per process (RLIMIT_NOFILE). */
export const NOFILE_LIMIT = 256;

/**
 * How long the in-container `timeout -s KILL` waits beyond the run's wall-clock
 * budget. The worker kills at the budget; this backstop only fires when the
 * worker could not (crashed, lost the Docker connection), so no container can
 * outlive its budget by more than this.
 */
export const BACKSTOP_GRACE_MS = 2000;

/** Subset of the Docker Engine API's ContainerCreate body that we set. */
export interface ContainerSpec {
  name?: string;
  Image: string;
  Cmd: string[];
  Entrypoint: string[];
  User: string;
  WorkingDir: string;
  Env: string[];
  Labels: Record<string, string>;
  Hostname: string;
  NetworkDisabled: boolean;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Tty: boolean;
  StopSignal: string;
  HostConfig: {
    NetworkMode: string;
    ReadonlyRootfs: boolean;
    Tmpfs: Record<string, string>;
    ShmSize: number;
    CapDrop: string[];
    CapAdd: string[];
    SecurityOpt: string[];
    Privileged: boolean;
    IpcMode: string;
    CgroupnsMode: string;
    PidsLimit: number;
    Memory: number;
    MemorySwap: number;
    MemorySwappiness?: number;
    NanoCpus: number;
    OomKillDisable: boolean;
    OomScoreAdj: number;
    Ulimits: { Name: string; Soft: number; Hard: number }[];
    Binds: string[];
    Mounts: unknown[];
    Devices: unknown[];
    AutoRemove: boolean;
    RestartPolicy: { Name: string; MaximumRetryCount: number };
    Init: boolean;
    LogConfig: { Type: string; Config: Record<string, string> };
    PublishAllPorts: boolean;
    Runtime?: string;
  };
}

export interface SpecInput {
  image: string;
  ownerId: string;
  runId: string;
  /** See LABEL_SCOPE. Default DEFAULT_SCOPE. */
  scope?: string;
  limits: SandboxLimits;
  /** Size cap in MiB of each of /workspace, /tmp and /dev/shm (memory-backed). */
  tmpfsMb: number;
  /** RLIMIT_FSIZE in MiB: the largest file a program may write. */
  fileSizeMb: number;
  /** OCI runtime, e.g. 'runsc'; Docker's default when absent. */
  runtime?: string;
}

const MiB = 1024 * 1024;

/** Docker container names allow [a-zA-Z0-9][a-zA-Z0-9_.-]*. */
function nameSafe(s: string): string {
  return s.replace(/[^a-zA-Z0-9_.-]/g, '-').slice(0, 64);
}

/** The command: the bootstrap under a hard kill-after backstop (see BACKSTOP_GRACE_MS). */
export function bootCommand(timeoutMs: number): string[] {
  const seconds = ((timeoutMs + BACKSTOP_GRACE_MS) / 1000).toFixed(3);
  return ['/usr/bin/timeout', '-s', 'KILL', `${seconds}s`, '/usr/bin/python3', '-I', '-S', BOOT_SCRIPT];
}

export function buildContainerSpec(input: SpecInput): ContainerSpec {
  const { limits } = input;
  const memory = Math.floor(limits.memoryMb * MiB);
  const tmpfsBytes = Math.floor(input.tmpfsMb * MiB);
  const fsize = Math.floor(input.fileSizeMb * MiB);
  const tmpfsOwner = `uid=${SANDBOX_UID},gid=${SANDBOX_GID}`;
  const suffix = Math.random().toString(16).slice(2, 8);
  return {
    name: `paddock-${nameSafe(input.runId)}-${suffix}`,
    Image: input.image,
    // Entrypoint is reset so an image's ENTRYPOINT can never wrap our command.
    Entrypoint: [],
    Cmd: bootCommand(limits.timeoutMs),
    User: `${SANDBOX_UID}:${SANDBOX_GID}`,
    WorkingDir: WORKDIR,
    Env: [...SANDBOX_ENV],
    Labels: {
      [LABEL_SANDBOX]: '1',
      [LABEL_SCOPE]: input.scope ?? DEFAULT_SCOPE,
      [LABEL_OWNER]: input.ownerId,
      [LABEL_RUN]: input.runId,
    },
    Hostname: 'sandbox',
    NetworkDisabled: true,
    // stdin carries the boot frame then the user's stdin; closing our side of
    // the attach closes the program's stdin (StdinOnce).
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: true,
    StdinOnce: true,
    Tty: false,
    StopSignal: 'SIGKILL',
    HostConfig: {
      NetworkMode: 'none',
      ReadonlyRootfs: true,
      // Programs run from /workspace, so it must not be noexec; nothing needs
      // to execute from /tmp. tmpfs pages are charged to the memory cgroup.
      Tmpfs: {
        [WORKDIR]: `rw,exec,nosuid,nodev,size=${tmpfsBytes},mode=0755,${tmpfsOwner}`,
        '/tmp': `rw,noexec,nosuid,nodev,size=${tmpfsBytes},mode=1777,${tmpfsOwner}`,
      },
      ShmSize: tmpfsBytes,
      CapDrop: ['ALL'],
      CapAdd: [],
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      IpcMode: 'private',
      // The program sees its own cgroup as /, not the host's cgroup paths.
      CgroupnsMode: 'private',
      PidsLimit: limits.pids + PIDS_OVERHEAD,
      Memory: memory,
      // Equal to Memory: no swap at all.
      MemorySwap: memory,
      NanoCpus: Math.round(limits.cpus * 1e9),
      OomKillDisable: false,
      // Under host memory pressure the kernel should pick sandboxes first.
      OomScoreAdj: 500,
      Ulimits: [
        { Name: 'nofile', Soft: NOFILE_LIMIT, Hard: NOFILE_LIMIT },
        { Name: 'fsize', Soft: fsize, Hard: fsize },
        { Name: 'core', Soft: 0, Hard: 0 },
      ],
      Binds: [],
      Mounts: [],
      Devices: [],
      // We inspect the exit state (OOMKilled, ExitCode) before removing ourselves.
      AutoRemove: false,
      RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
      // docker-init (tini) as PID 1 reaps zombies (fork bombs) and ends the
      // container as soon as the program's process tree root exits.
      Init: true,
      // Output is streamed over the attach; don't also write floods to host disk.
      LogConfig: { Type: 'none', Config: {} },
      PublishAllPorts: false,
      ...(input.runtime ? { Runtime: input.runtime } : {}),
    },
  };
}
