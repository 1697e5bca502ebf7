/** The sandbox's public surface: the contract types, the runner, the reaper and a readiness probe. */
export * from './types';
export { createSandbox, type SandboxOptions } from './runner';
export { createReaper, type ReaperOptions } from './reaper';
export { pingDocker } from './docker';
