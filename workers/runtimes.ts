import type { Redis } from 'ioredis';
import type { Logger } from '../core/logger';
import { parseProbe, PROBE_SCRIPT, publishRuntimes } from '../core/runtimes';
import type { Sandbox, SandboxLimits } from '../sandbox';

export interface ProbeOptions {
  sandbox: Sandbox;
  redis: Redis;
  prefix: string;
  image: string;
  /** The pool's limits, so the probe takes a pool container as it is. */
  limits: SandboxLimits;
  ownerId: string;
  signal: AbortSignal;
  log: Logger;
}

/**
 * Asks the sandbox image which runtime versions it has, by running a probe
 * program in a sandbox like any run, and publishes the answer for the API
 * (GET /v1/languages). Once per worker start: a rebuilt image under the same
 * tag is probed again. A failure is logged; it only leaves versions unknown.
 */
export async function probeRuntimes(o: ProbeOptions): Promise<void> {
  try {
    const result = await o.sandbox.run({
      runId: `runtime-probe-${o.ownerId}`, language: 'bash', code: PROBE_SCRIPT, limits: o.limits, signal: o.signal,
    });
    if (o.signal.aborted) return;
    const versions = parseProbe(result.stdout);
    if (result.verdict !== 'ok' || Object.keys(versions).length === 0) {
      o.log.warn({ verdict: result.verdict, stderr: result.stderr.slice(0, 500) }, 'the sandbox runtime probe found no versions');
      return;
    }
    await publishRuntimes(o.redis, o.prefix, { image: o.image, probedAt: new Date().toISOString(), versions });
    o.log.debug({ image: o.image, versions }, 'sandbox runtimes probed');
  } catch (err) {
    if (!o.signal.aborted) o.log.warn({ err }, 'the sandbox runtime probe failed; GET /v1/languages shows no versions until a worker probes again');
  }
}
