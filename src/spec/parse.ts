/**
 * Parses an app spec file (YAML or JSON) into a plain value while keeping the position of every
 * node, so that errors can name `file:line:col`. Hostile input is bounded: a size limit, a limit
 * on alias expansion (YAML "billion laughs"), strict UTF-8, and a guard against deep nesting.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument, visit } from "yaml";
import type { PathSegment, SpecIssue } from "./issues.js";
import { firstInvalidUtf8 } from "./utf8.js";

/** The default largest spec accepted, in bytes. */
export const DEFAULT_MAX_SPEC_BYTES = 1024 * 1024;
/** The most alias expansions a document may make before it is refused. */
const MAX_ALIAS_COUNT = 100;

/** Where a path points in the source: at the key of a map entry, or at its value. */
export type LocateAt = "key" | "value";

/** A parsed spec: its value, and a way to find any path in the source. */
export interface ParsedSpec {
  value: unknown;
  /** True when the document was a deploy template (`spec:` wrapper); `value` is then the inner spec. */
  wrapped: boolean;
  /**
   * The 1-based position of `path` (relative to the spec, inside the wrapper if any). When the
   * path does not exist in the source, the position of its nearest existing ancestor.
   */
  locate(path: readonly PathSegment[], at?: LocateAt): { line: number; column: number } | undefined;
}

/** The result of parsing: a spec or errors. */
export type ParseResult = { ok: true; spec: ParsedSpec } | { ok: false; errors: SpecIssue[] };

/** Options of `parseSpec`. */
export interface ParseOptions {
  /** The largest input accepted, in bytes (default 1 MiB). */
  maxBytes?: number;
}

/**
 * Parses YAML (1.1, as doctl does: `yes`/`no` are booleans) or JSON. Accepts the `spec:` wrapper
 * of `.do/deploy.template.yaml`. Never throws for bad input; returns errors with positions.
 */
export function parseSpec(input: string | Uint8Array, options: ParseOptions = {}): ParseResult {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_SPEC_BYTES;
  const decoded = decode(input, maxBytes);
  if (!decoded.ok) return decoded;
  const lineCounter = new LineCounter();
  let doc: ReturnType<typeof parseDocument>;
  let value: unknown;
  try {
    doc = parseDocument(decoded.text, { lineCounter, version: "1.1", merge: true, prettyErrors: false });
    if (doc.errors.length > 0) {
      const jsonError = checkJsonSyntax(decoded.text);
      if (jsonError !== undefined) return { ok: false, errors: [jsonError] };
      // linePos is only filled with prettyErrors; the offset always is.
      return {
        ok: false,
        errors: doc.errors.map((e) => yamlIssue(e.message, lineCounter.linePos(e.pos[0]))),
      };
    }
  } catch (err) {
    return { ok: false, errors: [{ path: "", message: hostileMessage(err) }] };
  }
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    // The expansion, not one node, is at fault; point at the first alias so the user finds it.
    const at = firstAliasOffset(doc);
    const pos = at === undefined ? undefined : lineCounter.linePos(at);
    const message = hostileMessage(err);
    return {
      ok: false,
      errors: [
        pos === undefined ? { path: "", message } : { path: "", line: pos.line, column: pos.col, message },
      ],
    };
  }
  let root: unknown = doc.contents;
  let wrapped = false;
  if (isDeployTemplate(value)) {
    wrapped = true;
    value = value.spec;
    root = isMap(root) ? findPair(root, "spec")?.value : root;
  }
  const locate = (path: readonly PathSegment[], at: LocateAt = "value") => {
    // An empty document has no node; its errors belong at the start of the file.
    const offset = locateOffset(doc, root, path, at) ?? 0;
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  return { ok: true, spec: { value, wrapped, locate } };
}

function decode(
  input: string | Uint8Array,
  maxBytes: number,
): { ok: true; text: string } | { ok: false; errors: SpecIssue[] } {
  const size = typeof input === "string" ? Buffer.byteLength(input) : input.byteLength;
  if (size > maxBytes) {
    return {
      ok: false,
      errors: [
        {
          path: "",
          message: `spec is ${formatBytes(size)}; the largest accepted is ${formatBytes(maxBytes)}`,
        },
      ],
    };
  }
  if (typeof input === "string") return { ok: true, text: input };
  const bad = firstInvalidUtf8(input);
  if (bad >= 0) {
    const before = input.subarray(0, bad);
    const line = before.filter((b) => b === 0x0a).length + 1;
    const column = bad - before.lastIndexOf(0x0a);
    const byte = (input[bad] as number).toString(16).padStart(2, "0");
    return {
      ok: false,
      errors: [
        { path: "", line, column, message: `not valid UTF-8 (byte 0x${byte}); save the file as UTF-8` },
      ],
    };
  }
  return { ok: true, text: new TextDecoder("utf-8").decode(input) };
}

/**
 * For a document that starts with `{` and fails to parse as YAML, JSON.parse gives one precise
 * syntax error where the YAML parser reports several follow-on ones. (Flow-style YAML also starts
 * with `{`, hence only after YAML failed.)
 */
function checkJsonSyntax(text: string): SpecIssue | undefined {
  if (!text.trimStart().startsWith("{")) return undefined;
  try {
    JSON.parse(text);
    return undefined;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const at = /at position (\d+)/.exec(message);
    const bare = message.replace(/ in JSON at position \d+.*$/s, "");
    const reason = `${bare.charAt(0).toLowerCase()}${bare.slice(1)}`;
    if (at === null) return { path: "", message: `invalid JSON: ${reason}` };
    const offset = Number(at[1]);
    const before = text.slice(0, offset);
    const line = before.split("\n").length;
    const column = offset - before.lastIndexOf("\n");
    return { path: "", line, column, message: `invalid JSON: ${reason}` };
  }
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

function yamlIssue(message: string, pos: { line: number; col: number } | undefined): SpecIssue {
  if (/maximum call stack/i.test(message)) return { path: "", message: "invalid YAML: nesting is too deep" };
  const first = (message.split("\n")[0] ?? message).replace(/ at line \d+, column \d+:?$/, "");
  const text = `invalid YAML: ${first.charAt(0).toLowerCase()}${first.slice(1)}`;
  return pos === undefined
    ? { path: "", message: text }
    : { path: "", line: pos.line, column: pos.col, message: text };
}

function hostileMessage(err: unknown): string {
  if (err instanceof RangeError) return "invalid YAML: nesting is too deep";
  const message = err instanceof Error ? err.message : String(err);
  if (/alias/i.test(message)) {
    return `invalid YAML: aliases expand too much (more than ${MAX_ALIAS_COUNT} expansions); write the values out`;
  }
  return `invalid YAML: ${message}`;
}

function firstAliasOffset(doc: ReturnType<typeof parseDocument>): number | undefined {
  let offset: number | undefined;
  visit(doc, {
    Alias(_key, node) {
      offset = node.range?.[0];
      return visit.BREAK;
    },
  });
  return offset;
}

function isDeployTemplate(value: unknown): value is { spec: Record<string, unknown> } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  const spec = (value as Record<string, unknown>).spec;
  return keys.length === 1 && keys[0] === "spec" && typeof spec === "object" && spec !== null;
}

function findPair(map: unknown, key: PathSegment) {
  if (!isMap(map)) return undefined;
  for (const item of map.items) {
    if (isPair(item) && isScalar(item.key) && String(item.key.value) === String(key)) return item;
  }
  return undefined;
}

function locateOffset(
  doc: ReturnType<typeof parseDocument>,
  root: unknown,
  path: readonly PathSegment[],
  at: LocateAt,
): number | undefined {
  let node: unknown = root;
  let best = rangeStart(node);
  for (let i = 0; i < path.length; i++) {
    const seg = path[i] as PathSegment;
    if (isAlias(node)) node = node.resolve(doc);
    if (isSeq(node) && typeof seg === "number") {
      node = node.items[seg];
    } else if (isMap(node)) {
      const pair = findPair(node, seg);
      if (pair === undefined) return best;
      const last = i === path.length - 1;
      node = last && at === "key" ? pair.key : (pair.value ?? pair.key);
    } else {
      return best;
    }
    best = rangeStart(node) ?? best;
  }
  return best;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | undefined)?.range;
  return range?.[0];
}
