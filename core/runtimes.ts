import type { Redis } from 'ioredis';
import { LANGUAGES, type Language } from '../sandbox/types';

/**
 * The language runtimes a sandbox image really has, as a worker found them by
 * running a probe in that image at start-up (workers/runtimes.ts), kept in
 * Redis for every API node (GET /v1/languages). Never a version typed into the code.
 */
export interface RuntimeVersions {
  image: string;
  /** ISO 8601: when the probe ran. */
  probedAt: string;
  /** Version per language, as the runtime itself reports it (absent: the probe found none). */
  versions: Partial<Record<Language, string>>;
}

const key = (prefix: string, image: string) => `${prefix}:sandbox:runtimes:${image}`;

export async function publishRuntimes(redis: Redis, prefix: string, found: RuntimeVersions): Promise<void> {
  await redis.set(key(prefix, found.image), JSON.stringify(found));
}

/** What the last probe of `image` found, or null when no worker of this system has probed it yet. */
export async function readRuntimes(redis: Redis, prefix: string, image: string): Promise<RuntimeVersions | null> {
  const raw = await redis.get(key(prefix, image));
  if (!raw) return null;
  try {
    return JSON.parse(raw) as RuntimeVersions;
  } catch {
    return null;
  }
}

/** The probe program (bash): one `language=version` line per runtime, each as the runtime reports itself. */
export const PROBE_SCRIPT = [
  `echo "python=$(python3 -c 'import platform; print(platform.python_version())' 2>/dev/null)"`,
  `echo "javascript=$(node -p process.versions.node 2>/dev/null)"`,
  'echo "bash=${BASH_VERSION%%(*}"',
].join('\n');

const VERSION = /^\d+(\.\d+)*[A-Za-z0-9.+-]*$/;

/** Reads the probe's output; a line that is not a plausible version is left out. */
export function parseProbe(stdout: string): RuntimeVersions['versions'] {
  const out: RuntimeVersions['versions'] = {};
  for (const line of stdout.split('\n')) {
    const [name, value] = [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1).trim()];
    if ((LANGUAGES as readonly string[]).includes(name) && VERSION.test(value)) out[name as Language] = value;
  }
  return out;
}
