import { EXIT, CliError } from './errors';

/** The API as the CLI sees it: JSON requests and the event stream, with the bearer token. */
export class Client {
  constructor(
    readonly baseUrl: string,
    private readonly token: string | undefined,
  ) {}

  /** A JSON request; anything but 2xx is an HttpError carrying the stable error body. */
  async json(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
    const res = await this.send(path, {
      method,
      headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw httpError(res.status, text);
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  /** Opens an SSE stream, resuming after `lastEventId`. A non-200 answer is an HttpError. */
  async stream(path: string, lastEventId: string | undefined): Promise<ReadableStream<Uint8Array>> {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (lastEventId) headers['last-event-id'] = lastEventId;
    const res = await this.send(path, { headers });
    if (res.status !== 200 || !res.body) throw httpError(res.status, await res.text());
    return res.body;
  }

  private async send(path: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.token) headers.set('authorization', `Bearer ${this.token}`);
    try {
      return await fetch(new URL(path, this.baseUrl), { ...init, headers });
    } catch (err) {
      throw connectionError(this.baseUrl, err);
    }
  }
}

/** A failed request: HTTP status, and the code and message of the stable error body when there is one. */
export function httpError(status: number, text: string): CliError {
  let error: { code?: string; message?: string; details?: unknown } = {};
  try {
    error = (JSON.parse(text) as { error?: typeof error }).error ?? {};
  } catch {
    // Not our error body (a proxy's page, say): the status says enough.
  }
  const lines = [`HTTP ${status}${error.code ? ` ${error.code}` : ''}: ${error.message ?? (text.slice(0, 200) || 'no body')}`];
  if (Array.isArray(error.details)) {
    for (const d of error.details as { path?: unknown[]; message?: string }[]) lines.push(`  ${(d.path ?? []).join('.') || '(body)'}: ${d.message ?? ''}`);
  } else if (error.details !== undefined) {
    lines.push(`  ${JSON.stringify(error.details)}`);
  }
  if (status === 401) lines.push('  (set PADDOCK_TOKEN or --token to a valid token: npm run --silent token -- --sub <name>)');
  // A proxy or a restarting node in front of the API: worth a retry of an event stream.
  return new CliError(lines.join('\n'), EXIT.http, status === 502 || status === 503 || status === 504);
}

export function connectionError(baseUrl: string, err: unknown): CliError {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : err instanceof Error ? err.message : String(err);
  return new CliError(`cannot reach ${baseUrl}: ${cause} (set PADDOCK_URL or --url)`, EXIT.http, true);
}
