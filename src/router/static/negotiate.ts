/**
 * HTTP negotiation for static files, pure: content coding (Accept-Encoding), conditional requests
 * (If-None-Match / If-Modified-Since / If-Range) and single byte ranges.
 */

/** The content codings the server produces. */
export type Encoding = "br" | "gzip" | "identity";

/**
 * The coding to send for `acceptEncoding` (RFC 9110 12.5.3): the highest q-value among br and
 * gzip, br first on a tie, `*` standing for any not named; identity when neither is acceptable or
 * the header is absent. Identity is always a fallback, even when refused with `identity;q=0`
 * (a 406 helps nobody for static files).
 */
export function chooseEncoding(acceptEncoding: string | undefined): Encoding {
  if (acceptEncoding === undefined) return "identity";
  const q = new Map<string, number>();
  for (const part of acceptEncoding.split(",")) {
    const [name = "", ...params] = part
      .toLowerCase()
      .split(";")
      .map((p) => p.trim());
    if (name === "") continue;
    const qParam = params.find((p) => p.replace(/\s/g, "").startsWith("q="));
    const value = qParam === undefined ? 1 : Number(qParam.replace(/\s/g, "").slice(2));
    q.set(name === "x-gzip" ? "gzip" : name, Number.isFinite(value) ? value : 0);
  }
  const qOf = (coding: string): number => q.get(coding) ?? q.get("*") ?? 0;
  const br = qOf("br");
  const gzip = qOf("gzip");
  if (br > 0 && br >= gzip) return "br";
  if (gzip > 0) return "gzip";
  return "identity";
}

/** Whether an `If-None-Match` list matches `etag` (weak comparison, as RFC 9110 13.1.2 asks; `*` matches). */
export function etagMatches(ifNoneMatch: string, etag: string): boolean {
  const bare = (tag: string) => tag.trim().replace(/^W\//, "");
  if (ifNoneMatch.trim() === "*") return true;
  return ifNoneMatch.split(",").some((tag) => bare(tag) === bare(etag));
}

/** The request headers conditional handling reads. */
export interface ConditionalHeaders {
  "if-none-match"?: string | undefined;
  "if-modified-since"?: string | undefined;
}

/**
 * Whether a GET/HEAD can be answered 304: If-None-Match when present (If-Modified-Since is then
 * ignored, RFC 9110 13.2.2), else If-Modified-Since at or after `mtimeMs` (to the second, as
 * Last-Modified carries it). `etags` are the validators this representation is known by.
 */
export function isNotModified(
  headers: ConditionalHeaders,
  etags: readonly string[],
  mtimeMs: number,
): boolean {
  const inm = headers["if-none-match"];
  if (inm !== undefined) return etags.some((e) => etagMatches(inm, e));
  const ims = headers["if-modified-since"];
  if (ims === undefined) return false;
  const since = Date.parse(ims);
  return Number.isFinite(since) && Math.floor(mtimeMs / 1000) * 1000 <= since;
}

/** A byte range request's outcome: serve whole, serve `start..end` (inclusive), or 416. */
export type RangeResult =
  | { kind: "whole" }
  | { kind: "partial"; start: number; end: number }
  | { kind: "unsatisfiable" };

/**
 * Interprets a `Range` header for a body of `size` bytes. One range only (`bytes=a-b`, `bytes=a-`,
 * `bytes=-n`); several ranges, other units and malformed headers are ignored (whole body, as RFC
 * 9110 14.2 allows). `If-Range` (an ETag, compared strongly, or an HTTP date equal to
 * Last-Modified) that does not match also gives the whole body.
 */
export function parseRange(
  range: string | undefined,
  size: number,
  ifRange?: { header: string | undefined; etag: string; lastModified: string },
): RangeResult {
  if (range === undefined) return { kind: "whole" };
  if (ifRange?.header !== undefined) {
    const h = ifRange.header.trim();
    if (h.startsWith('"') || h.startsWith("W/") ? h !== ifRange.etag : h !== ifRange.lastModified)
      return { kind: "whole" };
  }
  const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  if (m === null) return { kind: "whole" };
  const [, a = "", b = ""] = m;
  if (a === "" && b === "") return { kind: "whole" };
  if (a === "") {
    const n = Number(b);
    if (n === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "partial", start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === "" ? size - 1 : Math.min(Number(b), size - 1);
  if (b !== "" && Number(b) < start) return { kind: "whole" };
  if (start >= size) return { kind: "unsatisfiable" };
  return { kind: "partial", start, end };
}
