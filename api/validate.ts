import type { z } from 'zod';
import { ValidationError } from '../core/errors';

/** Parses with a zod schema; failures become a 400 listing each problem by path. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what = 'request body'): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const details = parsed.error.issues.map((i) => ({ path: i.path, message: i.message }));
  throw new ValidationError(`invalid ${what}`, details);
}
