import { z } from 'zod';

/**
 * One `outputs` glob: relative to /workspace, `/` separators, no `..` segment.
 * `*` and `?` match within one path segment, `**` any number of segments
 * (the sandbox agent's matcher); anything else is literal.
 */
export const outputGlobSchema = z
  .string()
  .min(1)
  .max(255)
  .refine((g) => !g.startsWith('/') && !g.includes('\\') && !g.includes('\0'), 'an output glob is relative to /workspace, with / separators')
  .refine((g) => !g.split('/').includes('..'), 'an output glob must stay inside /workspace');
