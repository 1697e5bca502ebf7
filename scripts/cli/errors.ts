/**
 * The CLI's exit codes (README "Command line"): scripts branch on them.
 * A job's terminal state picks 0, 1 or 3; the CLI itself picks 2 and 4.
 */
export const EXIT = {
  /** The run succeeded, or the command did what it says. */
  ok: 0,
  /** The run failed or timed out: the program or its tests. */
  failed: 1,
  /** Bad usage: unknown command or option, missing argument, unreadable file. Nothing was sent. */
  usage: 2,
  /** The run ended in `error` (Paddock could not carry it out) or was cancelled. */
  ended: 3,
  /** An HTTP, auth or connection problem: the server refused the request, or could not be reached. */
  http: 4,
} as const;

const BY_STATUS: Record<string, number> = {
  succeeded: EXIT.ok,
  failed: EXIT.failed,
  timed_out: EXIT.failed,
  cancelled: EXIT.ended,
  error: EXIT.ended,
};

/** The exit code for a job's terminal state. */
export function exitForStatus(status: string): number {
  return BY_STATUS[status] ?? EXIT.ended;
}

/** What stops a command: a message for stderr and the exit code; `retryable` when trying again may help. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly retryable = false,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string) => new CliError(message, EXIT.usage);
