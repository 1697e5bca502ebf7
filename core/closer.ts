import type { Logger } from './logger';

/**
 * Release steps registered as resources are opened, run last-in-first-out on
 * close. A failing step is logged and the rest still run; close is memoised, so
 * calling it twice (two signals, a failed start) is safe.
 */
export class Closer {
  private readonly steps: { name: string; run: () => Promise<void> }[] = [];
  private closing: Promise<void> | undefined;

  constructor(private readonly log: Logger) {}

  add(name: string, run: () => Promise<void>): void {
    this.steps.push({ name, run });
  }

  close(): Promise<void> {
    this.closing ??= this.runAll();
    return this.closing;
  }

  private async runAll(): Promise<void> {
    for (const step of [...this.steps].reverse()) {
      try {
        await step.run();
      } catch (err) {
        this.log.error({ err, step: step.name }, 'close step failed; continuing');
      }
    }
  }
}
