/**
 * Which backing service an error came from, when it is one of ours: the
 * MongoDB driver's errors are all named Mongo…, ioredis's are ReplyError,
 * MaxRetriesPerRequestError or a closed/refused connection. Lets the job
 * lifecycle retry them and the API answer 503 naming the part, instead of
 * treating them as faults of Paddock.
 */
export function failedDependency(err: unknown): 'MongoDB' | 'Redis' | undefined {
  const name = (err as { name?: unknown } | null)?.name;
  if (typeof name === 'string' && name.startsWith('Mongo')) return 'MongoDB';
  const msg = err instanceof Error ? err.message : '';
  if (name === 'ReplyError' || name === 'MaxRetriesPerRequestError' || msg.includes('Connection is closed') || msg.includes('ECONNREFUSED')) return 'Redis';
  return undefined;
}
