import type { ChatMessage } from '../../llm';
import type { AutorunResult, CodeResult } from '../../core/runs';
import type { TestCase } from '../../core/testing';

/**
 * The autorun conversation with the model: what we ask for, how a repair is
 * asked for. The program is asked for in a fenced block rather than inside JSON:
 * small models break JSON string escaping (literal newlines, unescaped quotes)
 * far more often than they break a fence. Only the tests, short one-liners, are
 * JSON. Reading the answer back is answer.ts; it also takes the JSON object
 * shape `{code, tests}` that earlier prompts asked for.
 */
export type AutorunFailure = NonNullable<AutorunResult['lastFailure']>;

export interface PriorAttempt {
  /** What the model answered last time, verbatim. */
  answer: string;
  failures: string;
}

export function generationMessages(opts: {
  language: 'python' | 'javascript';
  task: string;
  givenTests?: TestCase[];
  /** The model writes the tests (none were given and no earlier attempt wrote any). */
  needTests: boolean;
  prior?: PriorAttempt;
  /** The caller's own instructions (a saved agent's system prompt, or the run's `system`): they follow Paddock's. */
  system?: string;
}): ChatMessage[] {
  const lang = opts.language;
  const example =
    lang === 'python'
      ? '{"name": "doubles two", "code": "assert solve(2) == 4"}: Python statements that call the functions of the program'
      : '{"name": "doubles two", "code": "assert.strictEqual(solve(2), 4);"}: JavaScript statements (with `assert` in scope) that call the functions of the program';
  const testsPart = opts.needTests
    ? ` Then give 3 to 8 tests as a JSON array in one \`\`\`json block; each test is ${example}.`
    : '';
  const system =
    `You write ${lang} code that solves the user's task. Reply with the complete program in ONE fenced code block tagged \`\`\`${lang}.${testsPart} ` +
    'Define functions at the top level; put any script entry point behind a main guard. Do not add other code blocks (no usage examples).';
  const messages: ChatMessage[] = [{ role: 'system', content: opts.system ? `${system}\n\n${opts.system}` : system }];
  let user = `Task:\n${opts.task}`;
  if (opts.givenTests) user += `\n\nYour code must pass these tests:\n${JSON.stringify(opts.givenTests, null, 2)}`;
  messages.push({ role: 'user', content: user });
  if (opts.prior) {
    messages.push({ role: 'assistant', content: opts.prior.answer });
    messages.push({
      role: 'user',
      content: `Your previous answer failed:\n${opts.prior.failures}\n\nFix it. Reply with the complete corrected program in one \`\`\`${lang} block.`,
    });
  }
  return messages;
}

/** An attempt's failure, for the run's result and the repair prompt. */
export function failureOf(attempt: number, r: CodeResult): AutorunFailure {
  if (r.compileError) return { attempt, kind: 'compile_error', message: `the code does not compile: ${r.compileError}` };
  const failed = (r.tests ?? []).filter((t) => !t.passed);
  if (failed.length > 0) {
    return {
      attempt,
      kind: 'tests_failed',
      message: `${failed.length} of ${r.tests!.length} tests failed`,
      failedTests: failed.map((t) => ({ name: t.name, status: t.status, message: t.message })),
    };
  }
  if (r.verdict !== 'ok') return { attempt, kind: 'run_failed', message: `the run ended with verdict ${r.verdict}: ${r.stderr.slice(-2000)}`.trim() };
  return { attempt, kind: 'run_failed', message: 'the tests produced no result' };
}

/** Failures in the words a model can act on. */
export function describeFailure(f: AutorunFailure): string {
  if (f.kind === 'tests_failed') return (f.failedTests ?? []).map((t) => `- test "${t.name}" ${t.status}: ${t.message}`).join('\n');
  if (f.kind === 'compile_error') return `The code does not compile: ${f.message.replace(/^the code does not compile: /, '')}`;
  if (f.kind === 'no_code' || f.kind === 'wrong_language' || f.kind === 'no_tests') return `Your answer was not usable: ${f.message}.`;
  return f.message;
}
