/** The sandbox's public surface: the contract types, the runner (with its warm pool), the reaper and a readiness probe. */
export * from './types';
export { createSandbox, type PooledSandbox, type SandboxEvent, type SandboxOptions, type SandboxStats } from './runner';
export { SandboxSession, SessionEndedError, type SessionEndReason, type SessionOptions, type SessionRunRequest } from './session';
export { createReaper, type ReaperOptions } from './reaper';
export { imageExists, pingDocker } from './docker';
