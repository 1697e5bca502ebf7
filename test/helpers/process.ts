import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

export interface PaddockProcess {
  child: ChildProcess;
  /** The API url (roles all/api). */
  url?: string;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Everything it printed so far (stdout and stderr, interleaved as received). */
  output(): string;
}

export interface PaddockProcessOptions {
  /**
   * Start it as a terminal starts a foreground job: leader of its own process
   * group, so `process.kill(-child.pid, sig)` reaches it and everything it
   * spawned into that group (as Ctrl-C does). Callers must end the group.
   */
  detached?: boolean;
}

/**
 * Starts `scripts/start.ts` as a separate OS process (like `npm start`) and
 * resolves once it is ready: its API printed its url, or its worker logged ready.
 */
export function startPaddockProcess(env: Record<string, string>, opts: PaddockProcessOptions = {}): Promise<PaddockProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: opts.detached ?? false,
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const role = env.PADDOCK_ROLE ?? 'all';
  return new Promise((resolve, reject) => {
    let output = '';
    const handle: PaddockProcess = {
      child,
      exited,
      stop(signal = 'SIGTERM') {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        return exited;
      },
      output: () => output,
    };
    const onData = (buf: Buffer) => {
      output += buf.toString();
      const up = output.match(/Paddock is up: (http:\/\/\S+)/);
      const workerReady = output.includes('"msg":"worker ready"');
      if ((role === 'worker' && workerReady) || (role !== 'worker' && up)) {
        if (up) handle.url = up[1];
        child.stdout!.off('data', onData);
        child.stdout!.on('data', (more: Buffer) => (output += more.toString()));
        resolve(handle);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (buf: Buffer) => (output += buf.toString()));
    void exited.then((code) => reject(new Error(`paddock process exited (${code}) before it was ready:\n${output.slice(-3000)}`)));
  });
}

export interface PaddockExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `scripts/start.ts` expecting it to stop by itself (a start-up failure); kills it after `timeoutMs`. */
export function runPaddockUntilExit(env: Record<string, string>, timeoutMs: number): Promise<PaddockExit> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => {
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
