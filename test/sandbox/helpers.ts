/** Shared by the sandbox suites: real Docker, a unique owner per suite, leak checks. */
import { randomUUID } from 'node:crypto';
import { createDockerClient } from '../../sandbox/docker';
import { LABEL_OWNER, LABEL_RUN } from '../../sandbox/spec';
import type { SandboxLimits } from '../../sandbox/types';

export const SOCKET = '/var/run/docker.sock';
export const IMAGE = 'paddock-sandbox:v1';

export const docker = createDockerClient(SOCKET);

/**
 * One scope per test file: other Paddock systems on this Docker engine (other
 * suites' workers) have reapers that must never see our containers.
 */
export const TEST_SCOPE = `t${process.env.PADDOCK_TEST_RUN ?? 'x'}-${randomUUID().slice(0, 8)}`;

export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export const BASE_LIMITS: SandboxLimits = { timeoutMs: 5000, memoryMb: 128, cpus: 1, pids: 64, outputBytes: 256 * 1024 };

export async function containersOfOwner(ownerId: string): Promise<string[]> {
  return (await docker.listContainers([`${LABEL_OWNER}=${ownerId}`])).map((c) => c.id);
}

export async function containersOfRun(runId: string): Promise<string[]> {
  return (await docker.listContainers([`${LABEL_RUN}=${runId}`])).map((c) => c.id);
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** At most `n` callers run at once; the rest queue (FIFO). */
export function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((r) => queue.push(r));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}
