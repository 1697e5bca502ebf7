import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** Test helpers: the `paddock` CLI as a separate OS process. */

export const ROOT = path.resolve(__dirname, '../..');
const LAUNCHER = path.join(ROOT, 'scripts/cli/paddock.js');

export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code once the process has exited and its output is read. */
  exited: Promise<number | null>;
  /** Resolves once stdout or stderr (`which`) matches. */
  waitFor(which: 'stdout' | 'stderr', pattern: RegExp): Promise<RegExpMatchArray>;
}

export interface CliOptions {
  npx?: boolean;
  stdin?: string;
  /** On a pseudo-terminal (util-linux `script`): stdout and stderr arrive together, as a person sees them. */
  terminal?: boolean;
}

/**
 * Starts the CLI: through `npx paddock` (the package.json bin entry, as a user
 * types it) or straight through its launcher on this Node.
 */
export function cli(args: string[], env: Record<string, string>, opts: CliOptions = {}): CliProcess {
  const [cmd, argv] = opts.npx ? ['npx', ['--no-install', 'paddock', ...args]] : [process.execPath, [LAUNCHER, ...args]];
  if (opts.terminal) return start('script', ['-qfec', [cmd, ...argv].map(shellQuote).join(' '), '/dev/null'], env, opts);
  return start(cmd, argv, env, opts);
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function start(cmd: string, argv: string[], env: Record<string, string>, opts: CliOptions): CliProcess {
  const child = spawn(cmd, argv, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin!.end(opts.stdin ?? '');
  const out = { stdout: '', stderr: '' };
  const waiters: { which: 'stdout' | 'stderr'; pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      const m = out[w.which].match(w.pattern);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  child.stdout!.on('data', (b: Buffer) => ((out.stdout += b.toString()), check()));
  child.stderr!.on('data', (b: Buffer) => ((out.stderr += b.toString()), check()));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    child,
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    exited,
    waitFor(which, pattern) {
      return new Promise((resolve, reject) => {
        waiters.push({ which, pattern, resolve });
        check();
        void exited.then(() => reject(new Error(`paddock exited before its ${which} matched ${pattern}:\n${out.stdout}\n${out.stderr}`)));
      });
    },
  };
}

/** Runs the CLI to its end. */
export async function cliResult(args: string[], env: Record<string, string>, opts: CliOptions = {}) {
  const p = cli(args, env, opts);
  const code = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}
