/**
 * The wire protocol between the worker and the in-container agent
 * (docker/sandbox/rootfs/opt/paddock/agent.py), over the container's attached
 * stdin and stdout. The rootfs is read-only and the /workspace tmpfs only exists
 * once the container runs, and a pool container is started before its run is
 * known, so files, command and stdin travel in one frame:
 *
 *   worker → agent   [u32 N][N bytes RunHeader, binary (encodeRunFrame)][stdin]
 *   agent → worker   [u8 type][u32 L][L bytes], type ∈ R S O E P X F (see AgentFrame)
 *
 * The run header is binary, not JSON, so the agent needn't import Python's
 * `json` (12 ms of CPU for every container it boots).
 *
 * Only the agent writes the container's stdout (it is PID 1, non-dumpable and
 * another uid than the program, which gets its own pipes), so a program can't
 * forge a frame.
 */
import { ValidationError } from '../core/errors';
import type { Language, OutputRequest, SandboxFile } from './types';

export interface LanguageSpec {
  /** File the request's `code` is written to, in the workdir. */
  mainFile: string;
  /** What the agent execs (absolute paths: no PATH lookup needed). */
  argv: string[];
}

export const LANGUAGE_SPECS: Record<Language, LanguageSpec> = {
  python: { mainFile: 'main.py', argv: ['/usr/bin/python3', 'main.py'] },
  javascript: { mainFile: 'main.js', argv: ['/usr/local/bin/node', 'main.js'] },
  bash: { mainFile: 'main.sh', argv: ['/bin/bash', 'main.sh'] },
};

/**
 * Protocol version; the agent refuses any other, and the worker any agent that
 * reports another in its ready frame. 3: the agent starts as root with
 * spec.ts's AGENT_CAPS, runs as AGENT_UID and starts programs as SANDBOX_UID
 * (an older agent given those capabilities would run programs with them).
 * 4: output files (`outputs`, P frames) and sessions (`session`: kept without a wipe).
 * 5: a session run may go to the container's persistent Python interpreter
 * (`persistent`: keep byte 3), and the X frame says how that interpreter fared
 * (`kernelFresh`, `kernelLost`).
 */
export const PROTOCOL_VERSION = 5;

/** Exit status when the agent cannot set the program up (bad file, exec failed). */
export const BOOT_FAILURE_EXIT = 125;

const MAX_FILES = 1000;
const MAX_PATH = 255;

/**
 * Checks one relative path: not absolute, no `..`, no empty or odd segments.
 * Returns the normalised path (`./a//b` → `a/b`). The agent checks again.
 */
export function normaliseFilePath(path: string): string {
  if (typeof path !== 'string' || path.length === 0 || path.length > MAX_PATH) {
    throw new ValidationError(`file path must be 1..${MAX_PATH} characters`, { path });
  }
  if (path.startsWith('/') || path.includes('\\') || path.includes('\0')) {
    throw new ValidationError('file path must be relative, with / separators', { path });
  }
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.some((p) => p === '..')) {
    throw new ValidationError('file path must stay inside the workdir', { path });
  }
  return parts.join('/');
}

/** Validates the files and puts the main program first. */
export function planFiles(language: Language, code: string, files: SandboxFile[] = []): SandboxFile[] {
  const { mainFile } = LANGUAGE_SPECS[language];
  if (files.length > MAX_FILES) throw new ValidationError(`at most ${MAX_FILES} files`);
  const seen = new Set<string>([mainFile]);
  const out: SandboxFile[] = [{ path: mainFile, content: code }];
  for (const f of files) {
    const path = normaliseFilePath(f.path);
    // A file may not also be a directory of another (a vs a/b) or repeat one.
    const prefixes = path.split('/').slice(0, -1).map((_, i, a) => a.slice(0, i + 1).join('/'));
    if (seen.has(path) || prefixes.some((p) => seen.has(p)) || [...seen].some((s) => s.startsWith(path + '/'))) {
      throw new ValidationError('file paths must be unique and not overlap the main file', { path });
    }
    seen.add(path);
    out.push({ path, content: String(f.content) });
  }
  return out;
}

const KEEP_SESSION = 2;
const KEEP_PERSISTENT = 3;

const OUTPUT_MODES = { content: 0, list: 1, exact: 2 } as const;

export interface RunHeader {
  files: { path: string; content: string | Buffer }[];
  argv: string[];
  /** The agent's backstop SIGKILLs the run at timeoutMs + graceMs after the frame arrives. */
  timeoutMs: number;
  graceMs: number;
  /** Warm reuse: after the run, kill everything, wipe, report ready again (instead of exiting). */
  keep: boolean;
  /** A session: kept after the run without a wipe; the run's files replace existing ones. */
  session?: boolean;
  /**
   * A session run executed by the container's persistent Python interpreter
   * (agent.py `Kernel`): its variables outlive the run. Implies `session`.
   */
  persistent?: boolean;
  outputs?: OutputRequest;
  stdin?: string;
}

/**
 * One run frame, ready to write to the attach stream. Header layout (big-endian):
 * u8 version, u32 timeoutMs, u32 graceMs, u8 keep (0 single-use, 1 reuse, 2 session,
 * 3 session run in the persistent interpreter), u32 stdinBytes,
 * u16 argc + argc × (u32 len, UTF-8), u32 nfiles + nfiles × (u32 len, path, u32 len, content).
 */
export function encodeRunFrame(h: RunHeader): Buffer {
  const parts: Buffer[] = [];
  const u = (bytes: number, v: number) => {
    const b = Buffer.alloc(bytes);
    b.writeUIntBE(v, 0, bytes);
    parts.push(b);
  };
  const str = (v: string | Buffer) => {
    const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
    u(4, b.length);
    parts.push(b);
  };
  const stdin = Buffer.from(h.stdin ?? '', 'utf8');
  u(1, PROTOCOL_VERSION);
  u(4, Math.min(0xffffffff, Math.round(h.timeoutMs)));
  u(4, Math.round(h.graceMs));
  u(1, h.persistent ? KEEP_PERSISTENT : h.session ? KEEP_SESSION : h.keep ? 1 : 0);
  u(4, stdin.length);
  u(2, h.argv.length);
  for (const a of h.argv) str(a);
  u(4, h.files.length);
  for (const f of h.files) {
    str(f.path);
    str(f.content);
  }
  const out = h.outputs;
  u(2, out?.globs.length ?? 0);
  for (const g of out?.globs ?? []) str(g);
  for (const cap of [out?.maxFiles, out?.maxFileBytes, out?.maxTotalBytes]) u(4, Math.min(0xffffffff, cap ?? 0));
  u(1, OUTPUT_MODES[out?.mode ?? 'content']);
  const header = Buffer.concat(parts);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(header.length, 0);
  return Buffer.concat([len, header, stdin]);
}

/** How a run ended, as the agent saw it (its `X` frame). */
export interface AgentExit {
  /** Exit status, or 128 + n when killed by signal n (as a shell reports it). */
  exitCode: number;
  signal: number | null;
  /** Fork to reap of the program's root process, in the agent's monotonic clock. */
  wallNs: number;
  /** User + system CPU of every process of the run (all reaped by the agent). */
  cpuNs: number;
  /** Kernel OOM kills in the container's memory cgroup during the run (null: unreadable). */
  oomKills: number | null;
  /** memory.max_usage_in_bytes of the container's cgroup after the run (the agent included). */
  memPeak: number | null;
  /** Whether that peak was reached during this run (always, for a fresh container). */
  memPeakRose: boolean;
  /** The agent's own backstop killed the run (the worker did not). */
  backstop: boolean;
  /** Output files that matched but were left out by a cap. */
  filesDropped?: number;
  /** Persistent runs only: the interpreter was started for this run (no earlier variables). */
  kernelFresh?: boolean;
  /** Persistent runs only: the interpreter died (or was killed) during this run; its variables are gone. */
  kernelLost?: boolean;
}

export type AgentFrame =
  | { type: 'ready'; pid: number; version: number }
  | { type: 'started'; pid: number }
  | { type: 'stdout' | 'stderr'; data: Buffer }
  /** Part of one output file: the first frame of a file has no data (`size` is the whole file's). */
  | { type: 'file'; path: string; size: number; data: Buffer }
  | { type: 'exit'; exit: AgentExit }
  | { type: 'fatal'; message: string };

/** The agent never writes a frame this large (it relays output in 64 KiB reads). */
const MAX_AGENT_FRAME = 1 << 20;

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** Incremental parser of the agent's frames (headers and payloads may straddle chunks). */
export class AgentFrameParser {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly sink: (frame: AgentFrame) => void) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    while (this.buf.length >= 5) {
      const len = this.buf.readUInt32BE(1);
      if (len > MAX_AGENT_FRAME) throw new ProtocolError(`agent frame of ${len} bytes`);
      if (this.buf.length < 5 + len) return;
      const type = String.fromCharCode(this.buf[0]!);
      const payload = this.buf.subarray(5, 5 + len);
      this.buf = this.buf.subarray(5 + len);
      this.sink(decode(type, payload));
    }
  }
}

function decode(type: string, payload: Buffer): AgentFrame {
  switch (type) {
    case 'O':
      return { type: 'stdout', data: payload };
    case 'E':
      return { type: 'stderr', data: payload };
    case 'P': {
      if (payload.length < 6) throw new ProtocolError('short file frame');
      const n = payload.readUInt16BE(0);
      if (payload.length < 6 + n) throw new ProtocolError('short file frame');
      return { type: 'file', path: payload.subarray(2, 2 + n).toString('utf8'), size: payload.readUInt32BE(2 + n), data: payload.subarray(6 + n) };
    }
    case 'R': {
      const v = json(payload);
      return { type: 'ready', pid: Number(v.pid), version: Number(v.v) };
    }
    case 'S':
      return { type: 'started', pid: Number(json(payload).pid) };
    case 'X':
      return { type: 'exit', exit: json(payload) as unknown as AgentExit };
    case 'F':
      return { type: 'fatal', message: payload.toString('utf8') };
    default:
      throw new ProtocolError(`unknown agent frame type ${JSON.stringify(type)}`);
  }
}

function json(payload: Buffer): Record<string, unknown> {
  try {
    const v = JSON.parse(payload.toString('utf8')) as unknown;
    if (typeof v === 'object' && v !== null) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new ProtocolError('agent frame is not a JSON object');
}

