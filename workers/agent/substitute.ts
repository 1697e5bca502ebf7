/**
 * `$key` references in an action's input are replaced by earlier outputs:
 * a string that is exactly `$key` (or `$key.path.to.field`) becomes that value
 * (any JSON type); inside a longer string the value is interpolated as text.
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
    const v = lookup(whole[1]!, outputs);
    return v === undefined ? s : v;
  }
  return s.replace(REF, (match, ref: string) => {
    const v = lookup(ref, outputs);
    if (v === undefined) return match;
    return typeof v === 'string' ? v : JSON.stringify(v);
  });
}

function lookup(ref: string, outputs: ReadonlyMap<string, unknown>): unknown {
  const [key, ...path] = ref.split('.');
  if (!outputs.has(key!)) return undefined;
  let v: unknown = outputs.get(key!);
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[p];
  }
  return v;
}
