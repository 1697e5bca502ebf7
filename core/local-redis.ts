import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * A private redis-server for development and tests, used only when REDIS_URL is
 * unset. In-memory (no persistence), loopback only, and with the eviction policy
 * BullMQ requires.
 *
 * Signals: the server runs in a session of its own (`detached`), so the
 * terminal's Ctrl-C, which goes to the whole foreground process group, reaches
 * Paddock only. Paddock decides when Redis stops: last, after everything that
 * still talks to it has closed.
 *
 * Lifetime: a small `sh` supervisor starts redis-server and watches its stdin, a
 * pipe whose other end only this process holds. EOF on it (close(), a normal
 * exit, a crash or `kill -9` of Paddock: the kernel closes the pipe in every
 * case) makes the supervisor stop the server with SIGTERM. So the server never
 * outlives its owner, without a timer or a pid file.
 */
export interface LocalRedis {
  url: string;
  close(): Promise<void>;
}

/**
 * `$1` is the server's scratch directory (removed when it exits, also when its
 * owner could not), `$2` the redis binary, the rest its arguments. The
 * supervisor exits with the server's exit status (127: binary not found). The watcher is killed once
 * the server is reaped, so it never signals a recycled pid (up to that one line).
 */
const SUPERVISOR = [
  'dir=$1; bin=$2; shift 2',
  // An asynchronous list's stdin is /dev/null in sh: keep the pipe on fd 3 for the watcher.
  'exec 3<&0',
  '"$bin" "$@" </dev/null 3<&- &',
  'server=$!',
  '( read -r _ <&3; kill -TERM "$server" 2>/dev/null ) &',
  'watcher=$!',
  'wait "$server"; code=$?',
  'kill "$watcher" 2>/dev/null',
  'rm -rf "$dir"',
  'exit "$code"',
].join('\n');

/** After EOF: how long redis may take to exit before its whole process group is killed. */
const STOP_TIMEOUT_MS = 5000;

export interface LocalRedisOptions {
  /** Address to listen on. Default 127.0.0.1; any other turns protected mode off (tests' simulated hosts reach it there). */
  bind?: string;
  /** More redis-server arguments, e.g. `--cluster-enabled yes`. */
  extraArgs?: string[];
}

export async function startLocalRedis(binary = 'redis-server', opts: LocalRedisOptions = {}): Promise<LocalRedis> {
  const bind = opts.bind ?? '127.0.0.1';
  const port = await freePort(bind);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paddock-redis-'));
  const args = ['--port', String(port), '--bind', bind, '--save', '', '--appendonly', 'no', '--dir', dir,
    '--maxmemory-policy', 'noeviction', '--protected-mode', bind === '127.0.0.1' ? 'yes' : 'no', ...(opts.extraArgs ?? [])];
  const child = spawn('sh', ['-c', SUPERVISOR, 'paddock-redis', dir, binary, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  // Nothing is ever written: the pipe exists to be closed. An EPIPE after the
  // supervisor exited is expected and must not become an unhandled 'error'.
  child.stdin!.on('error', () => {});
  try {
    await waitForReady(child, port, binary);
  } catch (err) {
    killGroup(child);
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    url: `redis://${bind}:${port}`,
    close() {
      closing ??= stop(child).finally(() => fs.rmSync(dir, { recursive: true, force: true }));
      return closing;
    },
  };
}

/** An unused port on `host` (the OS picks it; a tiny race remains until the caller binds it). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once redis logs that it accepts connections; rejects if it exits first. */
function waitForReady(child: ChildProcess, port: number, binary: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (buf: Buffer) => {
      output += buf.toString();
      if (output.includes('Ready to accept connections')) {
        cleanup();
        resolve();
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      if (code === 127) {
        reject(new Error(`cannot start ${binary} (not found); install redis-server or set REDIS_URL`));
        return;
      }
      reject(new Error(`redis-server on port ${port} exited (${code}) before it was ready:\n${output.slice(-2000)}`));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new Error(`cannot start redis-server (${err.message}); install it or set REDIS_URL`));
    };
    const cleanup = () => {
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
      // Keep draining so a chatty server never blocks on a full pipe.
      child.stdout?.resume();
      child.stderr?.resume();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/**
 * The supervisor leads its own process group (detached): this reaches it, the
 * watcher and the server. Only while the supervisor is unreaped, so the group id
 * cannot belong to anyone else yet.
 */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** EOF first (the supervisor stops redis with SIGTERM); the whole group is killed if that takes too long. */
function stop(child: ChildProcess): Promise<void> {
  if (exited(child)) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => killGroup(child), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.stdin!.end();
  });
}
