import type { Client } from './client';
import { CliError, EXIT } from './errors';

export interface StreamEvent {
  id?: string;
  event: string;
  data: unknown;
}

export interface FollowOptions {
  /** Resume after this event seq (sent as Last-Event-ID). */
  lastEventId?: string;
  onEvent(e: StreamEvent): void;
  /** Reconnects in a row without an event in between before giving up (default 5). */
  maxReconnects?: number;
}

/**
 * Follows a job's SSE stream until `end` and returns the terminal status it
 * names. A dropped connection is resumed with Last-Event-ID = the last id seen,
 * so nothing is shown twice and nothing is missed; an HTTP error is not retried.
 */
export async function followEvents(client: Client, path: string, opts: FollowOptions): Promise<string> {
  let last = opts.lastEventId;
  let retryMs = 1000;
  let misses = 0;
  for (;;) {
    let ended: string | undefined;
    try {
      const body = await client.stream(path, last);
      for await (const frame of frames(body)) {
        if (frame.retry !== undefined) retryMs = Math.min(frame.retry, 5000);
        if (!frame.event) continue;
        misses = 0;
        if (frame.event.id) last = frame.event.id;
        opts.onEvent(frame.event);
        if (frame.event.event === 'end') {
          ended = (frame.event.data as { status?: string } | undefined)?.status ?? 'unknown';
          break;
        }
      }
    } catch (err) {
      // Refused outright (401, 404, …): reconnecting would not help.
      if (err instanceof CliError && !err.retryable) throw err;
      if (++misses > (opts.maxReconnects ?? 5)) throw err instanceof CliError ? err : new CliError(`the event stream failed: ${String(err)}`, EXIT.http);
      await sleep(retryMs);
      continue;
    }
    if (ended !== undefined) return ended;
    // The stream closed before `end` (a restarted API node, a proxy timeout): resume.
    if (++misses > (opts.maxReconnects ?? 5)) throw new CliError('the event stream kept closing before the end', EXIT.http);
    await sleep(retryMs);
  }
}

interface Frame {
  event?: StreamEvent;
  retry?: number;
}

/** Splits an SSE byte stream into frames (the text/event-stream rules: fields, comments, blank-line dispatch). */
async function* frames(body: ReadableStream<Uint8Array>): AsyncGenerator<Frame> {
  const decoder = new TextDecoder();
  let buffer = '';
  let fields: { id?: string; event?: string; data?: string; retry?: number } = {};
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let cut: number;
    while ((cut = buffer.search(/\r\n|\r|\n/)) >= 0) {
      // A lone \r at the end may be the first half of \r\n: wait for more.
      if (buffer[cut] === '\r' && cut === buffer.length - 1) break;
      const line = buffer.slice(0, cut);
      buffer = buffer.slice(cut + (buffer.startsWith('\r\n', cut) ? 2 : 1));
      if (line === '') {
        yield dispatch(fields);
        fields = {};
        continue;
      }
      if (line.startsWith(':')) continue;
      const i = line.indexOf(':');
      const name = i < 0 ? line : line.slice(0, i);
      const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (name === 'data') fields.data = fields.data === undefined ? value : `${fields.data}\n${value}`;
      else if (name === 'id') fields.id = value;
      else if (name === 'event') fields.event = value;
      else if (name === 'retry' && /^\d+$/.test(value)) fields.retry = Number(value);
    }
  }
}

function dispatch(f: { id?: string; event?: string; data?: string; retry?: number }): Frame {
  if (f.data === undefined) return { retry: f.retry };
  let data: unknown = f.data;
  try {
    data = JSON.parse(f.data);
  } catch {
    // Paddock sends JSON; keep anything else as text.
  }
  return { retry: f.retry, event: { id: f.id, event: f.event ?? 'message', data } };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
