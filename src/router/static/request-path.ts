/**
 * Turns a request target into path segments under a site's root, refusing anything that could
 * name a file outside it. Pure: the file system check (realpath inside the root) is
 * `resolveInSite`'s job; this one refuses what is malicious or ambiguous before any I/O.
 */

/** The parsed path, or why it is refused (400 malformed/ambiguous, 404 hidden, 414 too long). */
export type RequestPath =
  | { ok: true; segments: string[]; trailingSlash: boolean }
  | { ok: false; status: 400 | 404 | 414; reason: string };

/** The longest request target (path and query) accepted. */
export const MAX_URL_LENGTH = 4096;

/**
 * Parses `url` (the request target as received, e.g. `req.url`). Refused with 400: not
 * origin-form (`/...`), raw or encoded backslashes, encoded slashes (`%2f`), control characters
 * and NUL raw or encoded, malformed percent-encoding or UTF-8, `.` and `..` segments (raw or
 * encoded: browsers normalize them away, so they only come from attacks), and a second level of
 * encoding (`%252e` decodes to `%2e`, which another layer could decode again). Refused with 404:
 * hidden segments (starting with `.`, except `.well-known`), so `.git/` or `.env` left in a build
 * output is not served. Empty segments (`//`) collapse. The query is ignored.
 */
export function parseRequestPath(url: string, maxLength = MAX_URL_LENGTH): RequestPath {
  if (url.length > maxLength) return refuse(414, `request target longer than ${maxLength} bytes`);
  const raw = url.split("?", 1)[0] ?? "";
  if (!raw.startsWith("/")) return refuse(400, "request target must be a path starting with /");
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\\\x00-\x1f\x7f#]/.test(raw)) return refuse(400, "control character, # or backslash in path");
  if (/%(?![0-9a-fA-F]{2})/.test(raw)) return refuse(400, "malformed percent-encoding");
  if (/%(?:2f|5c|[01][0-9a-f]|7f)/i.test(raw))
    return refuse(400, "encoded slash, backslash or control character");
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return refuse(400, "percent-encoding is not UTF-8");
  }
  if (/%[0-9a-fA-F]{2}/.test(decoded)) return refuse(400, "doubly percent-encoded path");
  const segments = decoded.split("/").filter((s) => s !== "");
  if (segments.some((s) => s === "." || s === "..")) return refuse(400, "dot segment in path");
  if (segments.some((s) => s.startsWith(".") && s !== ".well-known")) return refuse(404, "hidden file");
  return { ok: true, segments, trailingSlash: decoded.endsWith("/") };
}

function refuse(status: 400 | 404 | 414, reason: string): RequestPath {
  return { ok: false, status, reason };
}
