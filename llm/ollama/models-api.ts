import { NotFoundError, UnavailableError } from '../../core/errors';
import type { OllamaServer } from '../../core/models/servers';

/**
 * The Ollama model-management API over fetch: /api/tags, /api/version,
 * /api/delete and the /api/pull NDJSON stream. Plain fetch rather than the
 * `ollama` client because a pull needs the response stream itself: an abort
 * must close the connection at once, and a stall timer has to see every line.
 */

export interface InstalledModel {
  name: string;
  size?: number;
  digest?: string;
  modifiedAt?: string;
  details?: Record<string, unknown>;
}

/** One line of the /api/pull stream. */
export interface PullLine {
  status?: string;
  digest?: string;
  total?: number;
  completed?: number;
  error?: string;
}

function headers(server: OllamaServer): Record<string, string> {
  const h: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (server.apiKey) h.authorization = `Bearer ${server.apiKey.reveal()}`;
  return h;
}

async function call(server: OllamaServer, path: string, init: RequestInit, timeoutMs: number, signal?: AbortSignal): Promise<Response> {
  const limit = AbortSignal.timeout(timeoutMs);
  try {
    return await fetch(`${server.url}${path}`, { ...init, headers: headers(server), signal: signal ? AbortSignal.any([signal, limit]) : limit });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new UnavailableError(`Ollama server "${server.name}" did not answer ${path}${limit.aborted ? ` within ${timeoutMs} ms` : ''}`);
  }
}

async function failure(server: OllamaServer, path: string, res: Response): Promise<Error> {
  const text = await res.text().catch(() => '');
  let message = text.slice(0, 500);
  try {
    message = (JSON.parse(text) as { error?: string }).error ?? message;
  } catch {
    // not JSON: keep the text
  }
  if (res.status === 404) return new NotFoundError(`Ollama server "${server.name}": ${message || 'not found'}`);
  return new UnavailableError(`Ollama server "${server.name}" answered ${path} with ${res.status}: ${message}`);
}

export async function listInstalled(server: OllamaServer, timeoutMs: number, signal?: AbortSignal): Promise<InstalledModel[]> {
  const res = await call(server, '/api/tags', { method: 'GET' }, timeoutMs, signal);
  if (!res.ok) throw await failure(server, '/api/tags', res);
  const body = (await res.json()) as { models?: { name: string; model?: string; size?: number; digest?: string; modified_at?: string; details?: Record<string, unknown> }[] };
  return (body.models ?? []).map((m) => ({ name: m.name ?? m.model, size: m.size, digest: m.digest, modifiedAt: m.modified_at, details: m.details }));
}

export async function serverVersion(server: OllamaServer, timeoutMs: number): Promise<string> {
  const res = await call(server, '/api/version', { method: 'GET' }, timeoutMs);
  if (!res.ok) throw await failure(server, '/api/version', res);
  return ((await res.json()) as { version?: string }).version ?? 'unknown';
}

/** Deletes an installed model; NotFoundError when the server does not have it. */
export async function deleteModel(server: OllamaServer, model: string, timeoutMs: number): Promise<void> {
  const res = await call(server, '/api/delete', { method: 'DELETE', body: JSON.stringify({ model }) }, timeoutMs);
  if (!res.ok) throw await failure(server, '/api/delete', res);
}

/** Thrown by `pullStream` for anything that may be retried or reported; `code` says what. */
export class PullStreamError extends Error {
  constructor(
    readonly code: 'error_line' | 'http' | 'network' | 'ended_early',
    message: string,
    /** False when retrying cannot help (an HTTP 4xx, or an error before the manifest was read). */
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'PullStreamError';
  }
}

/**
 * Streams /api/pull, calling `onLine` for every progress line, until "success".
 * Aborting `signal` cancels the request and closes the connection. An `{error}`
 * line, a non-2xx answer, a network error or an end without "success" throws
 * PullStreamError; an abort rethrows the abort.
 */
export async function pullStream(server: OllamaServer, model: string, signal: AbortSignal, onLine: (line: PullLine) => void): Promise<void> {
  let res: Response;
  try {
    res = await fetch(`${server.url}/api/pull`, {
      method: 'POST', headers: headers(server), body: JSON.stringify({ model, stream: true }), signal,
    });
  } catch (err) {
    if (signal.aborted) throw err;
    throw new PullStreamError('network', `cannot reach Ollama server "${server.name}": ${(err as Error).message}`, true);
  }
  if (!res.ok || !res.body) {
    const err = await failure(server, '/api/pull', res);
    throw new PullStreamError('http', err.message, res.status >= 500 || res.status === 429);
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let layersSeen = false;
  try {
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (err) {
        if (signal.aborted) throw err;
        throw new PullStreamError('network', `the pull stream broke: ${(err as Error).message}`, true);
      }
      if (chunk.done) break;
      buffer += chunk.value;
      let cut: number;
      while ((cut = buffer.indexOf('\n')) >= 0) {
        const text = buffer.slice(0, cut).trim();
        buffer = buffer.slice(cut + 1);
        if (!text) continue;
        let line: PullLine;
        try {
          line = JSON.parse(text) as PullLine;
        } catch {
          throw new PullStreamError('network', 'the pull stream sent a line that is not JSON', true);
        }
        if (line.error !== undefined) {
          // Before any layer the manifest could not be read (typically: no such model): retrying will not help.
          throw new PullStreamError('error_line', line.error, layersSeen);
        }
        if (line.digest) layersSeen = true;
        onLine(line);
        if (line.status === 'success') return;
      }
    }
  } finally {
    // Releases the connection whatever happened; after an abort it is already gone.
    await reader.cancel().catch(() => undefined);
  }
  throw new PullStreamError('ended_early', 'the pull stream ended before "success"', true);
}
