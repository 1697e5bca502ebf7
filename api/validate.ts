import type { z } from 'zod';
import { ValidationError } from '../core/errors';

/** Parses with a zod schema; failures become a 400 listing each problem by path. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what = 'request body'): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const details = parsed.error.issues.map((i) => ({ path: i.path, message: i.message }));
  throw new ValidationError(`invalid ${what}`, details);
}

/**
 * Parses a query string (express's "simple" parser: a string per name, an array
 * for a name given more than once) with a zod object schema, strictly: a name the
 * schema does not declare is a 400 naming it and the accepted ones, and so is a
 * repeated name, rather than the silent ignore or pick that would hide a typo.
 */
export function parseQuery<S extends z.ZodObject>(schema: S, query: unknown): z.infer<S> {
  const q = (query ?? {}) as Record<string, unknown>;
  const accepted = Object.keys(schema.shape);
  // A schema with a catchall judges the names it does not declare itself (GET /v1/runs: `metadata.<key>`).
  const open = schema.def.catchall !== undefined && schema.def.catchall._zod.def.type !== 'never';
  const problems = Object.keys(q).flatMap((name) => {
    if (!accepted.includes(name) && !open) {
      const known = accepted.length > 0 ? `accepted: ${accepted.join(', ')}` : 'this route takes none';
      return [{ path: [name], message: `unknown query parameter ${JSON.stringify(name.slice(0, 100))} (${known})` }];
    }
    return Array.isArray(q[name]) ? [{ path: [name], message: 'given more than once' }] : [];
  });
  if (problems.length > 0) throw new ValidationError('invalid query', problems);
  return parseOrThrow(schema, q, 'query');
}
