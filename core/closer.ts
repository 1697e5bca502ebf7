import type { Logger } from './logger';

export interface CloserOptions {
  /**
   * Default bound, in ms, on each step. A step still running after it is logged
   * and left behind (a promise cannot be cancelled), and the next step starts:
   * one hung resource (a Redis that went away, a stuck socket) must not keep the
   * rest, or the process, from closing. Unset: steps are awaited however long
   * they take.
   */
  stepTimeoutMs?: number;
}

export interface StepOptions {
  /** This step's bound instead of the default (e.g. a drain that has a grace period). */
  timeoutMs?: number;
}

/**
 * Release steps registered as resources are opened, run last-in-first-out on
 * close. A failing (or, when bounded, hanging) step is logged and the rest still
 * run; close is memoised, so calling it twice (two signals, a failed start) is safe.
 */
export class Closer {
  private readonly steps: { name: string; run: () => Promise<void>; timeoutMs?: number }[] = [];
  private closing: Promise<void> | undefined;

  constructor(
    private readonly log: Logger,
    private readonly opts: CloserOptions = {},
  ) {}

  add(name: string, run: () => Promise<void>, opts: StepOptions = {}): void {
    this.steps.push({ name, run, timeoutMs: opts.timeoutMs ?? this.opts.stepTimeoutMs });
  }

  close(): Promise<void> {
    this.closing ??= this.runAll();
    return this.closing;
  }

  private async runAll(): Promise<void> {
    for (const step of [...this.steps].reverse()) {
      const started = Date.now();
      try {
        const outcome = await bounded(step.run, step.timeoutMs);
        if (outcome === 'timed out') {
          this.log.error({ step: step.name, timeoutMs: step.timeoutMs }, 'close step did not finish in time; continuing without it');
        } else {
          this.log.debug({ step: step.name, ms: Date.now() - started }, 'closed');
        }
      } catch (err) {
        this.log.error({ err, step: step.name }, 'close step failed; continuing');
      }
    }
  }
}

/** Runs `run`; with a bound, gives up waiting after `timeoutMs`. Rejections of an abandoned step are swallowed. */
async function bounded(run: () => Promise<void>, timeoutMs: number | undefined): Promise<'done' | 'timed out'> {
  // A step that throws synchronously is a failed step, like one that rejects.
  const p = Promise.resolve().then(run);
  if (timeoutMs === undefined) {
    await p;
    return 'done';
  }
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'timed out'>((resolve) => {
    timer = setTimeout(() => resolve('timed out'), timeoutMs);
  });
  try {
    const outcome = await Promise.race([p.then(() => 'done' as const), late]);
    if (outcome === 'timed out') p.catch(() => {});
    return outcome;
  } finally {
    clearTimeout(timer);
  }
}
