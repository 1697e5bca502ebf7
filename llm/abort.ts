import { LlmAbortError } from './errors';

/** Waits `ms`, or rejects with LlmAbortError as soon as the signal fires. Leaves no timer behind. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(new LlmAbortError(signal.reason));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new LlmAbortError(signal?.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Settles with `work`, or rejects with LlmAbortError the moment `signal` fires,
 * even if `work` is stuck in a library that reacts late. `work` keeps running
 * to its own (aborted) end; its late rejection is swallowed here.
 */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(new LlmAbortError(signal.reason));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new LlmAbortError(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/**
 * One signal for one HTTP attempt: fires when a parent fires (the caller
 * aborts, the Llm closes) or after `timeoutMs` without activity. `touch()`
 * marks activity (a streamed delta), so a long answer that keeps streaming is
 * not cut off; `timedOut()` tells a timeout from an abort.
 */
export function attemptSignal(parents: (AbortSignal | undefined)[], timeoutMs: number): {
  signal: AbortSignal;
  timedOut: () => boolean;
  touch: () => void;
  dispose: () => void;
} {
  const timeout = new AbortController();
  let last = Date.now();
  // Re-arms itself for the remaining time instead of resetting a timer per delta.
  const check = () => {
    const idle = Date.now() - last;
    if (idle >= timeoutMs) timeout.abort(new Error(`no activity for ${timeoutMs} ms`));
    else timer = setTimeout(check, timeoutMs - idle);
  };
  let timer = setTimeout(check, timeoutMs);
  const signal = AbortSignal.any([...parents.filter((s): s is AbortSignal => s !== undefined), timeout.signal]);
  return {
    signal,
    timedOut: () => timeout.signal.aborted && !parents.some((s) => s?.aborted),
    touch: () => {
      last = Date.now();
    },
    dispose: () => clearTimeout(timer),
  };
}
