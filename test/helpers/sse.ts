/** A minimal Server-Sent Events reader over fetch, for tests. */
export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

export interface SseOptions {
  headers?: Record<string, string>;
  /** Stop once this returns true for an event (inclusive). */
  until?: (e: SseEvent) => boolean;
  signal?: AbortSignal;
  /** Called for each comment line (heartbeats). */
  onComment?: (text: string) => void;
}

/** Reads the stream until it ends (or `until` matches) and returns its events in order. */
export async function readSse(url: string, opts: SseOptions = {}): Promise<{ status: number; events: SseEvent[] }> {
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...opts.headers }, signal: opts.signal });
  const events: SseEvent[] = [];
  if (!res.body || res.status !== 200) return { status: res.status, events };
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event = parseFrame(frame, opts.onComment);
        if (!event) continue;
        events.push(event);
        if (opts.until?.(event)) return { status: res.status, events };
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return { status: res.status, events };
}

function parseFrame(frame: string, onComment?: (text: string) => void): SseEvent | undefined {
  const event: SseEvent = { event: 'message', data: '' };
  let hasData = false;
  for (const line of frame.split('\n')) {
    if (line.startsWith(':')) {
      onComment?.(line.slice(1).trim());
      continue;
    }
    const i = line.indexOf(':');
    const field = i < 0 ? line : line.slice(0, i);
    const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
    if (field === 'id') event.id = value;
    else if (field === 'event') event.event = value;
    else if (field === 'data') {
      event.data = hasData ? `${event.data}\n${value}` : value;
      hasData = true;
    }
  }
  return hasData ? event : undefined;
}
