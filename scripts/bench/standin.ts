/**
 * The MongoDB stand-in as a process of its own for the bench (mongo-standin/serve.ts,
 * memory storage), as a real deployment has its mongod: served from the bench's
 * own process, every MongoDB reply waited for the bench clients' work on the same
 * event loop, which charged Paddock with the client's time.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../core/local-redis';

export interface StandinProcess {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startStandinProcess(root: string): Promise<StandinProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join('mongo-standin', 'serve.ts'), '--memory', '--port', String(port)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let errors = '';
  child.stderr!.on('data', (d: Buffer) => (errors = (errors + d.toString()).slice(-2000)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /mongo stand-in listening: (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the MongoDB stand-in exited (${code}) during start-up: ${errors}`)));
  });
  return {
    url,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
