/**
 * Markdown code fences in a model's answer, and which of them is the program.
 *
 * The rule (README, "Autorun and agent answers"):
 *  1. Candidates are the fences tagged with the run's language, any case, with
 *     aliases (`python`, `Python`, `py`, `python3`, `py3`, `solution.py`,
 *     `python:solution.py`; `javascript`, `js`, `node`, `nodejs`, `mjs`, `cjs`,
 *     `solution.js`). Only when there is none: the bare fences (no tag, or a
 *     generic one: `text`, `code`, `plaintext`, …) that are not JSON.
 *  2. Of the candidates, the program is the fence that defines the most of the
 *     names the tests call; then the one with the most top-level functions and
 *     classes; then the most top-level names; then the longest; then the later
 *     one (a revised version comes after the first). A usage snippet
 *     (`print(mean([1, 2]))`) defines nothing and so never wins over the
 *     implementation. Blocks made only of assert statements are tests, never
 *     the program (answer.ts).
 *  3. A name the tests or the chosen fence call that it does not define, but
 *     another candidate does (a helper shown in its own block), brings that
 *     fence in (and so on for what it calls): such fences are joined with the
 *     chosen one in answer order, provided they redefine nothing already taken.
 * Fences tagged with another language (`bash`, `java`, `pycon`, `typescript`)
 * are never run; an answer with only those is refused with a message that says so.
 */
export type RunLanguage = 'python' | 'javascript';

export interface Fence {
  /** The info string's first word, lower-cased ('' for a bare fence). */
  tag: string;
  body: string;
  /** Position in the answer (0-based). */
  index: number;
}

const ALIASES: Record<RunLanguage, readonly string[]> = {
  python: ['python', 'py', 'python3', 'py3'],
  javascript: ['javascript', 'js', 'node', 'nodejs', 'node.js', 'mjs', 'cjs', 'ecmascript'],
};
const EXTENSIONS: Record<RunLanguage, RegExp> = { python: /\.py$/, javascript: /\.(?:js|mjs|cjs)$/ };
const GENERIC = new Set(['', 'text', 'txt', 'plaintext', 'plain', 'code', 'source', 'program', 'solution']);
const JSON_TAGS = new Set(['json', 'json5', 'jsonc']);

/** Every fenced block (``` or ~~~, 3 or more, up to 3 spaces of indent); a fence left open runs to the end. */
export function extractFences(text: string): Fence[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const fences: Fence[] = [];
  let open: { marker: string; indent: number; tag: string; body: string[] } | undefined;
  for (const line of lines) {
    if (!open) {
      // The opening marker may end a line of prose ("Here it is: ```python").
      const m = /^( {0,3})(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/.exec(line) ?? /^(.*?[^`])(`{3,})([A-Za-z0-9_.:+-]+)\s*$/.exec(line);
      if (m) open = { marker: m[2]!, indent: /^ *$/.test(m[1]!) ? m[1]!.length : 0, tag: normaliseTag(m[3] ?? ''), body: [] };
      continue;
    }
    const trimmed = line.trim();
    if (trimmed.length >= open.marker.length && trimmed === open.marker[0]!.repeat(trimmed.length)) {
      fences.push({ tag: open.tag, body: open.body.join('\n'), index: fences.length });
      open = undefined;
      continue;
    }
    open.body.push(stripIndent(line, open.indent));
  }
  if (open && open.body.some((l) => l.trim() !== '')) fences.push({ tag: open.tag, body: open.body.join('\n'), index: fences.length });
  return fences;
}

function normaliseTag(info: string): string {
  return info.replace(/^\{?\.?/, '').replace(/[}:]+$/, '').toLowerCase();
}

function stripIndent(line: string, indent: number): string {
  let n = 0;
  while (n < indent && line[n] === ' ') n++;
  return line.slice(n);
}

export type TagClass = 'language' | 'generic' | 'json' | 'other';

/** How a fence's tag relates to the run's language. */
export function classifyTag(tag: string, language: RunLanguage): TagClass {
  const [head, file] = tag.split(':');
  if (ALIASES[language].includes(head!) || EXTENSIONS[language].test(head!) || (file !== undefined && EXTENSIONS[language].test(file))) return 'language';
  if (JSON_TAGS.has(head!)) return 'json';
  if (GENERIC.has(head!)) return 'generic';
  return 'other';
}

/** Names a program defines at its top level: functions and classes, and every name including assignments. */
export function definedNames(code: string, language: RunLanguage): { callables: Set<string>; all: Set<string> } {
  const callables = new Set<string>();
  const all = new Set<string>();
  const [defining, assigning] =
    language === 'python'
      ? [[/^(?:async\s+)?def\s+([A-Za-z_]\w*)/gm, /^class\s+([A-Za-z_]\w*)/gm], [/^([A-Za-z_]\w*)\s*(?::[^=\n]+)?=(?!=)/gm]]
      : [
          [
            /^(?:export\s+)?(?:default\s+)?(?:async\s+)?function\s*\*?\s*([A-Za-z_$][\w$]*)/gm,
            /^(?:export\s+)?class\s+([A-Za-z_$][\w$]*)/gm,
            /^(?:export\s+)?(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*(?:async\s+)?(?:function\b|\([^)]*\)\s*=>|[A-Za-z_$][\w$]*\s*=>|class\b)/gm,
          ],
          [/^(?:export\s+)?(?:const|let|var)\s+([A-Za-z_$][\w$]*)/gm, /^([A-Za-z_$][\w$]*)\s*=(?!=)/gm],
        ];
  for (const re of defining) for (const m of code.matchAll(re)) callables.add(m[1]!);
  for (const re of [...defining, ...assigning]) for (const m of code.matchAll(re)) all.add(m[1]!);
  return { callables, all };
}

/** Names the tests call (`mean(` but not `.strictEqual(`). */
export function calledNames(testCode: string): Set<string> {
  const names = new Set<string>();
  for (const m of testCode.matchAll(/(?<![\w$.])([A-Za-z_$][\w$]*)\s*\(/g)) names.add(m[1]!);
  return names;
}

export type FenceChoice = { code: string; fences: Fence[] } | { refused: 'no_code' | 'wrong_language'; message: string };

/** Applies the rule above to the answer's fences. */
export function chooseProgram(fences: Fence[], language: RunLanguage, wanted: Set<string>): FenceChoice {
  const code = fences.filter((f) => f.body.trim() !== '');
  const tagged = code.filter((f) => classifyTag(f.tag, language) === 'language');
  const pool = tagged.length > 0 ? tagged : code.filter((f) => classifyTag(f.tag, language) === 'generic' && !looksLikeJson(f.body));
  if (pool.length === 0) {
    const others = [...new Set(code.filter((f) => classifyTag(f.tag, language) === 'other').map((f) => f.tag))];
    if (others.length > 0) {
      return {
        refused: 'wrong_language',
        message: `the answer's code is in a block tagged ${others.map((t) => `\`\`\`${t}`).join(', ')}, but this task needs ${language}`,
      };
    }
    return { refused: 'no_code', message: `the answer contained no ${language} code block` };
  }
  const defs = new Map(pool.map((f) => [f, definedNames(f.body, language)]));
  const all = (f: Fence) => defs.get(f)!.all;
  const score = (f: Fence) => [...all(f)].filter((n) => wanted.has(n)).length;
  const lines = (f: Fence) => f.body.split('\n').filter((l) => l.trim() !== '').length;
  const ranked = [...pool].sort(
    (a, b) =>
      score(b) - score(a) ||
      defs.get(b)!.callables.size - defs.get(a)!.callables.size ||
      all(b).size - all(a).size ||
      lines(b) - lines(a) ||
      b.index - a.index,
  );
  // The chosen fence, then any block defining a name it (or the tests) call but nothing defines yet.
  const parts = [ranked[0]!];
  for (;;) {
    const defined = new Set(parts.flatMap((f) => [...all(f)]));
    const needed = new Set([...wanted, ...parts.flatMap((f) => [...calledNames(f.body)])].filter((n) => !defined.has(n)));
    const helper = pool.find((f) => !parts.includes(f) && [...all(f)].some((n) => needed.has(n)) && ![...all(f)].some((n) => defined.has(n)));
    if (!helper) break;
    parts.push(helper);
  }
  parts.sort((a, b) => a.index - b.index);
  return { code: parts.map((f) => f.body.replace(/\s+$/, '')).join('\n\n') + '\n', fences: parts };
}

function looksLikeJson(body: string): boolean {
  return /^\s*[[{]/.test(body) && /[\]}]\s*$/.test(body) && /"\s*:/.test(body);
}

/** A code string that is itself one fenced block (models fence the `code` field of their JSON too). */
export function unwrapFence(code: string): string {
  const normalised = code.replace(/\r\n?/g, '\n');
  const m = /^\s*(`{3,}|~{3,})[^\n]*\n([\s\S]*?)\n?\s*\1\s*$/.exec(normalised);
  return m ? m[2]! + '\n' : normalised;
}
