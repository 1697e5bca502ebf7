import { APICallError } from '@ai-sdk/provider';
import { ProviderError, type ProviderErrorKind } from './errors';
import { scrub, type Secret } from './secret';

/**
 * Converts whatever a provider SDK threw into a ProviderError. This is the
 * boundary where foreign errors stop: the result carries only a short message
 * (scrubbed of keys), the HTTP status and Retry-After.
 */

export interface ClassifyContext {
  provider: string;
  model?: string;
  secrets: readonly Secret[];
  /** Status and headers of the last HTTP response, for clients whose errors drop them (ollama). */
  response?: { status: number; headers: Headers };
}

const MAX_MESSAGE = 300;

export function kindForStatus(status: number): ProviderErrorKind {
  if (status === 429) return 'rate_limited';
  if (status === 408 || status >= 500) return 'server';
  return 'client';
}

export function toProviderError(err: unknown, ctx: ClassifyContext): ProviderError {
  if (err instanceof ProviderError) return err;
  const base = { provider: ctx.provider, model: ctx.model };

  if (APICallError.isInstance(err)) {
    const status = err.statusCode;
    const message = describe(status, err.message, ctx);
    if (status === undefined) return new ProviderError(message, { ...base, kind: 'network' });
    return new ProviderError(message, {
      ...base,
      kind: kindForStatus(status),
      statusCode: status,
      retryAfterMs: parseRetryAfter(err.responseHeaders),
    });
  }

  // The ollama client's ResponseError carries `status_code` but not the headers.
  const statusCode = (err as { status_code?: unknown })?.status_code;
  if (typeof statusCode === 'number') {
    const headers = ctx.response && ctx.response.status === statusCode ? headersToRecord(ctx.response.headers) : undefined;
    return new ProviderError(describe(statusCode, messageOf(err), ctx), {
      ...base,
      kind: kindForStatus(statusCode),
      statusCode,
      retryAfterMs: parseRetryAfter(headers),
    });
  }

  const network = networkCode(err);
  if (network !== undefined) {
    const message = messageOf(err);
    const detail = network && !message.includes(network) ? `${message} (${network})` : message;
    return new ProviderError(describe(undefined, detail, ctx), { ...base, kind: 'network' });
  }

  // In-stream error objects (OpenAI `{message, type}`, Anthropic `{type, message}`),
  // malformed responses, and anything else the provider sent us: a server-side fault.
  return new ProviderError(describe(undefined, messageOf(err), ctx), { ...base, kind: 'server' });
}

function describe(status: number | undefined, message: string, ctx: ClassifyContext): string {
  const text = scrub(message, ctx.secrets).replace(/\s+/g, ' ').trim().slice(0, MAX_MESSAGE);
  return `${ctx.provider}${status !== undefined ? `: HTTP ${status}` : ''}: ${text || 'request failed'}`;
}

export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  if (err && typeof err === 'object') {
    const o = err as { message?: unknown; error?: { message?: unknown } };
    if (typeof o.message === 'string') return o.message;
    if (typeof o.error?.message === 'string') return o.error.message;
  }
  return 'unknown error';
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

/** The network error code ('' when it is a network error without one), or undefined when it is not one. */
function networkCode(err: unknown): string | undefined {
  let found: string | undefined;
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    if (e instanceof TypeError && /fetch failed|terminated|network/i.test(e.message)) found = '';
  }
  return found;
}

function headersToRecord(h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  h.forEach((v, k) => (out[k] = v));
  return out;
}

/**
 * Retry-After in ms from `retry-after-ms` (OpenAI, precise) or `retry-after`
 * (delta-seconds or an HTTP date). Undefined when absent or unparsable.
 */
export function parseRetryAfter(headers: Record<string, string> | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const get = (name: string) => Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
  const ms = get('retry-after-ms');
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.ceil(Number(ms));
  const value = get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
