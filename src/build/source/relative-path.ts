/**
 * One set of rules for a path that must name something inside a source tree, shared by inline
 * files, uploaded tarballs and `source_dir`: POSIX separators, relative, no `..`, no control
 * characters. Pure.
 */

/** What is wrong with a path, phrased to follow the quoted path in a message. */
export type PathProblem =
  | "empty"
  | "absolute"
  | "parent"
  | "control"
  | "backslash"
  | "segment-too-long"
  | "too-long";

/** The outcome of `normalizeRelativePath`. */
export type NormalizedPath =
  | { ok: true; path: string }
  | { ok: false; problem: PathProblem; message: string };

/** Longest path accepted, in UTF-8 bytes (Linux PATH_MAX is 4096 with the root prefixed). */
export const MAX_PATH_BYTES = 1024;
/** Longest single name accepted, in UTF-8 bytes (NAME_MAX on Linux file systems). */
export const MAX_NAME_BYTES = 255;

/**
 * Normalizes `raw` to a relative POSIX path without `.` or empty segments (`./a//b/` -> `a/b`).
 * The message says what is wrong after the quoted path, e.g.
 * `"../etc/passwd" leaves the source tree ("..")`. An empty result (`""`, `"."`, `"./"`) is
 * `empty`: it names the root, not an entry. A trailing `/` is dropped; callers that need a file
 * check for it themselves.
 */
export function normalizeRelativePath(raw: string): NormalizedPath {
  const quoted = JSON.stringify(raw);
  const fail = (problem: PathProblem, message: string): NormalizedPath => ({ ok: false, problem, message });
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  const control = /[\u0000-\u001f\u007f]/.exec(raw);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
    return fail("control", `${quoted} holds a control character (U+${code})`);
  }
  if (raw.includes("\\")) return fail("backslash", `${quoted} holds a backslash; use "/" between folders`);
  if (raw.startsWith("/"))
    return fail("absolute", `${quoted} is absolute; paths are relative to the source root`);
  const segments = raw.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.includes("..")) return fail("parent", `${quoted} leaves the source tree ("..")`);
  if (segments.length === 0) return fail("empty", `${quoted} names the source root, not an entry in it`);
  const long = segments.find((s) => Buffer.byteLength(s) > MAX_NAME_BYTES);
  if (long !== undefined) {
    return fail("segment-too-long", `${quoted} has a name longer than ${MAX_NAME_BYTES} bytes`);
  }
  const path = segments.join("/");
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) {
    return fail("too-long", `${quoted} is longer than ${MAX_PATH_BYTES} bytes`);
  }
  return { ok: true, path };
}
