/**
 * JSON as models write it. Small local models (Llama-8B class) put literal
 * newlines, tabs and CRLF inside strings, escape quotes that need none (`\'`),
 * leave regex backslashes single (`"\d+"`) and add trailing commas. Strict
 * JSON.parse is tried first, so a valid document is never altered; only when it
 * fails are those slips repaired, in two passes of increasing boldness.
 */
export function parseLenientJson(text: string): unknown {
  for (const candidate of [text, () => repair(text, false), () => repair(text, true)]) {
    try {
      return JSON.parse(typeof candidate === 'string' ? candidate : candidate());
    } catch {
      // try the next repair
    }
  }
  return undefined;
}

const VALID_ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't', 'u']);
const CONTROL: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

/**
 * Rewrites the slips named above. `innerQuotes` also escapes a `"` inside a
 * string that is not followed by what may follow a closing quote (`,` `}` `]`
 * `:` or the end): `"print("hi")"` was meant as one string. It is a guess, so
 * it only runs when the plainer repair did not give valid JSON.
 */
function repair(text: string, innerQuotes: boolean): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (!inString) {
      if (c === '"') inString = true;
      if (c === ',' && /^\s*[}\]]/.test(text.slice(i + 1, i + 200))) continue; // trailing comma
      out += c;
      continue;
    }
    if (c === '\\') {
      const next = text[i + 1];
      if (next === "'") {
        out += "'";
        i++;
      } else if (next !== undefined && VALID_ESCAPES.has(next)) {
        out += c + next;
        i++;
      } else {
        out += '\\\\'; // `\d` meant a backslash and a d
      }
      continue;
    }
    if (c === '"') {
      if (innerQuotes && !/^\s*(?:[,}\]:]|$)/.test(text.slice(i + 1, i + 200))) {
        out += '\\"';
        continue;
      }
      inString = false;
      out += c;
      continue;
    }
    if (c < ' ') {
      out += CONTROL[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
      continue;
    }
    out += c;
  }
  return out;
}

/**
 * Every JSON object or array embedded in `text` (prose around it allowed), in
 * order of appearance: each `{` or `[` is tried against the matching closer
 * found by bracket counting outside strings, leniently parsed.
 */
export function findJsonValues(text: string): unknown[] {
  const found: unknown[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '{' || c === '[') {
      const end = matchingClose(text, i);
      if (end > i) {
        const value = parseLenientJson(text.slice(i, end + 1));
        if (value !== undefined && typeof value === 'object' && value !== null) {
          found.push(value);
          i = end + 1;
          continue;
        }
      }
    }
    i++;
  }
  return found;
}

function matchingClose(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}
