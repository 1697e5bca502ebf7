import { kindForStatus, toProviderError } from '../classify';
import { LlmAbortError, ProviderError } from '../errors';
import { scrub, type Secret } from '../secret';

/**
 * The model-list endpoints, the one thing the AI SDK does not wrap. A plain GET
 * with the provider's auth header; the response is mapped to model ids.
 */
export interface ModelListRequest {
  url: string;
  headers: Record<string, string>;
  /** Picks model ids out of the JSON body. */
  ids(body: any): string[];
}

export async function listModelsOverHttp(
  provider: string, req: ModelListRequest, fetchFn: typeof fetch, signal: AbortSignal, secrets: readonly Secret[],
): Promise<string[]> {
  let res: Response;
  try {
    res = await fetchFn(req.url, { headers: req.headers, signal });
  } catch (err) {
    if (signal.aborted) throw new LlmAbortError(signal.reason);
    throw toProviderError(err, { provider, secrets });
  }
  if (!res.ok) {
    const body = await res.text().catch(() => '');
    const message = scrub(`${provider}: HTTP ${res.status}: ${body.slice(0, 200)}`, secrets);
    throw new ProviderError(message, { kind: kindForStatus(res.status), provider, statusCode: res.status });
  }
  const ids = req.ids(await res.json());
  return ids.filter((id): id is string => typeof id === 'string');
}
