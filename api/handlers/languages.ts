import { readRuntimes } from '../../core/runtimes';
import { LANGUAGE_SPECS } from '../../sandbox/protocol';
import { LANGUAGES, LIMIT_MINIMA, type Language } from '../../sandbox/types';
import type { Handler } from '../context';

/** What each language's runtime is; its version comes from the image (core/runtimes.ts). */
const RUNTIMES: Record<Language, { runtime: string; structuredTests: boolean }> = {
  python: { runtime: 'CPython (python3)', structuredTests: true },
  javascript: { runtime: 'Node.js', structuredTests: true },
  bash: { runtime: 'GNU Bash', structuredTests: false },
};

/**
 * GET /v1/languages → `{image, probedAt, languages: [{name, runtime, version, mainFile, structuredTests}], limits: {maxima, minima, tmpfsMb}}`.
 * Versions are what a worker's probe of the sandbox image found (null until a
 * worker of this system has started); maxima are the server's configured limits,
 * which a request's `limits` may only lower.
 */
export const listLanguages: Handler = async (ctx) => {
  const { config, redis } = ctx.deps;
  const probed = await readRuntimes(redis, config.QUEUE_PREFIX, config.SANDBOX_IMAGE);
  return {
    status: 200,
    body: {
      image: config.SANDBOX_IMAGE,
      probedAt: probed?.probedAt ?? null,
      languages: LANGUAGES.map((name) => ({
        name,
        runtime: RUNTIMES[name].runtime,
        version: probed?.versions[name] ?? null,
        mainFile: LANGUAGE_SPECS[name].mainFile,
        structuredTests: RUNTIMES[name].structuredTests,
      })),
      limits: {
        maxima: {
          timeoutMs: config.SANDBOX_MAX_TIMEOUT_MS,
          memoryMb: config.SANDBOX_MAX_MEMORY_MB,
          cpus: config.SANDBOX_MAX_CPUS,
          pids: config.SANDBOX_MAX_PIDS,
          outputBytes: config.SANDBOX_MAX_OUTPUT_BYTES,
        },
        minima: LIMIT_MINIMA,
        tmpfsMb: config.SANDBOX_TMPFS_MB,
      },
    },
  };
};
