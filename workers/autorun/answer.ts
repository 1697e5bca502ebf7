import { testCaseSchema, type TestCase } from '../../core/testing';
import { calledNames, chooseProgram, classifyTag, extractFences, unwrapFence, type Fence, type RunLanguage } from './fences';
import { findJsonValues, parseLenientJson } from './lenient-json';

/**
 * Reads an autorun answer back, as models really write it: the fenced block we
 * ask for, or a JSON object `{code, tests?}` (bare, fenced, or inside prose),
 * with CRLF line endings, literal newlines inside JSON strings, usage snippets
 * and helper blocks around the program. Which fence is the program: fences.ts.
 *
 * Tests, when the answer must bring them: the JSON object's `tests`, else a JSON
 * array of tests (or `{"tests": [...]}`) anywhere in the answer, else a block of
 * the run's language made only of assert statements (one test per statement).
 */
export type RefusalKind = 'no_code' | 'wrong_language' | 'no_tests';

export type ParsedAnswer = { code: string; tests?: TestCase[] } | { rejected: string; kind: RefusalKind };

export interface ParseOptions {
  language: RunLanguage;
  /** The answer must bring its own tests (the caller gave none and no earlier attempt wrote any). */
  needTests: boolean;
  /** Tests already known (the caller's or an earlier attempt's): their calls tell the program from a usage snippet. */
  knownTests?: TestCase[];
}

export function parseAnswer(raw: string, opts: ParseOptions): ParsedAnswer {
  const text = raw.replace(/\r\n?/g, '\n');
  const fences = extractFences(text);
  const objects = jsonCandidates(text, fences);
  const answerObject = objects.find((v): v is Record<string, unknown> => isObject(v) && codeOf(v) !== undefined);
  const tests = answerTests(objects, fences, opts.language);
  const known = opts.knownTests ?? tests ?? [];
  const wanted = calledNames(known.map((t) => ('code' in t ? t.code : '')).join('\n'));

  let code: string | undefined;
  if (answerObject) code = codeOf(answerObject);
  else {
    const choice = chooseProgram(
      fences.filter((f) => !isAssertBlock(f.body, opts.language)),
      opts.language,
      wanted,
    );
    if ('refused' in choice) {
      // An answer with no fence at all may be the bare program itself (coder models do that).
      const bare = text.trim();
      if (fences.length === 0 && looksLikeCode(bare, opts.language)) code = bare + '\n';
      else return { rejected: choice.message, kind: choice.refused };
    } else code = choice.code;
  }
  if (!code || code.trim() === '') return { rejected: `the answer contained no ${opts.language} code`, kind: 'no_code' };
  if (!opts.needTests) return tests ? { code, tests } : { code };
  if (!tests) {
    return {
      rejected: 'the answer contained no tests: give them as a JSON array in a ```json block, each {"name": "...", "code": "<assert statements>"}',
      kind: 'no_tests',
    };
  }
  return { code, tests };
}

/**
 * JSON values worth reading: the whole answer, each json or bare fence, then every
 * object or array in the prose. Code blocks are left out: a dict literal in the
 * program (`{"code": "E1"}`) is not the answer.
 */
function jsonCandidates(text: string, fences: Fence[]): unknown[] {
  const out: unknown[] = [];
  const whole = parseLenientJson(text.trim());
  if (whole !== undefined) out.push(whole);
  for (const f of fences) {
    if (!isDataFence(f)) continue;
    const v = parseLenientJson(f.body.trim());
    if (v !== undefined) out.push(v);
    else out.push(...findJsonValues(f.body));
  }
  out.push(...findJsonValues(withoutCodeBlocks(text)));
  return out.filter((v) => typeof v === 'object' && v !== null);
}

function isDataFence(f: Fence): boolean {
  const cls = classifyTag(f.tag, 'python');
  return cls === 'json' || cls === 'generic';
}

function withoutCodeBlocks(text: string): string {
  const kept: string[] = [];
  let skipping: string | undefined;
  for (const line of text.split('\n')) {
    const m = /^\s*(`{3,}|~{3,})\s*([^`\s]*)/.exec(line);
    if (skipping) {
      if (m && line.trim() === m[1] && m[1]!.startsWith(skipping)) skipping = undefined;
      continue;
    }
    if (m && !isDataFence({ tag: (m[2] ?? '').toLowerCase(), body: '', index: 0 })) {
      skipping = m[1];
      continue;
    }
    kept.push(line);
  }
  return kept.join('\n');
}

function codeOf(obj: Record<string, unknown>): string | undefined {
  const c = obj.code ?? obj.solution ?? obj.program;
  if (typeof c === 'string' && c.trim() !== '') return unwrapFence(c);
  if (Array.isArray(c) && c.every((l) => typeof l === 'string')) return c.join('\n') + '\n';
  return undefined;
}

function answerTests(objects: unknown[], fences: Fence[], language: RunLanguage): TestCase[] | undefined {
  for (const v of objects) {
    const list = Array.isArray(v) ? v : isObject(v) && Array.isArray(v.tests) ? v.tests : undefined;
    const tests = list ? normaliseTests(list) : [];
    if (tests.length > 0) return tests;
  }
  for (const f of fences) {
    if (classifyTag(f.tag, language) !== 'language' || !isAssertBlock(f.body, language)) continue;
    const statements = f.body.split('\n').filter((l) => isAssertLine(l, language));
    return statements.map((code, i) => ({ name: `test ${i + 1}`, code: code.trim() }));
  }
  return undefined;
}

/** Keeps what a test needs and drops what models add (`description`, `expected`…); names missing ones. */
function normaliseTests(list: unknown[]): TestCase[] {
  return list.flatMap((t, i) => {
    if (typeof t === 'string' && t.trim() !== '') return [{ name: `test ${i + 1}`, code: t }];
    if (!isObject(t)) return [];
    const name = typeof t.name === 'string' && t.name.trim() !== '' ? t.name.slice(0, 200) : `test ${i + 1}`;
    const candidate =
      typeof t.code === 'string'
        ? { name, code: t.code }
        : typeof t.expectedStdout === 'string'
          ? { name, ...(typeof t.stdin === 'string' ? { stdin: t.stdin } : {}), expectedStdout: t.expectedStdout }
          : undefined;
    const ok = candidate && testCaseSchema.safeParse(candidate);
    return ok && ok.success ? [ok.data] : [];
  });
}

function isAssertLine(line: string, language: RunLanguage): boolean {
  const l = line.trim();
  return language === 'python' ? /^assert\b/.test(l) : /^(?:assert\s*[.(]|console\.assert\s*\()/.test(l);
}

/** A block of nothing but assert statements (and comments): tests, never the program. */
function isAssertBlock(body: string, language: RunLanguage): boolean {
  const lines = body.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('//'));
  return lines.length > 0 && lines.every((l) => isAssertLine(l, language));
}

function looksLikeCode(text: string, language: RunLanguage): boolean {
  const first = text.split('\n').find((l) => l.trim() !== '') ?? '';
  return language === 'python'
    ? /^(?:(?:async\s+)?def\s+\w+\s*\(|class\s+\w+\s*[(:]|import\s+\w+|from\s+[\w.]+\s+import\s|#!)/.test(first)
    : /^(?:(?:async\s+)?function\s*\*?\s*\w+\s*\(|(?:const|let|var)\s+[\w${}\[\], ]+=|class\s+\w+|module\.exports\b|'use strict'|"use strict"|#!)/.test(first);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
