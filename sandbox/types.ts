/**
 * The sandbox's public contract. Workers depend on these types only; everything
 * that talks to Docker lives behind `Sandbox`.
 */

export const LANGUAGES = ['python', 'javascript', 'bash'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Effective limits of one run (already clamped to the server's maxima). */
export interface SandboxLimits {
  /** Wall-clock budget; the container is killed when it runs out. */
  timeoutMs: number;
  /** Memory limit; swap is set equal, so there is no swap. */
  memoryMb: number;
  /** CPU quota in cores (0.5 = half a core). */
  cpus: number;
  /** Maximum number of processes/threads. */
  pids: number;
  /** Bytes of stdout + stderr kept; the rest is discarded and `truncated` set. */
  outputBytes: number;
}

/**
 * The smallest limits a sandbox accepts: the API validates requests against
 * these, so a run that cannot be started is refused at submission. Memory below
 * what the agent needs to start still runs, and ends `memory_exceeded`.
 */
export const LIMIT_MINIMA: Readonly<SandboxLimits> = {
  timeoutMs: 1,
  memoryMb: 6, // Docker's minimum
  cpus: 0.01, // the CFS quota's resolution Docker accepts
  pids: 1,
  outputBytes: 0,
};

export interface SandboxFile {
  /** Relative path inside the workdir; no `..`, not absolute. */
  path: string;
  content: string;
}

/** Which files of /workspace come back after the run (the agent sends them), within caps. */
export interface OutputRequest {
  /** Globs relative to /workspace (`*`, `?` within a segment, `**` across), or literal paths in mode `exact`. */
  globs: string[];
  maxFiles: number;
  maxFileBytes: number;
  maxTotalBytes: number;
  /** `content` (default): the files; `list`: paths and sizes only; `exact`: `globs` are literal paths. */
  mode?: 'content' | 'list' | 'exact';
}

/** One file a run left in /workspace (`content` is empty when only listed). */
export interface OutputFile {
  path: string;
  size: number;
  content: Buffer;
}

export interface ExecRequest {
  runId: string;
  language: Language;
  /** The main program: written to main.py / main.js / main.sh in the workdir. */
  code: string;
  files?: SandboxFile[];
  stdin?: string;
  limits: SandboxLimits;
  /**
   * Opt-in warm reuse: runs with the same key (one owner) may share a container,
   * wiped between runs. Unset: a fresh single-use container.
   */
  reuseKey?: string;
  /** Files to collect from /workspace once the program has exited. */
  outputs?: OutputRequest;
  /** Aborting kills the container; the result's verdict is then `killed`. */
  signal?: AbortSignal;
  /** Called with each output chunk as it arrives (already within the byte cap). Must not throw. */
  onOutput?: (stream: 'stdout' | 'stderr', chunk: string) => void;
}

export type Verdict = 'ok' | 'runtime_error' | 'timeout' | 'memory_exceeded' | 'output_limit' | 'killed';

export interface ExecResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  truncated: boolean;
  wallMs: number;
  cpuMs?: number;
  memoryPeakBytes?: number;
  /**
   * Present when the container's memory accounting could not be read (gVisor:
   * no cgroup filesystem inside the sandbox): there is then no
   * `memoryPeakBytes`, and a memory limit shows only when the whole sandbox is
   * OOM-killed. Absent: `memoryPeakBytes` and the OOM verdict come from the
   * container's memory cgroup.
   */
  accounting?: MemoryAccountingUnavailable;
  verdict: Verdict;
  /** The files `outputs` matched, in path order (absent without `outputs`). */
  files?: OutputFile[];
  /** Matching files a cap left out. */
  filesDropped?: number;
  /** Present for a session run in the persistent interpreter (`SessionRunRequest.persistent`). */
  interpreter?: InterpreterState;
}

/** How the persistent interpreter of a session fared in one run. */
export interface InterpreterState {
  persistent: true;
  /** Started for this run: no variable of an earlier run exists (the first persistent run, or after one was lost). */
  fresh: boolean;
  /** It died during this run (exit, signal, OOM kill, timeout): its variables are gone, the next persistent run gets a fresh one. */
  lost?: true;
}

export interface MemoryAccountingUnavailable {
  memory: 'unavailable';
  reason: string;
}

export interface Sandbox {
  /**
   * Runs one program in a hardened container that runs nothing else: a fresh,
   * single-use one (pre-started by the warm pool, or created on demand) that is
   * always removed, or — only with `reuseKey` — that key's warm container, wiped
   * between runs. User-program outcomes (crash, timeout, OOM, flood) are results;
   * only Docker failures throw, as `SandboxInfraError`.
   */
  run(request: ExecRequest): Promise<ExecResult>;
  /** Kills runs in flight and removes every container this instance created (pool and reuse included). Idempotent. */
  close(): Promise<void>;
}
