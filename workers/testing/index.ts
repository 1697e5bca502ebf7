import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { TestCase, TestOutcome } from '../../core/testing';
import type { Language, SandboxFile, SandboxLimits } from '../../sandbox/types';

/**
 * Runs structured tests (core/testing.ts) in the sandbox: a harness is the main
 * program, each test runs in its own process, and one nonce-tagged line carries
 * the results back.
 */
const HARNESS: Record<'python' | 'javascript', { main: string; child: string; solution: string }> = {
  python: { main: 'harness.py', child: 'child.py', solution: 'solution.py' },
  javascript: { main: 'harness.js', child: 'child.js', solution: 'solution.js' },
};

export function supportsTests(language: Language): language is 'python' | 'javascript' {
  return language in HARNESS;
}

export interface TestProgram {
  code: string;
  files: SandboxFile[];
  stdin: string;
  nonce: string;
}

/** The sandbox program that runs `tests` against `solution`. */
export function buildTestProgram(language: 'python' | 'javascript', solution: string, tests: TestCase[], limits: SandboxLimits): TestProgram {
  const h = HARNESS[language];
  const nonce = randomBytes(16).toString('hex');
  // Split the wall clock between the tests, keeping room for the harness itself
  // (the Python harness also loads pytest's assertion rewriter, ~0.25 s).
  const reserveMs = language === 'python' ? 1000 : 700;
  const perTestMs = Math.max(300, Math.min(5000, Math.floor((limits.timeoutMs - reserveMs) / Math.max(1, tests.length))));
  return {
    code: read(h.main),
    files: [
      { path: h.solution, content: solution },
      { path: '.paddock/tests.json', content: JSON.stringify(tests) },
      { path: `.paddock/${h.child}`, content: read(h.child) },
    ],
    // The harness reads its settings from stdin; the code under test never sees them.
    stdin: `${nonce}\n${language === 'python' ? perTestMs / 1000 : perTestMs}\n`,
    nonce,
  };
}

const MARK = '@@PADDOCK-TESTS ';

/** Finds the harness's result line (only the one with our nonce) and removes it from stdout. */
export function parseTestOutput(stdout: string, nonce: string): { outcome?: TestOutcome; stdout: string } {
  const tag = `\n${MARK}${nonce} `;
  const at = stdout.lastIndexOf(tag);
  if (at < 0) return { stdout };
  const end = stdout.indexOf('\n', at + tag.length);
  const line = stdout.slice(at + tag.length, end < 0 ? undefined : end);
  try {
    const outcome = JSON.parse(line) as TestOutcome;
    return { outcome, stdout: stdout.slice(0, at) + (end < 0 ? '' : stdout.slice(end + 1)) };
  } catch {
    return { stdout };
  }
}

function read(file: string): string {
  return fs.readFileSync(path.join(__dirname, file), 'utf8');
}
