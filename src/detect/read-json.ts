/**
 * Reads a JSON file of the tree into a value, or an error that names the file, line and column.
 */
import { findJsonError } from "./json-error.js";
import type { ProbeContext } from "./types.js";

/** A parsed JSON file, or why it could not be read. */
export type JsonRead = { ok: true; value: unknown } | { ok: false; message: string };

/**
 * Parses `path` (which the caller knows exists) as JSON. Errors read
 * `api/package.json:3:1: invalid JSON: expected a double-quoted property name, found "}" (at offset 17)`; a file
 * larger than the read cap or not a regular file is reported as unreadable.
 */
export function readJson(ctx: ProbeContext, path: string): JsonRead {
  const text = ctx.tree.read(path);
  if (text === undefined) {
    return {
      ok: false,
      message: `${ctx.show(path)}: cannot be read (not a regular file, or larger than 1 MiB)`,
    };
  }
  try {
    return { ok: true, value: JSON.parse(stripBom(text)) };
  } catch (error) {
    const body = stripBom(text);
    const syntax = findJsonError(body) ?? {
      offset: Number(/at position (\d+)/.exec(String(error))?.[1] ?? body.length),
      message: error instanceof Error ? error.message : String(error),
    };
    const { line, column } = lineColumn(body, syntax.offset);
    return {
      ok: false,
      message: `${ctx.show(path)}:${line}:${column}: invalid JSON: ${syntax.message} (at offset ${syntax.offset}); fix the file`,
    };
  }
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** The 1-based line and column of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - before.lastIndexOf("\n") };
}

/** The value as a plain object, or undefined. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** The value if it is a non-empty string, else undefined. */
export function asText(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}
