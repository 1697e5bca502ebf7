/**
 * How alike a set of answers is: the mean pairwise Jaccard similarity of their
 * lower-cased word sets, in [0, 1]. Cheap, deterministic and explainable; it
 * measures shared vocabulary, not meaning, and is documented as such.
 */
export function agreement(texts: string[]): number {
  if (texts.length < 2) return texts.length === 1 ? 1 : 0;
  const sets = texts.map(words);
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < sets.length; i++) {
    for (let j = i + 1; j < sets.length; j++) {
      sum += jaccard(sets[i]!, sets[j]!);
      pairs += 1;
    }
  }
  return Math.round((sum / pairs) * 1000) / 1000;
}

function words(text: string): Set<string> {
  return new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);
}

function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let shared = 0;
  for (const w of a) if (b.has(w)) shared += 1;
  return shared / (a.size + b.size - shared);
}
