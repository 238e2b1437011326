/**
 * "Did you mean" suggestions for unknown keys and enum values.
 */

/**
 * Edit distance between two short strings: insertions, deletions, substitutions and swaps of two
 * neighbouring characters each count 1 (optimal string alignment).
 */
export function editDistance(a: string, b: string): number {
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, (before[j - 2] as number) + 1);
      cur[j] = d;
    }
    before = prev;
    prev = cur;
  }
  return prev[b.length] as number;
}

function nearest(lower: string, candidates: readonly string[], limit: number): string | undefined {
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const c of candidates) {
    const d = editDistance(lower, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * The candidate closest to `input`: a case-insensitive match, then one edit away, then a candidate
 * that contains the input as a `_`-separated part (`port` -> `http_port`), then the nearest within
 * an edit distance of a third of the input's length. Undefined when nothing is close.
 */
export function suggest(input: string, candidates: readonly string[]): string | undefined {
  if (input.length > 64) return undefined;
  const lower = input.toLowerCase();
  const sameCase = candidates.find((c) => c.toLowerCase() === lower);
  if (sameCase !== undefined) return sameCase;
  const part = candidates.find((c) => lower.length >= 3 && c.toLowerCase().split("_").includes(lower));
  return (
    nearest(lower, candidates, 1) ??
    part ??
    nearest(lower, candidates, Math.max(1, Math.floor(input.length / 3)))
  );
}
