/**
 * Masking of SECRET values in build output, and the splitting of output chunks into lines so
 * that a secret split across two chunks is still masked.
 */

/** What a masked secret reads as. */
export const MASK = "****";

/**
 * A function that replaces every occurrence of each non-empty secret in a line by `****`.
 * Longer secrets are replaced first, so a secret that contains another is masked whole. A secret
 * spanning several lines is also masked line by line, since output is masked one line at a time.
 */
export function createMasker(secrets: readonly string[]): (line: string) => string {
  const parts = new Set<string>();
  for (const s of secrets) {
    if (s === "") continue;
    parts.add(s);
    for (const piece of s.split(/\r?\n/)) if (piece.trim() !== "") parts.add(piece);
  }
  const ordered = [...parts].sort((a, b) => b.length - a.length);
  if (ordered.length === 0) return (line) => line;
  return (line) => {
    let out = line;
    for (const s of ordered) out = out.split(s).join(MASK);
    return out;
  };
}

/** Feeds output chunks in, gets whole lines out; `flush` emits a last line without a newline. */
export interface LineSplitter {
  push(chunk: Buffer | string): void;
  flush(): void;
}

/**
 * Splits a stream of chunks into lines (without their `\n`, a trailing `\r` removed) and hands
 * each to `emit` as soon as it is complete. Bytes are decoded as UTF-8 across chunk borders.
 */
export function createLineSplitter(emit: (line: string) => void): LineSplitter {
  const decoder = new TextDecoder("utf-8");
  let rest = "";
  const out = (line: string) => emit(line.endsWith("\r") ? line.slice(0, -1) : line);
  return {
    push(chunk) {
      rest += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
      const lines = rest.split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) out(line);
    },
    flush() {
      rest += decoder.decode();
      if (rest !== "") out(rest);
      rest = "";
    },
  };
}
