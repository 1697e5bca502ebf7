/**
 * `$key` references in an action's input are replaced by earlier outputs
 * (docs/agent-protocol.md, "Substitution"):
 *  - a string that is exactly `$key` (or `$key.path.to.field`) becomes that value,
 *    unchanged and of any JSON type;
 *  - inside a longer string the value is interpolated as text: a string loses its
 *    trailing newlines, as with the shell's `$(…)` (so `print("got $x.stdout")`
 *    stays one line), anything else is written as JSON;
 *  - a path is followed while there are fields: in `$x.stdout.strip()` the
 *    reference is `$x.stdout` (a string has no fields) and `.strip()` stays as
 *    written. A reference to nothing known, or to a field an object lacks, stays
 *    as written (so `$HOME` in a shell script is left alone).
 */
export function substitute(input: unknown, outputs: ReadonlyMap<string, unknown>): unknown {
  if (typeof input === 'string') return substituteString(input, outputs);
  if (Array.isArray(input)) return input.map((v) => substitute(v, outputs));
  if (input && typeof input === 'object') {
    return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, substitute(v, outputs)]));
  }
  return input;
}

const REF = /\$([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)/g;

function substituteString(s: string, outputs: ReadonlyMap<string, unknown>): unknown {
  const whole = /^\$([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)$/.exec(s);
  if (whole) {
    const found = resolve(whole[1]!, outputs);
    if (found && found.rest === '') return found.value;
  }
  return s.replace(REF, (match, ref: string) => {
    const found = resolve(ref, outputs);
    if (!found) return match;
    const text = typeof found.value === 'string' ? found.value.replace(/(?:\r?\n)+$/, '') : JSON.stringify(found.value);
    return text + found.rest;
  });
}

/** The longest prefix of `ref` that names a value; `rest` is what follows it (`.strip` …). */
function resolve(ref: string, outputs: ReadonlyMap<string, unknown>): { value: unknown; rest: string } | undefined {
  const [key, ...path] = ref.split('.');
  if (!outputs.has(key!)) return undefined;
  let value: unknown = outputs.get(key!);
  let used = 0;
  for (const p of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, p)) break;
    value = (value as Record<string, unknown>)[p];
    used++;
  }
  const rest = path.slice(used);
  // Stopping inside an object means a field that is not there (a typo): leave it as written.
  if (value === undefined || (rest.length > 0 && value !== null && typeof value === 'object')) return undefined;
  return { value, rest: rest.length > 0 ? `.${rest.join('.')}` : '' };
}
