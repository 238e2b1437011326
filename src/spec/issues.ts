/**
 * Spec errors and warnings: a spec path, a message, and the position in the file when there is one.
 */

/** One segment of a spec path: a map key or a list index. */
export type PathSegment = string | number;

/** An error or a warning about a spec. `line` and `column` are 1-based and present for files. */
export interface SpecIssue {
  /** The spec path, e.g. `services[0].http_port`; empty for the whole spec. */
  path: string;
  message: string;
  line?: number;
  column?: number;
}

/** Formats path segments as `services[0].http_port`. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = "";
  for (const s of segments) {
    if (typeof s === "number") out += `[${s}]`;
    else out += out === "" ? s : `.${s}`;
  }
  return out;
}

/**
 * Formats an issue as one line: `app.yaml:12:7 services[0].http_port: must be ...`.
 * Without a file name or position, the location part is left out.
 */
export function formatIssue(issue: SpecIssue, file?: string): string {
  const where =
    file === undefined
      ? ""
      : issue.line === undefined
        ? `${file} `
        : `${file}:${issue.line}:${issue.column ?? 1} `;
  const path = issue.path === "" ? "" : `${issue.path}: `;
  return `${where}${path}${issue.message}`;
}

/** Orders issues by position, then by path, so that reports read top to bottom. */
export function sortIssues(issues: SpecIssue[]): SpecIssue[] {
  return [...issues].sort(
    (a, b) =>
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0) ||
      a.path.localeCompare(b.path) ||
      a.message.localeCompare(b.message),
  );
}

/** Describes a value for a message: `"abc"`, `70000`, `a list`, `a map`, `null`. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return "a list";
  switch (typeof value) {
    case "string":
      return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
    case "number":
    case "boolean":
      return String(value);
    case "object":
      return "a map";
    default:
      return typeof value;
  }
}
