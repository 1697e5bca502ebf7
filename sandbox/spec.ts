/**
 * The hardened container spec: a pure function from (image, owner, run, limits)
 * to the Docker Engine API `ContainerCreate` body. Nothing here talks to Docker,
 * so the cold path, the warm pool and warm reuse share one definition of
 * "hardened", and test/sandbox/spec.test.ts checks it field by field against
 * `inspect` of a container made by each.
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

/**
 * The two users baked into the image (docker/sandbox): every program runs as
 * SANDBOX_UID, the agent as AGENT_UID, so no program can prlimit, renice, pin,
 * signal or ptrace the agent (the kernel allows those only within one uid).
 * The agent itself sets both (agent.py); these mirror it.
 */
export const SANDBOX_UID = 10001;
export const SANDBOX_GID = 10001;
export const AGENT_UID = 10000;
export const AGENT_GID = 10000;
/**
 * The container's user: root, but only for the agent's first instructions —
 * with no capability beyond AGENT_CAPS it empties its bounding set and becomes
 * AGENT_UID before it reads a frame, keeping CAP_KILL, CAP_SETGID and CAP_SETUID.
 * (Docker gives a non-root container user no effective capabilities, and no
 * ambient ones, so the agent could not start programs as another uid.)
 */
export const CONTAINER_USER = '0:0';
/**
 * Everything the container may hold, all for the agent: CAP_KILL (kill every
 * process of a run), CAP_SETGID/CAP_SETUID (start programs as SANDBOX_UID),
 * CAP_SETPCAP (empty the bounding set at start; dropped right after).
 */
export const AGENT_CAPS: readonly string[] = ['CAP_KILL', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP'];
export const WORKDIR = '/workspace';
/** The in-image agent, PID 1 of every sandbox container (see protocol.ts). */
export const AGENT_SCRIPT = '/opt/paddock/agent.py';

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
  // matplotlib: draw to files, and keep its font cache out of /workspace (where outputs are collected).
  'MPLBACKEND=Agg',
  'MPLCONFIGDIR=/tmp/matplotlib',
];

/**
 * Processes the wrapper itself needs (the agent); added to the run's pids limit
 * so the program gets exactly `limits.pids`.
 */
export const PIDS_OVERHEAD = 1;

/**
 * Under gVisor the container's pids cgroup holds runsc's own host threads (the
 * Sentry and the Gofer: ~35 before the agent starts, ~80 with a 20-thread
 * program, measured here), not the program's processes, which are tasks inside
 * the Sentry. The cgroup then only bounds runsc; the run's `pids` is not a
 * process count there (runsc 20221219 has no pids controller inside).
 */
export const RUNSC_PIDS_OVERHEAD = 128;

/**
 * Host threads runsc may add per process of the program (its ptrace platform
 * runs a stub process per address space, and the Sentry a host thread per
 * task blocked in a system call; Go never gives threads back, so churn counts).
 * The program's processes are capped by RLIMIT_NPROC (`runtimeUlimits`); this
 * keeps the host cgroup above what that many processes cost runsc, so a fork
 * bomb meets EAGAIN inside the sandbox instead of killing runsc (a container
 * that dies: an infrastructure error). Measured here, the bash fork bomb at 32
 * processes peaks at ~450 host threads (~10 per process above the overhead);
 * with 8 per process (384) the Sentry hit the cgroup's limit and died (exit 2)
 * in 1 run of 3.
 */
export const RUNSC_PIDS_PER_PROCESS = 24;

function hostPidsLimit(runtime: string | undefined, pids: number): number {
  return runtime === 'runsc' ? RUNSC_PIDS_OVERHEAD + RUNSC_PIDS_PER_PROCESS * pids : pids + PIDS_OVERHEAD;
}

/**
 * Under gVisor the program's processes are bounded by RLIMIT_NPROC instead,
 * which the Sentry enforces per uid inside its own kernel (the sandbox user's
 * processes only; the agent is another uid). Without it a fork bomb exhausts
 * runsc's host threads or memory and the container dies (an infrastructure
 * error, not a verdict). Only under runsc: on runc, RLIMIT_NPROC would count
 * every process of uid 10001 on the host, across all sandboxes. Set at
 * creation (`docker update` cannot change it), so a pool container lowered to
 * a run's limits keeps the pool's process cap.
 */
function runtimeUlimits(runtime: string | undefined, pids: number): { Name: string; Soft: number; Hard: number }[] {
  return runtime === 'runsc' ? [{ Name: 'nproc', Soft: pids, Hard: pids }] : [];
}

/** Open files per process (RLIMIT_NOFILE). */
export const NOFILE_LIMIT = 256;

/**
 * How long the agent's own backstop waits beyond the run's wall-clock budget
 * (counted from the run's frame, not the container's start). The worker kills at
 * the budget; the backstop only fires when the worker could not (crashed, lost
 * the Docker connection), so no run outlives its budget by more than this.
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
  /** The run, or `pool-…` for a container made before its run is known. */
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
  /**
   * The agent exits (and the container ends) after this long without a run:
   * the backstop for a worker that vanished while its pool containers waited.
   */
  idleExitMs: number;
  /**
   * Single-use pool containers: the interpreter the agent starts ahead of the
   * run (agent.py `--prestart`), so its start-up is off the hot path.
   */
  prestart?: 'python' | 'javascript';
}

const MiB = 1024 * 1024;

/** Docker container names allow [a-zA-Z0-9][a-zA-Z0-9_.-]*. */
function nameSafe(s: string): string {
  return s.replace(/[^a-zA-Z0-9_.-]/g, '-').slice(0, 64);
}

/** The command: the agent, which waits for its run on stdin (see protocol.ts). */
export function agentCommand(idleExitMs: number, prestart?: 'python' | 'javascript'): string[] {
  const cmd = ['/usr/bin/python3', '-I', '-S', AGENT_SCRIPT, '--idle-exit-ms', String(Math.round(idleExitMs))];
  return prestart ? [...cmd, '--prestart', prestart] : cmd;
}

/**
 * The cgroup limits of `limits`, as `docker update` takes them: a warm container
 * made with the server maxima is brought down to a run's lower limits with
 * exactly the values `buildContainerSpec` would have used.
 */
export function resourceUpdate(limits: Pick<SandboxLimits, 'memoryMb' | 'cpus' | 'pids'>, runtime?: string): {
  Memory: number;
  MemorySwap: number;
  NanoCpus: number;
  PidsLimit: number;
} {
  const memory = Math.floor(limits.memoryMb * MiB);
  // MemorySwap equal to Memory: no swap at all.
  return { Memory: memory, MemorySwap: memory, NanoCpus: Math.round(limits.cpus * 1e9), PidsLimit: hostPidsLimit(runtime, limits.pids) };
}

/**
 * What `docker update` changes when a warm container is lowered to a run's
 * limits. Under runsc the host pids limit stays as created: RLIMIT_NPROC (set
 * at creation, unchangeable) still allows the creation-time process count,
 * and runsc needs the host threads for it.
 */
export function limitsUpdate(limits: Pick<SandboxLimits, 'memoryMb' | 'cpus' | 'pids'>, runtime?: string): ResourceUpdateBody {
  const { PidsLimit, ...rest } = resourceUpdate(limits, runtime);
  return runtime === 'runsc' ? rest : { ...rest, PidsLimit };
}

type ResourceUpdateBody = Omit<ReturnType<typeof resourceUpdate>, 'PidsLimit'> & { PidsLimit?: number };

export function buildContainerSpec(input: SpecInput): ContainerSpec {
  const { limits } = input;
  const resources = resourceUpdate(limits, input.runtime);
  const tmpfsBytes = Math.floor(input.tmpfsMb * MiB);
  const fsize = Math.floor(input.fileSizeMb * MiB);
  const tmpfsOwner = `uid=${SANDBOX_UID},gid=${SANDBOX_GID}`;
  const suffix = Math.random().toString(16).slice(2, 8);
  return {
    name: `paddock-${nameSafe(input.runId)}-${suffix}`,
    Image: input.image,
    // Entrypoint is reset so an image's ENTRYPOINT can never wrap our command.
    Entrypoint: [],
    Cmd: agentCommand(input.idleExitMs, input.prestart),
    User: CONTAINER_USER,
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
    // stdin carries run frames (protocol.ts). StdinOnce: when the worker's
    // attach connection closes, the agent reads EOF and ends the container.
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
      CapAdd: [...AGENT_CAPS],
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      IpcMode: 'private',
      // The program sees its own cgroup as /, not the host's cgroup paths.
      CgroupnsMode: 'private',
      PidsLimit: resources.PidsLimit,
      Memory: resources.Memory,
      // Equal to Memory: no swap at all.
      MemorySwap: resources.MemorySwap,
      NanoCpus: resources.NanoCpus,
      OomKillDisable: false,
      // Under host memory pressure the kernel should pick sandboxes first.
      OomScoreAdj: 500,
      Ulimits: [
        { Name: 'nofile', Soft: NOFILE_LIMIT, Hard: NOFILE_LIMIT },
        { Name: 'fsize', Soft: fsize, Hard: fsize },
        { Name: 'core', Soft: 0, Hard: 0 },
        ...runtimeUlimits(input.runtime, limits.pids),
      ],
      Binds: [],
      Mounts: [],
      Devices: [],
      // We remove it ourselves (off the hot path), after inspecting if need be.
      AutoRemove: false,
      RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
      // No docker-init: the agent is PID 1. It reaps zombies (fork bombs), kills
      // every process of a run when the run's root process exits, and — another
      // uid than the program's, and non-dumpable — can be neither signalled,
      // ptraced, reniced nor prlimited by the program, nor have its stdio
      // (/proc/1/fd) opened. docker-init would add a process the agent does not
      // control, holding the container's stdio.
      Init: false,
      // Output is streamed over the attach; don't also write floods to host disk.
      LogConfig: { Type: 'none', Config: {} },
      PublishAllPorts: false,
      ...(input.runtime ? { Runtime: input.runtime } : {}),
    },
  };
}
