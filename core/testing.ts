import { z } from 'zod';

/**
 * Structured tests a run may carry, in either form:
 *  - assert-style: `{name, code}`: statements run with the solution's names in
 *    scope (Python: `assert add(1, 2) == 3`; JavaScript: `assert.equal(add(1, 2), 3)`);
 *  - input/expected output: `{name, stdin?, expectedStdout}`: the program's stdout
 *    must equal `expectedStdout` (trailing newlines ignored).
 */
export const testCaseSchema = z.union([
  z.object({ name: z.string().min(1).max(200), code: z.string().min(1).max(64 * 1024) }).strict(),
  z
    .object({ name: z.string().min(1).max(200), stdin: z.string().max(64 * 1024).optional(), expectedStdout: z.string().max(64 * 1024) })
    .strict(),
]);
export type TestCase = z.infer<typeof testCaseSchema>;

export type TestStatus = 'passed' | 'failed' | 'error' | 'timeout' | 'crashed';

export interface TestResult {
  name: string;
  passed: boolean;
  status: TestStatus;
  /** Assertion text, a diff of expected vs actual output, or why it crashed. */
  message: string;
  durationMs: number;
}

export interface TestOutcome {
  /** The code did not parse or compile; no test ran. */
  compileError?: string;
  results: TestResult[];
}
