/**
 * Reads request bodies with a size limit enforced while reading, and parses JSON with errors
 * that name a line and column.
 */
import { SlipwayError } from "../resources/index.js";

/** The largest request body accepted (1 MiB, the same as the largest spec). */
export const MAX_BODY_BYTES = 1024 * 1024;

function tooLarge(limit: number): SlipwayError {
  return new SlipwayError("too_large", `request body is larger than ${limit} bytes; send a smaller spec`);
}

/**
 * Reads the whole body of `request`, failing with `too_large` as soon as more than `limit` bytes
 * arrived (or at once when Content-Length says so); the rest is not read.
 */
export async function readBody(request: Request, limit = MAX_BODY_BYTES): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) throw tooLarge(limit);
  if (request.body === null) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size);
}

/** The 1-based line and column of `offset` in `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: Math.min(offset, text.length) - start + 1 };
}

/** Parses JSON; malformed input fails with `invalid_argument` naming the line and column. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const offset = jsonErrorOffset(text);
    const { line, column } = lineColumn(text, offset);
    const reason =
      offset >= text.length ? "unexpected end of input" : `unexpected ${JSON.stringify(text[offset])}`;
    throw new SlipwayError(
      "invalid_argument",
      `request body is not valid JSON at line ${line}, column ${column}`,
      {
        details: [{ path: "", line, column, message: `malformed JSON: ${reason}` }],
      },
    );
  }
}

/**
 * The offset of the first syntax error in `text`, found by a small scanner (V8's messages do not
 * always carry a position). Iterative, so hostile nesting cannot overflow the stack.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && " \t\r\n".includes(text[i] as string)) i++;
  };
  const literal = (): boolean => {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length; i++) {
        const ch = text.charCodeAt(i);
        if (ch === 34) {
          i++;
          return true;
        }
        if (ch === 92) i++;
        else if (ch < 32) return false;
      }
      return false;
    }
    const m = /^(-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
    if (m === null) return false;
    i += m[0].length;
    return true;
  };
  // Each frame is the container we are in: "[" or "{".
  const stack: string[] = [];
  let expectValue = true;
  for (;;) {
    ws();
    if (expectValue) {
      const c = text[i];
      if (c === "[" || c === "{") {
        stack.push(c);
        i++;
        ws();
        if (text[i] === (c === "[" ? "]" : "}")) {
          stack.pop();
          i++;
          expectValue = false;
          continue;
        }
        if (c === "{") {
          if (text[i] !== '"' || !literal()) return i;
          ws();
          if (text[i] !== ":") return i;
          i++;
        }
        continue;
      }
      if (!literal()) return i;
      expectValue = false;
      continue;
    }
    const top = stack[stack.length - 1];
    if (top === undefined) return Math.min(i, text.length);
    const c = text[i];
    if (c === ",") {
      i++;
      if (top === "{") {
        ws();
        if (text[i] !== '"' || !literal()) return i;
        ws();
        if (text[i] !== ":") return i;
        i++;
      }
      expectValue = true;
    } else if (c === (top === "[" ? "]" : "}")) {
      stack.pop();
      i++;
    } else {
      return i;
    }
  }
}
