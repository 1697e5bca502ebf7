import type { StreamEvent } from './events';

/**
 * How a run's events reach the terminal: the program's stdout and stderr
 * chunks to ours, unchanged; everything else (status, tests, results, model
 * tokens) to stderr, so `paddock run … --follow > out.txt` captures exactly the
 * program's output.
 */
export class Terminal {
  /** Whether stderr is in the middle of a line (after model tokens). */
  private open = false;

  constructor(
    private readonly out: NodeJS.WritableStream = process.stdout,
    private readonly err: NodeJS.WritableStream = process.stderr,
  ) {}

  /** A status line on stderr, on a line of its own. */
  note(text: string): void {
    this.err.write(`${this.open ? '\n' : ''}paddock: ${text}\n`);
    this.open = false;
  }

  event(id: string, e: StreamEvent): void {
    const d = (e.data ?? {}) as Record<string, any>;
    switch (e.event) {
      case 'stdout':
        this.out.write(String(d.chunk ?? ''));
        return;
      case 'stderr':
        this.raw(String(d.chunk ?? ''));
        return;
      case 'token':
        this.raw(String(d.delta ?? ''));
        return;
      case 'status':
        return this.note(`${id} ${d.status}${d.attempt ? ` (attempt ${d.attempt})` : ''}${d.reason ? `: ${d.reason}` : ''}`);
      case 'test':
        return this.note(testLine(d));
      case 'step':
        return this.note(`step ${d.name}`);
      case 'result':
        return this.note(resultLine(d));
      case 'error':
        return this.note(`error ${d.code}: ${d.message}`);
      case 'end':
        return;
      default:
        return this.note(`${e.event} ${JSON.stringify(e.data)}`);
    }
  }

  private raw(text: string): void {
    if (!text) return;
    this.err.write(text);
    this.open = !text.endsWith('\n');
  }
}

/** `exit 0, verdict ok, 61 ms` for a code run's result; the verdict alone for other kinds. */
export function resultLine(r: Record<string, any>): string {
  const parts = [];
  if (r.signal) parts.push(`signal ${r.signal}`);
  else if (r.exitCode !== undefined) parts.push(`exit ${r.exitCode}`);
  if (r.verdict) parts.push(`verdict ${r.verdict}`);
  if (r.wallMs !== undefined) parts.push(`${r.wallMs} ms`);
  if (r.truncated) parts.push('output truncated');
  return parts.length > 0 ? `result: ${parts.join(', ')}` : 'result ready';
}

/** `test add: failed`, and the message (an assertion, a diff) indented under it. */
export function testLine(t: Record<string, any>): string {
  const message = typeof t.message === 'string' && t.message.trim() ? `\n${t.message.trimEnd().replace(/^/gm, '    ')}` : '';
  return `test ${t.name}: ${t.status}${message}`;
}

/** Why a finished run did not succeed, in a few words. */
export function outcomeLine(doc: Record<string, any>): string {
  const r = doc.result as Record<string, any> | undefined;
  const tests = (r?.tests ?? []) as { passed?: boolean }[];
  const failing = tests.filter((t) => !t.passed).length;
  const why = doc.error ? `: ${doc.error.code}: ${doc.error.message}` : failing > 0 ? `: ${failing} of ${tests.length} tests did not pass` : r ? ` (${resultLine(r)})` : '';
  return `${doc.id} ${doc.status}${why}`;
}
