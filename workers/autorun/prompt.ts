import type { ChatMessage } from '../../llm';
import { testCaseSchema, type TestCase, type TestResult } from '../../core/testing';

/**
 * The autorun conversation with the model: what we ask for (one JSON object with
 * the code, and tests when the caller gave none), how a repair is asked for, and
 * how the answer is read back.
 */
export interface PriorAttempt {
  code: string;
  failures: string;
}

export function generationMessages(opts: {
  language: 'python' | 'javascript';
  task: string;
  givenTests?: TestCase[];
  prior?: PriorAttempt;
}): ChatMessage[] {
  const testStyle =
    opts.language === 'python'
      ? 'each test is {"name": "...", "code": "assert solve(2) == 4"}: Python statements that call the functions in the code'
      : 'each test is {"name": "...", "code": "assert.strictEqual(solve(2), 4);"}: JavaScript statements (with `assert` in scope) that call the functions in the code';
  const shape = opts.givenTests
    ? '{"code": "<the complete program>"}'
    : `{"code": "<the complete program>", "tests": [<3 to 8 tests>]} where ${testStyle}`;
  const system =
    `You write ${opts.language} code that solves the user's task. Reply with ONE JSON object and nothing else: ${shape}. ` +
    'Define functions at the top level; put any script entry point behind a main guard. No markdown.';
  const messages: ChatMessage[] = [{ role: 'system', content: system }];
  let user = `Task:\n${opts.task}`;
  if (opts.givenTests) user += `\n\nYour code must pass these tests:\n${JSON.stringify(opts.givenTests, null, 2)}`;
  messages.push({ role: 'user', content: user });
  if (opts.prior) {
    messages.push({ role: 'assistant', content: JSON.stringify({ code: opts.prior.code }) });
    messages.push({
      role: 'user',
      content: `Your previous attempt failed:\n${opts.prior.failures}\n\nFix the code. Reply with the JSON object only.`,
    });
  }
  return messages;
}

export type ParsedAnswer = { code: string; tests?: TestCase[] } | { rejected: string };

/** Reads the model's answer: a JSON object (possibly fenced), or at least a fenced code block. */
export function parseAnswer(text: string, needTests: boolean): ParsedAnswer {
  const obj = findJson(text);
  const code = typeof obj?.code === 'string' ? obj.code : fencedCode(text);
  if (!code || code.trim() === '') return { rejected: 'the answer contained no code' };
  if (!needTests) return { code };
  const tests = Array.isArray(obj?.tests) ? obj.tests.flatMap((t: unknown) => {
    const ok = testCaseSchema.safeParse(t);
    return ok.success ? [ok.data] : [];
  }) : [];
  if (tests.length === 0) return { rejected: 'the answer contained no valid tests ({"name", "code"} objects)' };
  return { code, tests };
}

/** Failures in the words a model can act on. */
export function describeFailures(r: { compileError?: string; tests?: TestResult[]; verdict: string; stderr: string }): string {
  if (r.compileError) return `The code does not compile: ${r.compileError}`;
  const failed = (r.tests ?? []).filter((t) => !t.passed);
  if (failed.length > 0) return failed.map((t) => `- test "${t.name}" ${t.status}: ${t.message}`).join('\n');
  if (r.verdict !== 'ok') return `The run ended with verdict ${r.verdict}.\n${r.stderr.slice(-2000)}`;
  return 'No test result was produced.';
}

function findJson(text: string): Record<string, any> | undefined {
  const candidates = [text.trim(), ...[...text.matchAll(/```(?:json)?\s*([\s\S]*?)```/g)].map((m) => m[1]!.trim())];
  const first = text.indexOf('{');
  const last = text.lastIndexOf('}');
  if (first >= 0 && last > first) candidates.push(text.slice(first, last + 1));
  for (const c of candidates) {
    try {
      const v = JSON.parse(c);
      if (v && typeof v === 'object' && !Array.isArray(v)) return v;
    } catch {
      // not this one
    }
  }
  return undefined;
}

function fencedCode(text: string): string | undefined {
  return text.match(/```(?:python|py|javascript|js)\s*\n([\s\S]*?)```/)?.[1];
}
